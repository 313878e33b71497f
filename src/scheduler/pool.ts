/**
 * The worker pool (piscina, imported only on the first miss or when warmed: a fully cached build never loads
 * it). One task = one CompileJob. Jobs wait in a priority queue (costliest first, so the longest job does not
 * start last) and are handed to piscina when a thread is free (one job per thread, or several with `concurrency`
 * above `size`). The toolchain runs of all jobs share `--jobs` compile slots (backends/slots.ts), the longest
 * expected run first. A worker that dies (OOM, process.exit, an
 * uncaught error) fails only its job (RLX_WORKER_CRASHED); piscina replaces the thread and the build goes on. An
 * AbortSignal drops a queued job or cancels a running one (watch mode, when a newer change arrives).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Piscina } from 'piscina';
import type { CompileJob, CompileResult } from '../compiler/job.js';
import { claimCell, createSlots, releaseCell } from '../backends/slots.js';
import { os } from '../builtins.js';
import { bundleIsCurrent } from '../bundles.js';

export interface PoolOptions {
  /** Threads; default os().availableParallelism(). */
  readonly size?: number;
  /**
   * Jobs compiled at once, default `size`. Above `size`, each thread takes several jobs: their JavaScript
   * interleaves (the pipeline yields between passes) while each waits for its tool runs.
   */
  readonly concurrency?: number;
  /** Module whose default export is `(job) => Promise<CompileResult>`; default the compiled worker.js next to this file. */
  readonly workerModule?: string | URL;
  /** Old-generation heap limit per worker (MiB); a worker over it fails its job with RLX_WORKER_CRASHED. */
  readonly memoryLimitMb?: number;
  /**
   * Compile slots (backends/slots.ts): how many compiles may run at once across all jobs, default `size`. The
   * build passes `--jobs` here, which can exceed the threads when there are fewer jobs than that.
   */
  readonly slots?: number;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  /** Higher runs first (the scheduler passes the job's estimated cost). */
  readonly priority?: number;
  /** Called when the job leaves the queue and a thread takes it (the scheduler times the job from there). */
  readonly onStart?: () => void;
}

export interface WorkerPool {
  /** Worker threads. */
  readonly size: number;
  /** Jobs compiled at once. */
  readonly concurrency: number;
  /** Resolves with the result; a crashed worker gives an RLX_WORKER_CRASHED result; rejects only when aborted. */
  run(job: CompileJob, opts?: RunOptions): Promise<CompileResult>;
  /** Whether any worker thread was started. */
  readonly started: boolean;
  /**
   * Starts every thread now (each loads the compiler), ahead of the first job. Resolves once the threads exist:
   * from then on they load the compiler on their own, even while this thread is busy (a TS config's transpile
   * blocks it for ~250 ms), whereas a pending `import('piscina')` would wait for this thread's event loop.
   */
  warm(): Promise<void>;
  destroy(): Promise<void>;
}

export class JobAborted extends Error {
  constructor() {
    super('job aborted');
    this.name = 'JobAborted';
  }
}

function toPath(m: string | URL): string {
  if (m instanceof URL) return fileURLToPath(m);
  return m.startsWith('file:') ? fileURLToPath(m) : m;
}

export function defaultPoolSize(): number {
  return typeof os().availableParallelism === 'function' ? os().availableParallelism() : os().cpus().length;
}

interface Waiting {
  readonly priority: number;
  readonly seq: number;
  readonly start: () => void;
}

export function crashResult(job: CompileJob, msg: string): CompileResult {
  return {
    ok: false,
    files: [],
    diagnostics: [{
      code: 'RLX_WORKER_CRASHED',
      severity: 'error',
      message: `the worker compiling this job crashed: ${msg}`,
      where: { model: job.model, modelFile: job.modelSource, target: job.target.name },
      hint: 'Other jobs were not affected. This is a bug in relax (or a native toolchain), or the job ran out of memory; please report it with the model.',
    }],
    timings: [],
    schedule: [],
  };
}

/**
 * Pool options from build/watch options (only the keys that are set): `active` jobs at once on `--threads` worker
 * threads (default one per job), `--jobs` compile slots.
 */
export function poolOptions(active: number, o: { readonly jobs?: number; readonly threads?: number; readonly workerModule?: string | URL; readonly memoryLimitMb?: number }): PoolOptions {
  const size = Math.max(1, Math.min(active, o.threads ?? active));
  return {
    size, concurrency: active, slots: Math.max(active, o.jobs ?? defaultPoolSize()),
    ...(o.workerModule ? { workerModule: o.workerModule } : {}), ...(o.memoryLimitMb ? { memoryLimitMb: o.memoryLimitMb } : {}),
  };
}

