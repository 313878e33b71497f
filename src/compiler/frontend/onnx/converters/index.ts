/** All ONNX op converters by op_type (default domain). One file per op family. */
import { CONSTANT_CONVERTERS } from './constant.js';
import { ELEMENTWISE_CONVERTERS } from './elementwise.js';
import { GEMM_CONVERTERS } from './gemm.js';
import { SCAN_CONVERTERS } from './scan.js';
import { SHAPE_CONVERTERS } from './shape.js';
import { SOFTMAX_CONVERTERS } from './softmax.js';
import { TOPK_CONVERTERS } from './topk.js';
import { REDUCE_CONVERTERS } from './reduce.js';
import { NORM_CONVERTERS } from './norm.js';
import { EINSUM_CONVERTERS } from './einsum.js';
import type { ConverterTable } from './types.js';
import { GATHER_CONVERTERS } from './gather.js';
import { LAYOUT_CONVERTERS } from './layout.js';
import { RESIZE_CONVERTERS } from './resize.js';
import { CONV_CONVERTERS } from './conv.js';
import { POOL_CONVERTERS } from './pool.js';

export const CONVERTERS: ConverterTable = {
  ...CONSTANT_CONVERTERS, ...ELEMENTWISE_CONVERTERS, ...GEMM_CONVERTERS, ...SCAN_CONVERTERS,
  ...SHAPE_CONVERTERS, ...SOFTMAX_CONVERTERS, ...TOPK_CONVERTERS,
  ...GATHER_CONVERTERS, ...LAYOUT_CONVERTERS, ...RESIZE_CONVERTERS,
  ...REDUCE_CONVERTERS, ...NORM_CONVERTERS, ...EINSUM_CONVERTERS,
  ...CONV_CONVERTERS, ...POOL_CONVERTERS,
};

export function supportedOnnxOps(): string[] {
  return Object.keys(CONVERTERS).sort();
}
