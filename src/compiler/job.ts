/**
 * What a worker receives and returns. Plain, serialisable data only (structured clone).
 * The scheduler resolves everything (target, final pass list) before a job is sent.
 */
import type { MessagePort } from 'node:worker_threads';
import type { Diagnostic } from '../diagnostics/index.js';
import type { PipelineRecord, Target } from '../formats/manifest.js';

export interface CompileJob {
  /** Model name from the config (the key under `models`). */
  readonly model: string;
  /** Absolute path of the ONNX file. */
  readonly modelPath: string;
  /** Path as written in the config, relative to the config file (recorded in diagnostics and the manifest). */
  readonly modelSource: string;
  readonly target: Target;
  /** The resolved pipeline: name, why, and the final stages/passes (after any user function ran). */
  readonly pipeline: PipelineRecord;
  /** A private scratch directory the worker may write to (toolchains need files). */
  readonly tmpDir: string;
  /**
   * A content-addressed store of compiled kernel objects shared by all jobs and workers (cc/nvcc output keyed by
   * source + flags + toolchain); absent: compile every time. (Additive, scheduler session 2.)
   */
  readonly objectCacheDir?: string;
  /**
   * The build's compile slots (backends/slots.ts), shared with the scheduler: lets the toolchain step compile a
   * split source's units side by side on cores the build leaves idle. Set by the worker pool.
   */
  readonly slots?: SharedArrayBuffer;
  /** This job's cell in `slots` (its priority and the extra slots it holds). Set by the worker pool. */
  readonly slotCell?: number;
  /**
   * Where the job's tool runs (cc, nvcc) go: the main thread runs them through the build's one spawner process
   * (backends/exec.ts). Set by the worker pool; without it a worker starts tools from its own thread.
   */
  readonly toolPort?: MessagePort;
  /** Graph inputs bound to constant tensors at build time (config `models.<name>.bind`); absent when none. */
  readonly bind?: readonly BoundInput[];
  /** The config file as shown in diagnostics (relative to the working directory when inside it). */
  readonly configFile?: string;
}

/** One `bind` entry: a graph input whose value is an onnx.TensorProto file, fixed at build time. */
export interface BoundInput {
  /** The ONNX graph input name. */
  readonly name: string;
  /** Absolute path of the TensorProto file. */
  readonly path: string;
  /** The path as written in the config. */
  readonly source: string;
  /** Where it was written, e.g. `models.net.bind.shape`. */
  readonly keyPath: string;
}

export interface ArtifactFile {
  /** Relative to the artifact directory (`<outDir>/<model>/<target>/`). */
  readonly path: string;
  readonly data: Uint8Array;
}

export interface PassTiming {
  readonly stage: string;
  readonly pass: string;
  readonly ms: number;
}

export interface CompileResult {
  readonly ok: boolean;
  /** All artifact files including manifest.json; empty when !ok. */
  readonly files: readonly ArtifactFile[];
  readonly diagnostics: readonly Diagnostic[];
  readonly timings: readonly PassTiming[];
  /** Which schedule rule handled which kernel (GPU targets). */
  readonly schedule: readonly { readonly kernel: string; readonly rule: string }[];
  /** Where the job's time went on its worker thread, in ms (absent from fixture workers). */
  readonly phases?: JobPhases;
  /** When and where it ran, for the build profile (`relax build --profile`; absent from fixture workers). */
  readonly profile?: JobProfile;
}

/** A compiled job on the clock (epoch ms, comparable across threads): its thread, its start, its tool runs. */
export interface JobProfile {
  /** The worker thread's id (worker_threads.threadId). */
  readonly thread: number;
  /** When the worker took the job; `phases` follow from here in order. */
  readonly startAt: number;
  readonly tools: readonly ToolSpan[];
}

/** A toolchain run (cc, nvcc+ptxas, nvlink...): when it asked for a compile slot, got one, and ended. */
export interface ToolSpan {
  readonly label: string;
  /** What the scheduler expected it to take (ms), where it had an estimate. */
  readonly estimateMs?: number;
  readonly queuedAt: number;
  readonly startAt: number;
  readonly endAt: number;
}

/**
 * A compiled job's time by phase, in ms: `load` waiting for the worker thread to load the compiler (first job on
 * a thread), `import` reading and importing the ONNX model, `passes` the pipeline, `backend` kernel codegen plus
 * the toolchain (cc/nvcc, including waits for compile slots), `finish` the VM program, weights and manifest.
 * The scheduler adds `store`: writing the artifact and the cache entry on the main thread.
 */
export interface JobPhases {
  readonly load?: number;
  readonly import?: number;
  readonly passes?: number;
  readonly backend?: number;
  readonly finish?: number;
  readonly store?: number;
}