/**
 * The compile worker's entry: dist/scheduler/worker.bundle.js (one file, scripts/bundle.mjs) while it matches the
 * compiled modules it was made from (bundles.ts), else worker.js. Written from the parent folder so that it
 * resolves the same from dist/scheduler/pool.js and from the CLI bundle (dist/bundle/), which inlines this module.
 */
export function workerEntry(dir: string = fileURLToPath(new URL('../scheduler/', import.meta.url)), root: string = path.dirname(dir)): string {
  const bundle = path.join(dir, 'worker.bundle.js');
  return bundleIsCurrent(bundle, path.join(dir, 'worker.bundle.json'), root) ? bundle : path.join(dir, 'worker.js');
}

export function createPool(opts: PoolOptions = {}): WorkerPool {
  const size = Math.max(1, Math.floor(opts.size ?? defaultPoolSize()));
  const concurrency = Math.max(size, Math.floor(opts.concurrency ?? size));
  const perThread = Math.ceil(concurrency / size);
  const filename = opts.workerModule ? toPath(opts.workerModule) : workerEntry();
  let piscina: Promise<Piscina> | undefined;
  let started = false;
  // The build's spawner (backends/spawner.ts) forks from this thread before any worker thread starts, while the
  // process is small; every job's tool runs come here over its tool port and go through it.
  let exec: Promise<typeof import('../backends/exec.js')> | undefined;
  const tools = (): Promise<typeof import('../backends/exec.js')> => {
    exec ??= import('../backends/exec.js').then((m) => {
      m.startSpawner();
      return m;
    });
    return exec;
  };
  const get = (minThreads = 1): Promise<Piscina> => {
    // Through require: piscina is CommonJS, and an ES import would first run Node's CommonJS export scan over it.
    piscina ??= tools().then(() => process.getBuiltinModule('node:module').createRequire(import.meta.url)('piscina') as typeof import('piscina')).then(({ Piscina: P }) => {
      started = true;
      const p = new P({
        filename, minThreads, maxThreads: size, idleTimeout: 30_000, concurrentTasksPerWorker: perThread,
        ...(opts.memoryLimitMb ? { resourceLimits: { maxOldGenerationSizeMb: opts.memoryLimitMb } } : {}),
      });
      // A dying worker also surfaces as an 'error' event; the task's rejection is what we act on.
      p.on('error', () => undefined);
      return p;
    });
    return piscina;
  };

  // Compile slots (backends/slots.ts): every cc/nvcc/ptxas/nvlink run of the build takes one, the longest expected
  // run first; a job's own JavaScript runs on its thread and holds none. A cell per job compiled at once.
  const slots = createSlots(Math.max(1, Math.floor(opts.slots ?? concurrency)), concurrency);
  let active = 0;
  let seq = 0;
  const queue: Waiting[] = [];
  const next = (): void => {
    while (active < concurrency && queue.length > 0) {
      queue.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
      active++;
      queue.shift()!.start();
    }
  };
  const slot = (priority: number, signal: AbortSignal | undefined): Promise<void> => new Promise((resolve, reject) => {
    const w: Waiting = {
      priority, seq: seq++,
      start: () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
    };
    const onAbort = (): void => {
      const i = queue.indexOf(w);
      if (i >= 0) queue.splice(i, 1);
      reject(new JobAborted());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    queue.push(w);
    // Jobs that arrive together are queued together before the first is started (so priority can act).
    setImmediate(next);
  });

  return {
    size,
    concurrency,
    get started() {
      return started;
    },
    async warm() {
      await get(size).catch(() => undefined);
    },
    async run(job, ro = {}) {
      const { signal } = ro;
      if (signal?.aborted) throw new JobAborted();
      await slot(ro.priority ?? 0, signal);
      ro.onStart?.();
      const slotCell = claimCell(slots, ro.priority ?? 0);
      try {
        if (signal?.aborted) throw new JobAborted();
        const p = await get();
        const { serveToolRuns } = await tools();
        const { port1, port2 } = new (process.getBuiltinModule('node:worker_threads').MessageChannel)();
        const close = serveToolRuns(port1);
        try {
          return (await p.run({ ...job, slots, slotCell, toolPort: port2 }, { transferList: [port2], ...(signal ? { signal } : {}) })) as CompileResult;
        } finally {
          close();
        }
      } catch (e) {
        if (signal?.aborted || e instanceof JobAborted) throw new JobAborted();
        return crashResult(job, e instanceof Error ? e.message : String(e));
      } finally {
        releaseCell(slots, slotCell);
        active--;
        next();
      }
    },
    async destroy() {
      const p = piscina;
      piscina = undefined;
      if (p) await (await p).destroy();
    },
  };
}
