/**
 * Runs planned jobs: cache lookup, dispatch of misses to the pool, atomic write, cache store, events.
 * Shared by one-shot builds and watch mode (which passes an AbortSignal to drop stale work).
 */
import path from 'node:path';
import { toDiagnostic, type Diagnostic } from '../diagnostics/index.js';
import type { CompileJob, CompileResult } from '../compiler/job.js';
import { BuildCache, computeCacheKey, hashModelInputs, type CacheKey, type KeyEnv, type MissReason } from './cache.js';
import type { BuildEvent, BuildEventListener } from './events.js';
import type { PlannedJob } from './plan.js';
import { JobAborted, type WorkerPool } from './pool.js';
import { artifactDir, writeArtifact } from './write.js';
import type { JobTrace } from './profile.js';
import { epochMs, fsp, nowMs, os } from '../builtins.js';

export interface RunContext {
  readonly outDir: string;
  readonly cache: BuildCache;
  /** Created on the first miss (a no-op build never creates one). */
  readonly pool: () => WorkerPool;
  readonly env: KeyEnv;
  /** Compiled kernel objects shared across jobs (cc/nvcc output), passed to workers. */
  readonly objectCacheDir?: string;
  readonly force?: boolean;
  readonly emit: BuildEventListener;
  readonly signal?: AbortSignal;
  /** Watch mode: a job whose inputs changed while it compiled is dropped (a newer rebuild follows). */
  readonly dropStale?: boolean;
  /** Precomputed keys (watch mode computes them to find affected jobs). */
  readonly keys?: ReadonlyMap<string, CacheKey>;
}

export type JobStatus = 'built' | 'cached' | 'failed' | 'aborted';

export interface JobOutcome {
  readonly id: string;
  readonly model: string;
  readonly target: string;
  readonly status: JobStatus;
  /** Why it was built or reused ('cache hit'); undefined when it failed before a lookup. */
  readonly reason?: MissReason;
  readonly ms: number;
  readonly dir?: string;
  readonly key?: string;
  readonly diagnostics: readonly Diagnostic[];
  readonly passes: CompileResult['timings'];
  /** A compiled job on the clock, for the build profile (`--profile`). */
  readonly trace?: JobTrace;
}

export interface RunSummary {
  readonly ok: boolean;
  readonly built: number;
  readonly cached: number;
  readonly failed: number;
  readonly ms: number;
  readonly jobs: readonly JobOutcome[];
}

