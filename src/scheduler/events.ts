/**
 * Build events: plain objects, one per line in `--json` mode. The same stream drives TTY progress, CI lines and
 * API users (`build({ onEvent })`). Paths in events are absolute.
 */
import type { Diagnostic, Location } from '../diagnostics/index.js';
import type { JobPhases, PassTiming } from '../compiler/job.js';
import type { MissReason } from './cache.js';

export interface BuildStartEvent {
  readonly type: 'build-start';
  /** The config file (absolute). */
  readonly config?: string;
  /** `model:target` ids of the jobs in this build. */
  readonly jobs: readonly string[];
  readonly threads: number;
}

export interface JobStartEvent {
  readonly type: 'job-start';
  readonly model: string;
  readonly target: string;
}

export interface JobDoneEvent {
  readonly type: 'job-done';
  readonly model: string;
  readonly target: string;
  readonly cached: boolean;
  /**
   * Why the job was rebuilt or reused: 'cache hit', 'no cache entry', 'model changed: models/mlp.onnx',
   * 'config changed: pipeline', 'compiler changed', 'toolchain changed: cc', '--force', 'corrupt cache entry: ...'.
   */
  readonly reason: MissReason;
  /** How long the job took: for a compiled job, from when a worker thread took it to when its artifact was written. */
  readonly ms: number;
  /** How long a compiled job waited for a free worker thread before that (absent for cache hits). */
  readonly queuedMs?: number;
  /** The artifact directory. */
  readonly dir: string;
  /** Per-pass timings reported by the compiler (empty for cached jobs). */
  readonly passes: readonly PassTiming[];
  /** A compiled job's time by phase (JobPhases: load, import, passes, backend, finish, store); absent for cache hits. */
  readonly phases?: JobPhases;
  /** Which schedule rule handled which kernel (GPU targets; empty for cached jobs). */
  readonly schedule: readonly { readonly kernel: string; readonly rule: string }[];
  /** Non-error diagnostics (warnings, notes). */
  readonly warnings: readonly Diagnostic[];
}

export interface JobErrorEvent {
  readonly type: 'job-error';
  readonly model: string;
  readonly target: string;
  readonly code: string;
  readonly message: string;
  readonly where?: Location;
  readonly hint?: string;
  readonly ms: number;
  /** How long the job waited for a free worker thread (as in job-done). */
  readonly queuedMs?: number;
  /** Why the job was compiled (as in job-done), when it got that far. */
  readonly reason?: MissReason;
  /** Every diagnostic of the job (the first error is repeated above). */
  readonly diagnostics: readonly Diagnostic[];
}

export interface BuildDoneEvent {
  readonly type: 'build-done';
  readonly built: number;
  readonly cached: number;
  readonly failed: number;
  readonly ms: number;
  /** The slowest jobs of this build (at most 3, slowest first). */
  readonly slowest?: readonly { readonly id: string; readonly ms: number }[];
}

/** A problem that is not one job's: config load/validation, planning (watch mode reports these and keeps going). */
export interface BuildErrorEvent {
  readonly type: 'build-error';
  readonly code: string;
  readonly message: string;
  readonly where?: Location;
  readonly hint?: string;
}

export interface WatchReadyEvent {
  readonly type: 'watch-ready';
  /** Files being watched (config, models, external data locations). */
  readonly files: readonly string[];
}

export interface RebuildStartEvent {
  readonly type: 'rebuild-start';
  /** Files whose change triggered this rebuild. */
  readonly changed: readonly string[];
  /** Job ids that will be rebuilt (the rest are unaffected). */
  readonly jobs: readonly string[];
}

export type BuildEvent =
  | BuildStartEvent | JobStartEvent | JobDoneEvent | JobErrorEvent | BuildDoneEvent
  | BuildErrorEvent | WatchReadyEvent | RebuildStartEvent;

export type BuildEventListener = (e: BuildEvent) => void;

export function diagnosticEvent(d: Diagnostic): Omit<BuildErrorEvent, 'type'> {
  return { code: d.code, message: d.message, ...(d.where ? { where: d.where } : {}), ...(d.hint ? { hint: d.hint } : {}) };
}
