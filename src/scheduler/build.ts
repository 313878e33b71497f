/**
 * The build API: load config, plan, run every job (cache or worker), write artifacts atomically, emit events.
 * Config and planning problems reject with a RelaxError (the CLI exits 2); job failures are reported per job
 * and in the summary (exit 1), and never stop the other jobs.
 */
import path from 'node:path';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { BuildCache } from './cache.js';
import { loadHashMemo, saveHashMemo } from './hash.js';
import type { BuildEventListener } from './events.js';
import { planJobs, type PlannedJob } from './plan.js';
import { createPool, defaultPoolSize, type WorkerPool } from './pool.js';
import { runJobs, safeEmit, type JobOutcome } from './run-jobs.js';
import { compilerVersion, toolchainVersions } from './toolchains.js';
import { cleanStaleTemps } from './write.js';

export interface BuildOptions {
  /** Where config discovery starts and relative CLI paths resolve; default process.cwd(). */
  readonly cwd?: string;
  /** An explicit config file (`--config`). */
  readonly config?: string;
  /** Globs over `model` or `model:target`. */
  readonly filter?: readonly string[];
  /** Ignore the cache (every job rebuilt, reason 'forced'). */
  readonly force?: boolean;
  /** Worker threads; default os.availableParallelism(). */
  readonly jobs?: number;
  /** Absolute path or URL of a module whose default export is `(job) => Promise<CompileResult>` (tests). */
  readonly workerModule?: string | URL;
  readonly onEvent?: BuildEventListener;
  readonly signal?: AbortSignal;
}

export interface BuildSummary {
  readonly ok: boolean;
  readonly built: number;
  readonly cached: number;
  readonly failed: number;
  readonly ms: number;
  readonly config: string | undefined;
  readonly outDir: string;
  readonly jobs: readonly JobOutcome[];
}

export interface PreparedBuild {
  readonly config: LoadedConfig;
  readonly jobs: readonly PlannedJob[];
}

/** Loads the config and plans its jobs (throws RelaxError for config/plan problems). */
export async function prepareBuild(options: Pick<BuildOptions, 'cwd' | 'config' | 'filter'>): Promise<PreparedBuild> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const config = await loadConfig({ cwd, ...(options.config ? { configFile: options.config } : {}) });
  const jobs = planJobs(config, { cwd, ...(options.filter ? { filter: options.filter } : {}) });
  return { config, jobs };
}

export function poolSize(requested: number | undefined, jobCount: number): number {
  const n = requested ?? defaultPoolSize();
  return Math.max(1, Math.min(n, Math.max(1, jobCount)));
}

export async function build(options: BuildOptions = {}): Promise<BuildSummary> {
  const t0 = performance.now();
  const emit = safeEmit(options.onEvent);
  const { config, jobs } = await prepareBuild(options);
  const cache = new BuildCache(config.cacheDir);
  const memoFile = path.join(config.cacheDir, 'file-hashes.json');
  const [toolchains] = await Promise.all([toolchainVersions(), cleanStaleTemps(config.outDir), cache.cleanStale(), loadHashMemo(memoFile)]);
  const size = poolSize(options.jobs, jobs.length);
  emit({ type: 'build-start', ...(config.file ? { config: config.file } : {}), jobs: jobs.map((j) => j.id), threads: size });
  let pool: WorkerPool | undefined;
  try {
    pool = createPool({ size, ...(options.workerModule ? { workerModule: options.workerModule } : {}) });
    const run = await runJobs({
      outDir: config.outDir,
      cache,
      pool,
      toolchains,
      compiler: compilerVersion(),
      ...(options.force ? { force: true } : {}),
      emit,
      ...(options.signal ? { signal: options.signal } : {}),
    }, jobs);
    await saveHashMemo(memoFile, jobs.flatMap((j) => [j.modelPath, ...j.dataCandidates])).catch(() => undefined);
    const ms = Math.round(performance.now() - t0);
    emit({ type: 'build-done', built: run.built, cached: run.cached, failed: run.failed, ms });
    return { ok: run.ok, built: run.built, cached: run.cached, failed: run.failed, ms, config: config.file, outDir: config.outDir, jobs: run.jobs };
  } finally {
    await pool?.destroy();
  }
}
