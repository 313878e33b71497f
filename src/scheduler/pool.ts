/**
 * The worker pool (piscina). One task = one CompileJob. A worker that dies fails only its job
 * (RLX_WORKER_CRASHED); piscina replaces the thread and the build goes on.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { CompileJob, CompileResult } from '../compiler/job.js';

export interface PoolOptions {
  /** Threads; default os.availableParallelism(). */
  readonly size?: number;
  /** Module whose default export is `(job) => Promise<CompileResult>`; default the compiled worker.js next to this file. */
  readonly workerModule?: string | URL;
}

export interface WorkerPool {
  readonly size: number;
  /** Resolves with the result; a crashed worker gives an RLX_WORKER_CRASHED result; rejects only when aborted. */
  run(job: CompileJob, signal?: AbortSignal): Promise<CompileResult>;
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
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
}

export function createPool(opts: PoolOptions = {}): WorkerPool {
  const size = Math.max(1, Math.floor(opts.size ?? defaultPoolSize()));
  const filename = toPath(opts.workerModule ?? new URL('./worker.js', import.meta.url));
  // Threads start on the first miss: a fully cached build never spawns a worker.
  let piscina: Piscina | undefined;
  const get = (): Piscina => {
    if (!piscina) {
      piscina = new Piscina({ filename, minThreads: 1, maxThreads: size, idleTimeout: 30_000, concurrentTasksPerWorker: 1 });
      // A dying worker also surfaces as an 'error' event; the task's rejection is what we act on.
      piscina.on('error', () => undefined);
    }
    return piscina;
  };
  return {
    size,
    async run(job, signal) {
      if (signal?.aborted) throw new JobAborted();
      try {
        return (await get().run(job, signal ? { signal } : {})) as CompileResult;
      } catch (e) {
        if (signal?.aborted) throw new JobAborted();
        const msg = e instanceof Error ? e.message : String(e);
        return {
          ok: false,
          files: [],
          diagnostics: [{
            code: 'RLX_WORKER_CRASHED',
            severity: 'error',
            message: `the worker compiling this job crashed: ${msg}`,
            where: { model: job.model, modelFile: job.modelSource, target: job.target.name },
            hint: 'Other jobs were not affected. This is a bug in relax (or a native toolchain); please report it with the model.',
          }],
          timings: [],
          schedule: [],
        };
      }
    },
    async destroy() {
      await piscina?.destroy();
      piscina = undefined;
    },
  };
}
