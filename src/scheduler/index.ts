/** The scheduler: planning, cache, pool, atomic writes, build and watch. */
export { build, prepareBuild, type BuildOptions, type BuildSummary, type PreparedBuild } from './build.js';
export { watch, type WatchOptions, type WatchHandle } from './watch.js';
export { planJobs, resolveJobPipeline, jobFilter, jobId, externalDataCandidates, type PlannedJob, type PlanOptions } from './plan.js';
export { BuildCache, computeCacheKey, type CacheKey, type KeyParts, type MissReason, type Lookup } from './cache.js';
export { writeArtifact, artifactDir, cleanStaleTemps } from './write.js';
export { toolchainVersions, toolchainsFor, compilerVersion, type ToolchainVersions } from './toolchains.js';
export type { JobOutcome, JobStatus } from './run-jobs.js';
export type * from './events.js';
