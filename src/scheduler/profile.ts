/**
 * The build profile (`relax build --profile FILE`): where a build's time went, as Chrome trace events (open the
 * file in https://ui.perfetto.dev or chrome://tracing). Lanes: the main thread's steps; one lane per compiled job
 * (queued, then its phases on its worker thread); and the toolchain runs on the build's compile slots, each lane
 * one slot, so gaps there are idle cores.
 */
import type { JobPhases, ToolSpan } from '../compiler/job.js';
import { writeJsonAtomic } from './stamp.js';

/** A compiled job on the clock (epoch ms). */
export interface JobTrace {
  readonly id: string;
  /** When it was handed to the pool, when a thread took it, when its artifact was stored. */
  readonly queuedAt: number;
  readonly startAt: number;
  readonly endAt: number;
  readonly thread?: number;
  readonly phases?: JobPhases;
  readonly tools: readonly ToolSpan[];
}

/** A step of the main thread (epoch ms). */
export interface MainStep {
  readonly name: string;
  readonly startAt: number;
  readonly endAt: number;
}

interface TraceEvent {
  readonly name: string;
  readonly ph: 'X' | 'M';
  readonly pid: number;
  readonly tid: number;
  readonly ts?: number;
  readonly dur?: number;
  readonly args?: Readonly<Record<string, unknown>>;
}

const MAIN = 1;
const JOBS = 2;
const SLOTS = 3;
const PHASE_ORDER: readonly (keyof JobPhases)[] = ['load', 'import', 'passes', 'backend', 'finish', 'store'];

/** The trace events of a build whose process started at `origin` (epoch ms). */
export function traceEvents(origin: number, main: readonly MainStep[], jobs: readonly JobTrace[]): TraceEvent[] {
  const us = (t: number): number => Math.round((t - origin) * 1000);
  const span = (name: string, pid: number, tid: number, from: number, to: number, args?: Record<string, unknown>): TraceEvent => ({
    name, ph: 'X', pid, tid, ts: us(from), dur: Math.max(0, us(to) - us(from)), ...(args ? { args } : {}),
  });
  const meta = (pid: number, tid: number | undefined, name: string): TraceEvent => (tid === undefined
    ? { name: 'process_name', ph: 'M', pid, tid: 0, args: { name } }
    : { name: 'thread_name', ph: 'M', pid, tid, args: { name } });
  const out: TraceEvent[] = [meta(MAIN, undefined, 'relax (main thread)'), meta(JOBS, undefined, 'jobs'), meta(SLOTS, undefined, 'compile slots'), meta(MAIN, 0, 'main')];
  for (const s of main) out.push(span(s.name, MAIN, 0, s.startAt, s.endAt));
  jobs.forEach((j, i) => {
    out.push(meta(JOBS, i, j.id));
    out.push(span('queued', JOBS, i, j.queuedAt, j.startAt));
    let t = j.startAt;
    for (const p of PHASE_ORDER) {
      const ms = j.phases?.[p];
      if (ms === undefined) continue;
      out.push(span(p, JOBS, i, t, t + ms, j.thread !== undefined ? { thread: j.thread } : undefined));
      t += ms;
    }
  });
  // Tool runs, each on the first slot lane free when it started.
  const runs = jobs.flatMap((j) => j.tools.map((t) => ({ job: j.id, ...t }))).sort((a, b) => a.startAt - b.startAt);
  const laneFreeAt: number[] = [];
  for (const r of runs) {
    let lane = laneFreeAt.findIndex((free) => free <= r.startAt);
    if (lane < 0) lane = laneFreeAt.push(0) - 1;
    laneFreeAt[lane] = r.endAt;
    out.push(span(`${r.job} ${r.label}`, SLOTS, lane, r.startAt, r.endAt, { waitedMs: Math.round(r.startAt - r.queuedAt), ...(r.estimateMs !== undefined ? { estimateMs: r.estimateMs } : {}) }));
  }
  laneFreeAt.forEach((_, lane) => out.push(meta(SLOTS, lane, `slot ${lane + 1}`)));
  return out;
}

/** Writes the profile of a build (atomically: a reader never sees half a file). */
export async function writeProfile(file: string, origin: number, main: readonly MainStep[], jobs: readonly JobTrace[]): Promise<void> {
  await writeJsonAtomic(file, { displayTimeUnit: 'ms', traceEvents: traceEvents(origin, main, jobs) });
}
