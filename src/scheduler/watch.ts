/**
 * Watch mode: an initial build, then rebuilds of the jobs that a change affects.
 *
 * chokidar watches the config file, every model file and the places its external data may appear — never
 * outDir or cacheDir, so our own writes cannot trigger a rebuild. Events are debounced and coalesced. Each
 * rebuild reloads the config when it changed, re-plans, and diffs jobs by cache key: only jobs whose key moved
 * are run. A newer change aborts in-flight work of the previous rebuild (its results are dropped). Broken
 * configs and models are reported (`build-error` / `job-error`) and the watcher keeps going.
 */
import path from 'node:path';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { RelaxError, isRelaxError, toDiagnostic } from '../diagnostics/index.js';
import { findConfigFile, loadConfig, type LoadedConfig } from '../config/load.js';
import { BuildCache, computeCacheKey, type CacheKey } from './cache.js';
import { loadHashMemo, saveHashMemo } from './hash.js';
import { diagnosticEvent } from './events.js';
import { stateDir, type BuildOptions } from './build.js';
import { compilerIdentity } from './compiler-id.js';
import { configDependencies } from './config-deps.js';
import { planJobs, type PlannedJob } from './plan.js';
import { createPool, defaultPoolSize, poolOptions, type WorkerPool } from './pool.js';
import { DEFAULT_CACHE_MAX_BYTES, pruneCache } from './prune.js';
import { runJobs, safeEmit } from './run-jobs.js';
import { discoverConfig } from './snapshot.js';
import { ToolchainProbe } from './toolchains.js';
import { cleanStaleTemps } from './write.js';

export interface WatchOptions extends Omit<BuildOptions, 'signal'> {
  /** Quiet period before a rebuild starts; default 50 ms. */
  readonly debounceMs?: number;
}

export interface WatchHandle {
  /** Files currently watched. */
  files(): string[];
  /** Resolves when no rebuild is running or pending (handy for tests and scripts). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

function inside(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

export async function watch(options: WatchOptions = {}): Promise<WatchHandle> {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const emit = safeEmit(options.onEvent);
  const debounceMs = options.debounceMs ?? 50;
  const state = stateDir(cwd, options.cacheDir, discoverConfig(cwd, options.config));
  const compiler = await compilerIdentity(state && path.join(state, 'compiler.json'));
  let probe: ToolchainProbe | undefined;

  let configFile: string | undefined = options.config ? path.resolve(cwd, options.config) : undefined;
  let config: LoadedConfig | undefined;
  /** Cache key of each job's last settled outcome (built, cached or failed). */
  const lastKeys = new Map<string, string>();
  let pool: WorkerPool | undefined;
  let watcher: FSWatcher | undefined;
  let watched = new Set<string>();
  const pending = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let controller: AbortController | undefined;
  let closed = false;
  const idleWaiters: (() => void)[] = [];

  const reportError = (e: unknown): void => {
    emit({ type: 'build-error', ...diagnosticEvent(toDiagnostic(e)) });
  };

  const cacheDirOf = (c: LoadedConfig): string => (options.cacheDir ? path.resolve(cwd, options.cacheDir) : c.cacheDir);
  const isOutput = (p: string): boolean => !!config && (inside(p, config.outDir) || inside(p, cacheDirOf(config)));
  /** The config and the local modules it imports. */
  let configFiles: string[] = [];
  const isConfigFile = (f: string): boolean => f === configFile || configFiles.includes(f);

  const desiredFiles = (jobs: readonly PlannedJob[] | undefined): Set<string> => {
    const s = new Set<string>();
    if (configFile) {
      s.add(configFile);
      for (const f of configFiles) s.add(f);
    }
    for (const j of jobs ?? []) {
      for (const f of j.inputFiles) if (!isOutput(f.path)) s.add(f.path);
    }
    // Models in the config that the filter or a plan error left out are still worth watching.
    for (const m of config?.models ?? []) if (!isOutput(m.path)) s.add(m.path);
    return s;
  };

  const setWatched = (next: Set<string>): void => {
    if (!watcher) {
      watched = next;
      return;
    }
    const add = [...next].filter((f) => !watched.has(f));
    const remove = [...watched].filter((f) => !next.has(f));
    if (add.length) watcher.add(add);
    if (remove.length) watcher.unwatch(remove);
    watched = next;
  };

  /** Loads (when needed) and plans. Returns undefined after reporting a config/plan problem. */
  const refresh = async (reload: boolean): Promise<PlannedJob[] | undefined> => {
    if (reload || !config) {
      const found = configFile ?? discoverConfig(cwd, options.config);
      if (found) {
        try {
          configFiles = configDependencies(found);
        } catch {
          configFiles = [found];
        }
      }
      try {
        config = await loadConfig({ cwd, ...(options.config ? { configFile: options.config } : {}) });
        configFile = config.file;
      } catch (e) {
        config = undefined;
        if (!configFile) configFile = (await findConfigFile(cwd).catch(() => null)) ?? undefined;
        if (isRelaxError(e) && e.diagnostic.code === 'RLX_CONFIG_NOT_FOUND' && !configFile) throw e;
        reportError(e);
        setWatched(desiredFiles(undefined));
        return undefined;
      }
    }
    try {
      const jobs = planJobs(config, { cwd, ...(options.filter ? { filter: options.filter } : {}) });
      setWatched(desiredFiles(jobs));
      return jobs;
    } catch (e) {
      reportError(e);
      setWatched(desiredFiles(undefined));
      return undefined;
    }
  };

