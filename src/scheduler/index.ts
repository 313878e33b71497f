/** The scheduler: planning, cache, pool, atomic writes, build and watch. */
export { build, prepareBuild, type BuildOptions, type BuildSummary, type PreparedBuild } from './build.js';
export { watch, type WatchOptions, type WatchHandle } from './watch.js';
export { planJobs, resolveJobPipeline, jobFilter, jobId, externalDataCandidates, type PlannedJob, type PlanOptions } from './plan.js';
export { BuildCache, computeCacheKey, type CacheKey, type KeyInputs, type MissReason, CACHE_HIT, explainChange, type Lookup } from './cache.js';
export { writeArtifact, artifactDir, cleanStaleTemps } from './write.js';
export { toolchainVersions, toolchainsFor, compilerVersion, ToolchainProbe, type ToolchainVersions } from './toolchains.js';
export { compilerIdentity } from './compiler-id.js';
export { pruneCache, cleanCache, cacheSize, DEFAULT_CACHE_MAX_BYTES, type PruneResult } from './prune.js';
export type { JobOutcome, JobStatus } from './run-jobs.js';
export type * from './events.js';
