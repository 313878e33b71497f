/**
 * The build API: plan (from the plan snapshot when the config is unchanged, else load the config), key every
 * job, serve hits from the cache, compile misses on worker threads, write artifacts atomically, emit events.
 * Config and planning problems reject with a RelaxError (the CLI exits 2); job failures are reported per job
 * and in the summary (exit 1), and never stop the other jobs.
 *
 * A no-op build loads neither the config evaluator nor the compiler nor piscina: it stats the config's files
 * (snapshot), stats relax's own files (compiler identity memo), stats the toolchain binaries (version memo),
 * stats the model files (hash memo), reads each job's cache record and stats its artifact files.
 */
import path from 'node:path';
import type { LoadedConfig } from '../config/load.js';
import { BuildCache } from './cache.js';
import { compilerIdentity } from './compiler-id.js';
import type { BuildEventListener } from './events.js';
import { loadHashMemo, saveHashMemo } from './hash.js';
import type { PlannedJob } from './plan.js';
import { createPool, defaultPoolSize, poolOptions, type WorkerPool } from './pool.js';
import { writeProfile, type MainStep } from './profile.js';
import { runJobs, safeEmit, type JobOutcome } from './run-jobs.js';
import { discoverConfig, readSnapshot, stampDeps, writeSnapshot, type SnapshotConfig } from './snapshot.js';
import { ToolchainProbe } from './toolchains.js';
import { cleanStaleTemps } from './write.js';
import { epochMs, nowMs } from '../builtins.js';

export interface BuildOptions {
  /** Where config discovery starts and relative CLI paths resolve; default process.cwd(). */
  readonly cwd?: string;
  /** An explicit config file (`--config`). */
  readonly config?: string;
  /** Globs over `model` or `model:target`. */
  readonly filter?: readonly string[];
  /** Ignore the cache and the plan snapshot (every job rebuilt, reason '--force'). */
  readonly force?: boolean;
  /** Jobs compiled at once, and toolchain runs at once; default os.availableParallelism(). */
  readonly jobs?: number;
  /** Worker threads running the compiler's JavaScript; default one per job compiled at once (`jobs`). */
  readonly threads?: number;
  /** Write a profile of the build here (Chrome trace events: main thread, jobs, compile slots). */
  readonly profile?: string;
  /** Cache folder (`--cache-dir`), relative to cwd; overrides the config's `cacheDir`. */
  readonly cacheDir?: string;
  /** Heap limit per worker thread in MiB (a worker over it fails its job, not the build). */
  readonly memoryLimitMb?: number;
  /** Reuse the plan snapshot when the config's files are unchanged (default true). */
  readonly snapshot?: boolean;
  /** Absolute path or URL of a module whose default export is `(job) => Promise<CompileResult>` (tests). */
  readonly workerModule?: string | URL;
  /** Receives every event (the same objects `--json` prints, with `type` for the CLI's `event`). */
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
  readonly cacheDir: string;
  readonly jobs: readonly JobOutcome[];
  /** Whether the plan came from the snapshot (the config was not evaluated). */
  readonly fromSnapshot: boolean;
}

export interface PreparedBuild {
  readonly config: LoadedConfig;
  readonly jobs: readonly PlannedJob[];
}

/** Loads the config and plans its jobs (throws RelaxError for config/plan problems). Loads the heavy modules. */
export async function prepareBuild(options: Pick<BuildOptions, 'cwd' | 'config' | 'filter'>): Promise<PreparedBuild> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const [{ loadConfig }, { planJobs }] = await Promise.all([import('../config/load.js'), import('./plan.js')]);
  const config = await loadConfig({ cwd, ...(options.config ? { configFile: options.config } : {}) });
  const jobs = planJobs(config, { cwd, ...(options.filter ? { filter: options.filter } : {}) });
  return { config, jobs };
}

export function poolSize(requested: number | undefined, jobCount: number): number {
  const n = requested ?? defaultPoolSize();
  return Math.max(1, Math.min(n, Math.max(1, jobCount)));
}

/** Where memo files live: `--cache-dir`, else the default cache folder beside the config. */
export function stateDir(cwd: string, cacheDir: string | undefined, configFile: string | undefined): string | undefined {
  if (cacheDir) return path.resolve(cwd, cacheDir);
  return configFile ? path.join(path.dirname(configFile), 'node_modules', '.cache', 'relax') : undefined;
}

export interface Planned {
  readonly config: SnapshotConfig;
  readonly jobs: readonly PlannedJob[];
  readonly fromSnapshot: boolean;
}

/**
 * The plan, from the snapshot when valid, else by loading the config (and then saving a snapshot). `found` is
 * what config discovery gives for these options (discoverConfig).
 */
