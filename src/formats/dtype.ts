/** Element types, named as in ONNX/numpy. Shared by the compiler, the artifact formats and the runtime. */
export type DType =
  | 'float16' | 'bfloat16' | 'float32' | 'float64'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool';

export const DTYPE_BYTES: Record<DType, number> = {
  float16: 2, bfloat16: 2, float32: 4, float64: 8,
  int8: 1, int16: 2, int32: 4, int64: 8,
  uint8: 1, uint16: 2, uint32: 4, uint64: 8,
  bool: 1,
};

export function isFloat(d: DType): boolean {
  return d === 'float16' || d === 'bfloat16' || d === 'float32' || d === 'float64';
}
export function isInt(d: DType): boolean {
  return !isFloat(d) && d !== 'bool';
}
export function isSigned(d: DType): boolean {
  return isFloat(d) || d.startsWith('int');
}

/** ONNX TensorProto.DataType numbers (facts from the ONNX spec). */
export const ONNX_DTYPE: Record<number, DType> = {
  1: 'float32', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64',
  9: 'bool', 10: 'float16', 11: 'float64', 12: 'uint32', 13: 'uint64', 16: 'bfloat16',
};
export const DTYPE_ONNX: Record<DType, number> = Object.fromEntries(
  Object.entries(ONNX_DTYPE).map(([k, v]) => [v, Number(k)]),
) as Record<DType, number>;
