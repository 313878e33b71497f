/**
 * The package root (`import { defineConfig, build } from 'relax'`): config helpers, the build API and its types.
 * The runtime lives at `relax/runtime`.
 */
export { defineConfig } from './config/define.js';
export type { RelaxConfig, TargetEntry, PipelineEntry, ModelEntry } from './config/schema.js';
export { loadConfig, type LoadedConfig, type ModelSpec, type TargetSpec } from './config/load.js';
export { resolveTarget, TARGET_TAGS } from './config/targets.js';
export { build, watch, planJobs, type BuildOptions, type BuildSummary, type WatchOptions, type WatchHandle, type PlannedJob, type MissReason, type JobOutcome } from './scheduler/index.js';
export type { BuildEvent, BuildEventListener, JobDoneEvent, JobErrorEvent, BuildDoneEvent, BuildStartEvent, JobStartEvent, BuildErrorEvent, WatchReadyEvent, RebuildStartEvent } from './scheduler/events.js';
export type { StageSpec } from './compiler/pipeline/registry.js';
export type { PipelineFn } from './compiler/pipeline/resolve.js';
export type { Target, TargetKind, TargetAttrs, PipelineRecord, Manifest } from './formats/manifest.js';
export type { CompileJob, CompileResult } from './compiler/job.js';
export { RelaxError, formatDiagnostic, type Diagnostic } from './diagnostics/index.js';
