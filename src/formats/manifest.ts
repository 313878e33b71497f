/** The artifact manifest (`manifest.json`). Deterministic: no timestamps, no absolute paths. */
import type { DType } from './dtype.js';
import type { ShapeExpr, TensorSig } from './vm.js';

export const MANIFEST_FORMAT = 1;

export type TargetKind = 'cpu' | 'cuda' | 'webgpu';

export interface TargetAttrs {
  /** CUDA SM architecture, e.g. `sm_90`. */
  readonly arch?: string;
  readonly maxThreadsPerBlock: number;
  readonly maxSharedMemoryBytes: number;
  /** Warp (CUDA) or subgroup (WebGPU) size; 1 on cpu. */
  readonly warpSize: number;
  readonly maxGridX?: number;
  /** WebGPU: storage buffers per shader stage, bytes per binding, f16 support. */
  readonly maxStorageBuffersPerStage?: number;
  readonly maxStorageBufferBindingSize?: number;
  readonly shaderF16?: boolean;
  readonly supportsInt64: boolean;
  readonly supportsFloat64: boolean;
}

/** A resolved target: plain data, stable field order. */
export interface Target {
  readonly kind: TargetKind;
  /** Name used in output paths and events (`cpu`, `cuda`, `webgpu`, or a user-chosen name). */
  readonly name: string;
  /** `cuda -> [cuda, gpu]`, `webgpu -> [webgpu, gpu]`, `cpu -> [cpu]`. */
  readonly keys: readonly string[];
  readonly attrs: TargetAttrs;
  /** Preset tag when one was used (e.g. `nvidia/h100`). */
  readonly tag?: string;
}

export interface PipelineRecord {
  readonly name: string;
  /** What the config asked for (e.g. `default`). */
  readonly resolvedFrom: string;
  readonly reason: string;
  readonly stages: readonly { readonly name: string; readonly passes: readonly string[] }[];
}

export interface KernelParam {
  readonly name: string;
  readonly dtype: DType;
  readonly access: 'read' | 'write' | 'readwrite';
}

export interface KernelInfo {
  readonly name: string;
  readonly params: readonly KernelParam[];
  /** Symbolic shape variables passed after the buffers (int64 on cpu/cuda, i32 on webgpu). */
  readonly vars: readonly string[];
  /** GPU launch geometry: grid may be symbolic; block is static. */
  readonly launch?: { readonly grid: readonly ShapeExpr[]; readonly block: readonly number[] };
  readonly scheduledBy?: string;
  readonly origin?: readonly string[];
}

export interface FileRecord {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface Manifest {
  readonly format: number;
  readonly compiler: { readonly name: 'relax'; readonly version: string };
  readonly model: { readonly name: string; readonly source: string; readonly sha256: string };
  readonly target: Target;
  readonly pipeline: PipelineRecord;
  readonly inputs: readonly TensorSig[];
  readonly outputs: readonly TensorSig[];
  readonly kernels: readonly KernelInfo[];
  /** Entry points into `files`. */
  readonly program: string;
  readonly weights: string;
  readonly kernelFiles: Readonly<Record<string, string>>;
  readonly files: readonly FileRecord[];
}
