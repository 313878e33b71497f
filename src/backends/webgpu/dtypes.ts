/**
 * WebGPU's per-dtype constraints, in one place: how each tensor element type is stored in a storage buffer and
 * which WGSL type kernels compute it in. WGSL has f32, i32, u32, bool (not host-shareable) and, only with the
 * `shader-f16` feature, f16; nothing 64-bit and nothing narrower than 32 bits in storage. Every buffer keeps the
 * host tensor's byte layout, so the runtime uploads and downloads bytes unchanged and the kernel ABI in
 * ../types.ts is the same for every dtype:
 *
 * | dtype                   | storage (array element)             | computed as                      |
 * |-------------------------|-------------------------------------|----------------------------------|
 * | float32, int32, uint32  | native f32 / i32 / u32              | the same                         |
 * | float16, shader-f16 on  | native f16                          | f16                              |
 * | float16, shader-f16 off | packed: 2 lanes per u32 word        | f32, rounded to nearest even     |
 * | bfloat16                | packed: 2 lanes per u32 word        | f32, rounded to nearest even     |
 * | int8, uint8, bool       | packed: 4 lanes per u32 word        | i32 / u32 / bool                 |
 * | int16, uint16           | packed: 2 lanes per u32 word        | i32 / u32                        |
 * | int64, uint64           | pair: vec2<u32> (low word, high)    | vec2<u32>, exact 64-bit helpers  |
 * | float64                 | rejected at build time              |                                  |
 *
 * Packed buffers that a kernel writes are declared `array<atomic<u32>>` and each element store is an atomicAnd
 * (clear the lane) plus an atomicOr (set it), so invocations writing neighbouring lanes of one word never race.
 * This was chosen over widening such buffers to one u32 per element in the runtime because it keeps the host
 * byte layout (no conversion pass on upload/download, views and the memory planner's byte offsets stay valid)
 * and needs no change to the artifact or runtime. Index and loop arithmetic over int64 shape values stays in
 * i32 (buffers bound in WebGPU hold fewer than 2^31 elements); values that come from tensor data are exact.
 */
import type { DType } from '../../formats/dtype.js';
import type { Target } from '../../formats/manifest.js';

/** A WGSL value type as the codegen tracks it; i64/u64 are `vec2<u32>` in WGSL. */
export type Ty = 'f32' | 'f16' | 'i32' | 'u32' | 'bool' | 'i64' | 'u64';

export type DTypeLowering =
  | { readonly storage: 'native'; readonly compute: Ty }
  | { readonly storage: 'pair'; readonly compute: 'i64' | 'u64' }
  | { readonly storage: 'packed'; readonly bits: 8 | 16; readonly compute: Ty; readonly round?: 'f16' | 'bf16' }
  | { readonly storage: 'rejected'; readonly reason: string; readonly hint: string };

export const FLOAT64_REASON = 'WebGPU has no 64-bit floats (WGSL has no f64 type)';
export const FLOAT64_HINT =
  'convert the model to float32 before building for webgpu (e.g. cast float64 inputs and initializers to float32 when exporting), or build it for the cpu or cuda target.';

/** How `dtype` is stored and computed on `target` (see the table above). */
export function webgpuDType(d: DType, target: Pick<Target, 'attrs'>): DTypeLowering {
  switch (d) {
    case 'float32': return { storage: 'native', compute: 'f32' };
    case 'int32': return { storage: 'native', compute: 'i32' };
    case 'uint32': return { storage: 'native', compute: 'u32' };
    case 'float16':
      return target.attrs.shaderF16 ? { storage: 'native', compute: 'f16' } : { storage: 'packed', bits: 16, compute: 'f32', round: 'f16' };
    case 'bfloat16': return { storage: 'packed', bits: 16, compute: 'f32', round: 'bf16' };
    case 'int8': return { storage: 'packed', bits: 8, compute: 'i32' };
    case 'uint8': return { storage: 'packed', bits: 8, compute: 'u32' };
    case 'bool': return { storage: 'packed', bits: 8, compute: 'bool' };
    case 'int16': return { storage: 'packed', bits: 16, compute: 'i32' };
    case 'uint16': return { storage: 'packed', bits: 16, compute: 'u32' };
    case 'int64': return { storage: 'pair', compute: 'i64' };
    case 'uint64': return { storage: 'pair', compute: 'u64' };
    case 'float64': return { storage: 'rejected', reason: FLOAT64_REASON, hint: FLOAT64_HINT };
  }
}

/** The WGSL spelling of a value type. */
export function wgslType(ty: Ty): string {
  return ty === 'i64' || ty === 'u64' ? 'vec2<u32>' : ty;
}

/** Bytes one element of `ty` takes in workgroup (shared) memory. */
export function tyBytes(ty: Ty): number {
  return ty === 'i64' || ty === 'u64' ? 8 : ty === 'f16' ? 2 : 4;
}

export function isWide(ty: Ty): ty is 'i64' | 'u64' {
  return ty === 'i64' || ty === 'u64';
}

export function is64BitInt(d: DType): d is 'int64' | 'uint64' {
  return d === 'int64' || d === 'uint64';
}
