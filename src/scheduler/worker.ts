/**
 * The worker entry (runs in a piscina worker thread). It receives a CompileJob and returns a CompileResult,
 * both plain data. It never prints (console and stdio are silenced so `--json` output stays clean) and never
 * throws: anything thrown by the compiler becomes a diagnostic. Only a dying worker rejects (RLX_WORKER_CRASHED).
 */
import { threadId } from 'node:worker_threads';
import type { CompileJob, CompileResult, ToolSpan } from '../compiler/job.js';
import { toDiagnostic } from '../diagnostics/index.js';
import { setObjectCacheDir } from '../backends/object-cache.js';
import { runInJob } from '../backends/slots.js';
import { epochMs, nowMs } from '../builtins.js';

type CompileFn = (job: CompileJob) => Promise<CompileResult>;

function silence(): void {
  const noop = (): void => undefined;
  for (const k of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table'] as const) {
    (console as unknown as Record<string, unknown>)[k] = noop;
  }
  const swallow = ((..._args: unknown[]) => true) as typeof process.stdout.write;
  process.stdout.write = swallow;
  process.stderr.write = swallow;
}
silence();

let compileFn: Promise<CompileFn> | undefined;

function loadCompile(): Promise<CompileFn> {
  compileFn ??= import('../compiler/compile.js').then((m) => m.compile);
  return compileFn;
}

// The compiler (~200 ms of module loading) starts loading as soon as the thread does, so a pool warmed while the
// main thread loads the config is ready when the first job arrives. A failure surfaces on the first job.
loadCompile().catch(() => undefined);

export default async function runJob(job: CompileJob): Promise<CompileResult> {
  try {
    const startAt = epochMs();
    const t0 = nowMs();
    const compile = await loadCompile();
    const load = Math.round((nowMs() - t0) * 10) / 10;
    setObjectCacheDir(job.objectCacheDir);
    const tools: ToolSpan[] = [];
    // Each job has its own slot cell and tool record, also while another job runs on this thread.
    // Its tool runs go over its tool port to the build's spawner (exec.ts).
    const context = {
      ...(job.slots ? { slots: job.slots } : {}), ...(job.slotCell !== undefined ? { cell: job.slotCell } : {}), tools,
      ...(job.toolPort ? { toolPort: job.toolPort } : {}),
    };
    const result = await runInJob(context, () => compile(job)).finally(() => job.toolPort?.close());
    const profile = { thread: threadId, startAt, tools };
    return load >= 1 ? { ...result, phases: { load, ...result.phases }, profile } : { ...result, profile };
  } catch (e) {
    return {
      ok: false,
      files: [],
      diagnostics: [toDiagnostic(e, { model: job.model, modelFile: job.modelSource, target: job.target.name })],
      timings: [],
      schedule: [],
    };
  }
}
