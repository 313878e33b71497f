/**
 * Elementwise ONNX ops: one-input math and activations (elementwise-unary.ts), broadcasting arithmetic, logical,
 * comparison and Where (elementwise-binary.ts), Cast/CastLike/Clip/Dropout/Identity (elementwise-misc.ts).
 */
import { BINARY_CONVERTERS } from './elementwise-binary.js';
import { MISC_CONVERTERS } from './elementwise-misc.js';
import { UNARY_CONVERTERS } from './elementwise-unary.js';
import type { ConverterTable } from './types.js';

export const ELEMENTWISE_CONVERTERS: ConverterTable = { ...UNARY_CONVERTERS, ...BINARY_CONVERTERS, ...MISC_CONVERTERS };
