/** All ONNX op converters by op_type (default domain). One file per op family. */
import { CONSTANT_CONVERTERS } from './constant.js';
import { ELEMENTWISE_CONVERTERS } from './elementwise.js';
import { GEMM_CONVERTERS } from './gemm.js';
import { SCAN_CONVERTERS } from './scan.js';
import { SHAPE_CONVERTERS } from './shape.js';
import { SOFTMAX_CONVERTERS } from './softmax.js';
import { TOPK_CONVERTERS } from './topk.js';
import type { ConverterTable } from './types.js';
import { CONV_CONVERTERS } from './conv.js';
import { POOL_CONVERTERS } from './pool.js';

export const CONVERTERS: ConverterTable = {
  ...CONSTANT_CONVERTERS, ...ELEMENTWISE_CONVERTERS, ...GEMM_CONVERTERS, ...SCAN_CONVERTERS,
  ...SHAPE_CONVERTERS, ...SOFTMAX_CONVERTERS, ...TOPK_CONVERTERS,
  ...CONV_CONVERTERS, ...POOL_CONVERTERS,
};

export function supportedOnnxOps(): string[] {
  return Object.keys(CONVERTERS).sort();
}