export function safeEmit(listener: BuildEventListener | undefined): BuildEventListener {
  return (e: BuildEvent) => {
    if (!listener) return;
    try {
      listener(e);
    } catch (err) {
      process.emitWarning(`relax: a build event listener threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}

export async function runJobs(ctx: RunContext, jobs: readonly PlannedJob[]): Promise<RunSummary> {
  const t0 = nowMs();
  // Misses wait until every job's cache lookup is done, so the pool sees them all and can start the costliest first.
  let pending = jobs.length;
  let release!: () => void;
  const allLooked = new Promise<void>((r) => { release = r; });
  const arrive = (): void => {
    if (--pending === 0) release();
  };
  const outcomes = await Promise.all(jobs.map(async (job) => {
    let arrived = false;
    const once = (): void => {
      if (!arrived) {
        arrived = true;
        arrive();
      }
    };
    try {
      return await runOne(ctx, job, async () => {
        once();
        await allLooked;
      });
    } finally {
      once();
    }
  }));
  const count = (s: JobStatus) => outcomes.filter((o) => o.status === s).length;
  const summary: RunSummary = {
    ok: count('failed') === 0,
    built: count('built'),
    cached: count('cached'),
    failed: count('failed'),
    ms: Math.round(nowMs() - t0),
    jobs: outcomes,
  };
  return summary;
}

const ms = (t0: number): number => Math.round((nowMs() - t0) * 10) / 10;

/** A job's timing: `t0` moves to when a worker thread takes the job, and the wait before is kept apart. */
interface JobClock {
  t0: number;
  queuedMs?: number;
}

const queued = (c: JobClock): { queuedMs?: number } => (c.queuedMs !== undefined ? { queuedMs: c.queuedMs } : {});

async function runOne(ctx: RunContext, job: PlannedJob, lookedUp: () => Promise<void>): Promise<JobOutcome> {
  const clock: JobClock = { t0: nowMs() };
  const base = { id: job.id, model: job.model, target: job.target.name };
  const aborted = (): JobOutcome => ({ ...base, status: 'aborted', ms: ms(clock.t0), diagnostics: [], passes: [] });
  const fail = (diags: readonly Diagnostic[], extra: { reason?: MissReason; key?: string } = {}): JobOutcome => {
    const first = diags.find((d) => d.severity === 'error') ?? diags[0] ?? {
      code: 'RLX_INTERNAL', severity: 'error' as const, message: 'the compiler reported failure without a diagnostic',
      hint: 'This is a bug in relax. Please report it.',
    };
    const all = diags.length > 0 ? diags : [first];
    const t = ms(clock.t0);
    ctx.emit({
      type: 'job-error', model: job.model, target: job.target.name, code: first.code, message: first.message,
      ...(first.where ? { where: first.where } : {}), ...(first.hint ? { hint: first.hint } : {}), ms: t, ...queued(clock), diagnostics: all,
      ...(extra.reason ? { reason: extra.reason } : {}),
    });
    return { ...base, status: 'failed', ms: t, diagnostics: all, passes: [], ...extra };
  };
  if (ctx.signal?.aborted) return aborted();
  ctx.emit({ type: 'job-start', model: job.model, target: job.target.name });
  const where = { model: job.model, modelFile: job.modelSource, target: job.target.name };
  const dir = artifactDir(ctx.outDir, job.model, job.target.name);

  // The job's last record gives its previous key (computeCacheKey) and what it last wrote (lookup).
  const record = ctx.cache.readRecord(job);
  let key: CacheKey;
  try {
    key = ctx.keys?.get(job.id) ?? (await computeCacheKey(job, ctx.env, record));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return fail([{ code: 'RLX_MODEL_NOT_FOUND', severity: 'error', message: `model file ${job.modelSource} not found (resolved to ${job.modelPath})`, where, hint: 'Model paths are relative to the config file.' }]);
    }
    return fail([toDiagnostic(e, where)]);
  }

  // Cache.
  try {
    const look = await ctx.cache.lookup(job, key, { force: ctx.force, artifactDir: dir, record });
    if (look.hit) {
      if (ctx.signal?.aborted) return aborted();
      if (!look.upToDate) {
        await writeArtifact(ctx.outDir, job.model, job.target.name, look.files);
        await ctx.cache.markWritten(job, key, dir);
      }
      const t = ms(clock.t0);
      ctx.emit({ type: 'job-done', model: job.model, target: job.target.name, cached: true, reason: look.reason, ms: t, dir, passes: [], schedule: [], warnings: [] });
      return { ...base, status: 'cached', reason: look.reason, ms: t, dir, key: key.key, diagnostics: [], passes: [] };
    }
    const priority = job.cost;
    // Everything async happens before the barrier, so that after it every miss reaches the pool in the same tick
    // and the pool's priority queue sees them all (costliest job first).
    const tmpDir = await fsp().mkdtemp(path.join(os().tmpdir(), `relax-${job.model}-${job.target.name}-`));
    try {
      await lookedUp();
    } catch (e) {
      await fsp().rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    return await compileAndStore(ctx, job, key, look.reason, dir, clock, base, fail, aborted, priority, tmpDir);
  } catch (e) {
    if (e instanceof JobAborted) return aborted();
    return fail([writeDiagnostic(e, where)], { key: key.key });
  }
}

async function compileAndStore(
  ctx: RunContext, job: PlannedJob, key: CacheKey, reason: MissReason, dir: string, clock: JobClock,
  base: { id: string; model: string; target: string },
  fail: (d: readonly Diagnostic[], extra?: { reason?: MissReason; key?: string }) => JobOutcome,
  aborted: () => JobOutcome,
  priority: number,
  tmpDir: string,
): Promise<JobOutcome> {
  let result: CompileResult;
  const queuedAt = epochMs();
  let startAt = queuedAt;
  try {
    const cjob: CompileJob = {
      model: job.model, modelPath: job.modelPath, modelSource: job.modelSource, target: job.target, pipeline: job.pipeline, tmpDir,
      ...(ctx.objectCacheDir ? { objectCacheDir: ctx.objectCacheDir } : {}),
      ...(job.bind ? { bind: job.bind } : {}), ...(job.configFile ? { configFile: job.configFile } : {}),
    };
    const onStart = (): void => {
      clock.queuedMs = ms(clock.t0);
      clock.t0 = nowMs();
      startAt = epochMs();
    };
    result = await ctx.pool().run(cjob, { ...(ctx.signal ? { signal: ctx.signal } : {}), priority, onStart });
  } catch (e) {
    if (e instanceof JobAborted) return aborted();
    throw e;
  } finally {
    await fsp().rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
  }
  if (ctx.signal?.aborted) return aborted();
  // The compiler read the model itself; if it changed meanwhile, the result does not belong to `key`.
  const now = await hashModelInputs(job).catch(() => undefined);
  const stale = !now || JSON.stringify(now.files) !== JSON.stringify(key.inputs.files);
  if (!result.ok) {
    if (!stale) await ctx.cache.remember(job, key).catch(() => undefined);
    else if (ctx.dropStale) return aborted();
    return fail(result.diagnostics, { reason, key: key.key });
  }
  if (stale && ctx.dropStale) return aborted();

  const stored = nowMs();
  await writeArtifact(ctx.outDir, job.model, job.target.name, result.files);
  if (!stale) {
    await ctx.cache.store(job, key, result.files);
    await ctx.cache.markWritten(job, key, dir);
  }
  const phases = { ...result.phases, store: ms(stored) };
  const t = ms(clock.t0);
  const warnings = result.diagnostics.filter((d) => d.severity !== 'error');
  ctx.emit({
    type: 'job-done', model: job.model, target: job.target.name, cached: false, reason, ms: t, ...queued(clock), dir,
    passes: result.timings, phases, schedule: result.schedule, warnings,
  });
  const trace: JobTrace = {
    id: base.id, queuedAt, startAt: result.profile?.startAt ?? startAt, endAt: epochMs(), phases, tools: result.profile?.tools ?? [],
    ...(result.profile ? { thread: result.profile.thread } : {}),
  };
  return { ...base, status: 'built', reason, ms: t, dir, key: key.key, diagnostics: result.diagnostics, passes: result.timings, trace };
}

function writeDiagnostic(e: unknown, where: Diagnostic['where']): Diagnostic {
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && typeof err.syscall === 'string') {
    return {
      code: 'RLX_WRITE_FAILED', severity: 'error', message: `could not write the artifact or cache entry: ${err.message}`,
      ...(where ? { where } : {}), hint: 'Check that outDir and cacheDir are writable.',
    };
  }
  return toDiagnostic(e, where);
}