export async function planBuild(options: BuildOptions, found: string | undefined, relax: string, beforeLoad?: () => Promise<void>): Promise<Planned> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const req = { cwd, ...(options.config ? { config: options.config } : {}), ...(options.filter ? { filter: options.filter } : {}), ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}) };
  if (options.snapshot !== false && !options.force) {
    const snap = readSnapshot(req, found, relax);
    if (snap) return { config: snap.config, jobs: snap.jobs, fromSnapshot: true };
  }
  // Only this path (the config must be evaluated) needs these: a no-op build does not load them.
  const [{ configDependencies }, { DEFAULT_CACHE_MAX_BYTES }] = await Promise.all([import('./config-deps.js'), import('./prune.js')]);
  const deps = found ? stampDeps(configDependencies(found)) : {};
  await beforeLoad?.();
  const { config, jobs } = await prepareBuild(options);
  const snapConfig: SnapshotConfig = {
    ...(config.file ? { file: config.file } : {}),
    outDir: config.outDir,
    cacheDir: options.cacheDir ? path.resolve(cwd, options.cacheDir) : config.cacheDir,
    cacheMaxBytes: config.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES,
  };
  if (config.file && config.file === found) await writeSnapshot(req, relax, snapConfig, deps, jobs);
  return { config: snapConfig, jobs, fromSnapshot: false };
}

export async function build(options: BuildOptions = {}): Promise<BuildSummary> {
  const t0 = nowMs();
  // The profile's clock (epoch ms); only a profiled build reads it (the performance global costs a no-op ~3 ms).
  const steps: MainStep[] = [];
  let stepAt = options.profile ? performance.timeOrigin : 0;
  const step = (name: string): void => {
    if (!options.profile) return;
    const now = epochMs();
    steps.push({ name, startAt: stepAt, endAt: now });
    stepAt = now;
  };
  step('node start-up and loading relax');
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const emit = safeEmit(options.onEvent);
  const found = discoverConfig(cwd, options.config);
  const state = stateDir(cwd, options.cacheDir, found);
  const compiler = await compilerIdentity(state && path.join(state, 'compiler.json'));
  let pool: WorkerPool | undefined;
  try {
    // When the config has to be evaluated (it changed, or --force), jobs are likely to compile: the worker threads
    // start now and load the compiler while this thread loads the config and plans.
    // The toolchains' versions are probed meanwhile as well (a spawn each, off this thread's path to the first job).
    const warm = (): Promise<void> => {
      pool ??= createPool(poolOptions(options.jobs ?? defaultPoolSize(), options));
      const threads = pool.warm();
      void new ToolchainProbe(undefined).versions(['cpu', 'cuda']).catch(() => undefined);
      return threads;
    };
    const { config, jobs, fromSnapshot } = await planBuild(options, found, compiler, warm);
    step(fromSnapshot ? 'plan (from the snapshot)' : 'load the config and plan');
    const cacheDir = config.cacheDir;
    const probe = new ToolchainProbe(path.join(state ?? cacheDir, 'toolchains.json'));
    const memoFile = path.join(cacheDir, 'file-hashes.json');
    const [toolchains] = await Promise.all([probe.versions(new Set(jobs.map((j) => j.target.kind))), cleanStaleTemps(config.outDir), loadHashMemo(memoFile)]);
    const cache = new BuildCache(cacheDir);
    const active = pool?.concurrency ?? poolSize(options.jobs, jobs.length);
    emit({ type: 'build-start', ...(config.file ? { config: config.file } : {}), jobs: jobs.map((j) => j.id), threads: pool?.size ?? poolOptions(active, options).size! });
    step('toolchains and cache');
    const run = await runJobs({
      outDir: config.outDir,
      cache,
      pool: () => (pool ??= createPool(poolOptions(active, options))),
      env: { toolchains, compiler },
      objectCacheDir: path.join(cacheDir, 'objects'),
      ...(options.force ? { force: true } : {}),
      emit,
      ...(options.signal ? { signal: options.signal } : {}),
    }, jobs);
    await Promise.all([
      saveHashMemo(memoFile, jobs.flatMap((j) => j.inputFiles.map((f) => f.path))).catch(() => undefined),
      probe.save(),
      // Only a build that stored something can have grown the cache.
      run.built > 0
        ? import('./prune.js').then(({ pruneCache }) => pruneCache(cacheDir, config.cacheMaxBytes)).then(() => cache.cleanStale()).catch(() => undefined)
        : undefined,
    ]);
    step('jobs');
    const ms = Math.round(nowMs() - t0);
    if (options.profile) {
      const traces = run.jobs.flatMap((j) => (j.trace ? [j.trace] : []));
      await writeProfile(path.resolve(cwd, options.profile), performance.timeOrigin, steps, traces);
    }
    const slowest = [...run.jobs].filter((j) => j.status !== 'aborted').sort((a, b) => b.ms - a.ms).slice(0, 3).map((j) => ({ id: j.id, ms: j.ms }));
    emit({ type: 'build-done', built: run.built, cached: run.cached, failed: run.failed, ms, slowest });
    return { ok: run.ok, built: run.built, cached: run.cached, failed: run.failed, ms, config: config.file, outDir: config.outDir, cacheDir, jobs: run.jobs, fromSnapshot };
  } finally {
    await pool?.destroy();
  }
}