  const rebuild = async (changed: readonly string[], initial: boolean): Promise<void> => {
    const ctl = new AbortController();
    controller = ctl;
    const reload = initial || changed.some(isConfigFile);
    const jobs = await refresh(reload && !initial);
    if (!jobs || !config || ctl.signal.aborted) return;
    const cacheDir = cacheDirOf(config);
    if (initial) await loadHashMemo(path.join(cacheDir, 'file-hashes.json'));
    probe ??= new ToolchainProbe(path.join(state ?? cacheDir, 'toolchains.json'));
    const toolchains = await probe.versions(new Set(jobs.map((j) => j.target.kind)));
    const keys = new Map<string, CacheKey>();
    for (const j of jobs) {
      try {
        keys.set(j.id, await computeCacheKey(j, { toolchains, compiler }));
      } catch {
        // The runner reports the problem (e.g. a model file that vanished) as that job's error.
      }
    }
    for (const id of [...lastKeys.keys()]) if (!jobs.some((j) => j.id === id)) lastKeys.delete(id);
    const affected = initial ? jobs : jobs.filter((j) => !keys.has(j.id) || lastKeys.get(j.id) !== keys.get(j.id)!.key);
    if (affected.length === 0 || ctl.signal.aborted) return;
    if (!initial) emit({ type: 'rebuild-start', changed: [...changed], jobs: affected.map((j) => j.id) });
    const size = options.jobs ?? defaultPoolSize();
    // One job per thread whatever --threads says: a stale job is cancelled by stopping its thread (piscina's abort),
    // which must not take other jobs down with it.
    const poolOpts = poolOptions(size, { ...options, threads: size });
    const cache = new BuildCache(cacheDir);
    const memoFile = path.join(cacheDir, 'file-hashes.json');
    await Promise.all([cleanStaleTemps(config.outDir), cache.cleanStale()]);
    const t0 = performance.now();
    emit({ type: 'build-start', ...(config.file ? { config: config.file } : {}), jobs: affected.map((j) => j.id), threads: pool?.size ?? poolOpts.size! });
    const run = await runJobs({
      outDir: config.outDir,
      cache,
      pool: () => (pool ??= createPool(poolOpts)),
      env: { toolchains, compiler },
      objectCacheDir: path.join(cacheDir, 'objects'),
      ...(options.force && initial ? { force: true } : {}),
      emit,
      signal: ctl.signal,
      dropStale: true,
      keys,
    }, affected);
    await saveHashMemo(memoFile, jobs.flatMap((j) => j.inputFiles.map((f) => f.path))).catch(() => undefined);
    await probe.save();
    if (run.built > 0) await pruneCache(cacheDir, config.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES).catch(() => undefined);
    for (const o of run.jobs) {
      if (o.status !== 'aborted' && o.key) lastKeys.set(o.id, o.key);
      else lastKeys.delete(o.id);
    }
    const slowest = [...run.jobs].filter((j) => j.status !== 'aborted').sort((a, b) => b.ms - a.ms).slice(0, 3).map((j) => ({ id: j.id, ms: j.ms }));
    emit({ type: 'build-done', built: run.built, cached: run.cached, failed: run.failed, ms: Math.round(performance.now() - t0), slowest });
  };

  const settleIdle = (): void => {
    if (running || pending.size > 0 || timer) return;
    while (idleWaiters.length) idleWaiters.shift()!();
  };

  const flush = (): void => {
    timer = undefined;
    if (closed) return;
    if (running) {
      // Newer changes: what is in flight is stale. It stops; the rebuild below picks up every pending change.
      controller?.abort();
      return;
    }
    const changed = [...pending].sort();
    pending.clear();
    running = rebuild(changed, false)
      .catch(reportError)
      .finally(() => {
        running = undefined;
        if (pending.size > 0 && !closed) flush();
        else settleIdle();
      });
  };

  const onChange = (file: string): void => {
    const abs = path.resolve(file);
    if (closed || !watched.has(abs) || isOutput(abs)) return;
    pending.add(abs);
    if (timer) clearTimeout(timer);
    timer = setTimeout(flush, debounceMs);
  };

  // Initial load and plan (a missing config is fatal: there is nothing to watch), then the watcher, then the build.
  let initialJobs: PlannedJob[] | undefined;
  try {
    initialJobs = await refresh(true);
  } catch (e) {
    throw isRelaxError(e) ? e : new RelaxError('RLX_INTERNAL', String(e));
  }
  watcher = chokidarWatch([...watched], {
    ignoreInitial: true,
    ignored: (p: string) => isOutput(path.resolve(p)),
    atomic: true,
  });
  for (const ev of ['add', 'change', 'unlink'] as const) watcher.on(ev, onChange);
  watcher.on('error', (e) => reportError(e));
  await new Promise<void>((resolve) => watcher!.once('ready', () => resolve()));
  if (initialJobs) {
    running = rebuild([], true).catch(reportError).finally(() => {
      running = undefined;
    });
    await running;
  }
  emit({ type: 'watch-ready', files: [...watched].sort() });
  if (pending.size > 0 && !timer) flush();

  return {
    files: () => [...watched].sort(),
    idle: () => new Promise<void>((resolve) => {
      idleWaiters.push(resolve);
      settleIdle();
    }),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      controller?.abort();
      await running?.catch(() => undefined);
      await watcher?.close();
      await pool?.destroy();
      pending.clear();
      settleIdle();
    },
  };
}
