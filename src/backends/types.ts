/**
 * Backend contracts. A backend has a compiler side (codegen + toolchain, used in workers) and a runtime side
 * (device, used by the runtime). The two halves only share the artifact formats in src/formats.
 *
 * Kernel ABIs (what codegen emits and devices call):
 * - cpu:    `void <name>(void* const* bufs, const int64_t* vars)` exported from `kernels.so`; `bufs[i]` is
 *           param i's data pointer, `vars[j]` is the j-th symbolic var (KernelInfo.vars order).
 * - cuda:   `extern "C" __global__ void <name>(T0* p0, ..., int64_t v0, ...)` in `kernels.cu`; launched with
 *           KernelInfo.launch (grid evaluated at run time, block static).
 * - webgpu: entry point `<name>` in `kernels.wgsl`; param i is `@group(0) @binding(i)` storage buffer
 *           (read for inputs, read_write for outputs); when the kernel has vars or a symbolic grid, binding
 *           `params.length` is a uniform `array<vec4<u32>, N>` holding, in order, the vars (as i32 bits) followed by
 *           the evaluated grid extents [gx, gy, gz]. Dispatch folds a grid.x above maxComputeWorkgroupsPerDimension
 *           into y; kernels recover the linear block index and return when it is past the grid.
 *           Buffers hold the host tensor bytes for every dtype WebGPU accepts (64-bit ints as u32 pairs, sub-word
 *           types packed into u32 words; see webgpu/dtypes.ts); float64 kernels are rejected at build time.
 */
import type { Diagnostic } from '../diagnostics/index.js';
import type { KernelInfo, Target, TargetKind } from '../formats/manifest.js';
import type { PrimFunc } from '../compiler/tir/types.js';

export interface EmittedFile {
  /** Path relative to the artifact directory. */
  readonly path: string;
  readonly data: Uint8Array;
}

export interface CodegenResult {
  readonly files: readonly EmittedFile[];
  readonly kernels: readonly KernelInfo[];
  /** Which file holds the kernels for each role, e.g. { source: 'kernels.c', binary: 'kernels.so' }. */
  readonly kernelFiles: Readonly<Record<string, string>>;
  readonly diagnostics: readonly Diagnostic[];
}

export interface ToolchainInfo {
  /** e.g. `cc (Debian 12.2.0-14) 12.2.0`, `nvcc 13.0.88`, `dawn (webgpu npm 0.6.2)`, or null when absent. */
  readonly version: string | null;
}

export interface CompilerBackend {
  readonly kind: TargetKind;
  /** Emits kernel sources for scheduled (GPU) or plain (CPU) tensor functions and compiles them with the toolchain. */
  codegen(funcs: readonly PrimFunc[], target: Target, opts: { tmpDir: string }): Promise<CodegenResult>;
  toolchain(): ToolchainInfo;
}
