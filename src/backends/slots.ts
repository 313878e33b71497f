/**
 * Compile slots: how many toolchain processes (cc, nvcc, ptxas, nvlink) run at once across a build, `--jobs` of
 * them. The scheduler and its worker threads share counters in a SharedArrayBuffer: free slots, and a cell per
 * running job (its priority, its tool runs waiting for a slot, the slots it holds). A job's own JavaScript (import,
 * passes, codegen) runs on its worker thread and holds no slot; every tool run takes one (withSlot), and a job
 * whose kernels were split into translation units (c-like.ts) compiles them side by side (runUnits), each on a
 * slot of its own. When slots are short, the costliest job's tool runs go first: those are the build's critical
 * path. Outputs never depend on how many slots a job got: units are split by their source alone and linked in
 * order.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type { ToolSpan } from '../compiler/job.js';

/** The job a tool run belongs to: the build's slots, its cell, and where its tool runs are recorded. */
export interface SlotContext {
  readonly slots?: SharedArrayBuffer;
  readonly cell?: number;
  readonly tools?: ToolSpan[];
}

interface Context {
  readonly a: Int32Array | undefined;
  readonly cell: number | undefined;
  readonly tools: ToolSpan[] | undefined;
}

/**
 * The job whose code is running: a worker thread can compile several jobs at once (their JavaScript interleaves
 * while each waits for its tools), so the job's context follows its own async calls rather than a global.
 */
const current = new AsyncLocalStorage<Context>();
/** The context outside any runInJob (setCompileSlots; tests and single-job callers). */
let fallback: Context = { a: undefined, cell: undefined, tools: undefined };

const FREE = 0;
const CELLS = 1;
/** Per cell: the job's priority (-1: cell unused), its tool runs waiting for a slot, the slots it holds. */
const PRIORITY = 0;
const CELL_WAITING = 1;
const HELD = 2;
const CELL_SIZE = 3;
/** How often a tool run waiting for a slot looks at the counters again, in ms. */
export const SLOT_POLL_MS = 5;

/** `n` free slots and `jobs` cells, to pass to setCompileSlots in each worker (the pool makes one per build). */
export function createSlots(n: number, jobs = n): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(4 * (CELLS + CELL_SIZE * jobs));
  const a = new Int32Array(sab);
  Atomics.store(a, FREE, n);
  for (let c = 0; c < jobs; c++) Atomics.store(a, CELLS + c * CELL_SIZE + PRIORITY, -1);
  return sab;
}

const cellCount = (a: Int32Array): number => (a.length - CELLS) / CELL_SIZE;
const at = (c: number, field: number): number => CELLS + c * CELL_SIZE + field;

/** The pool's side: a cell for a job it starts (with its priority, clamped to an Int32), or -1 when none is free. */
export function claimCell(sab: SharedArrayBuffer, priority: number): number {
  const a = new Int32Array(sab);
  for (let c = 0; c < cellCount(a); c++) {
    if (Atomics.load(a, at(c, PRIORITY)) === -1) {
      Atomics.store(a, at(c, CELL_WAITING), 0);
      Atomics.store(a, at(c, HELD), 0);
      Atomics.store(a, at(c, PRIORITY), Math.max(0, Math.min(2 ** 31 - 1, Math.round(priority))));
      return c;
    }
  }
  return -1;
}

/**
 * The pool's side, when a job ends: frees its cell, and returns the slots it still held (a worker that died
 * mid-compile never gave them back).
 */
export function releaseCell(sab: SharedArrayBuffer, c: number): void {
  if (c < 0) return;
  const a = new Int32Array(sab);
  const left = Atomics.exchange(a, at(c, HELD), 0);
  if (left > 0) Atomics.add(a, FREE, left);
  Atomics.store(a, at(c, CELL_WAITING), 0);
  Atomics.store(a, at(c, PRIORITY), -1);
}

/** Free slots now (tests, diagnostics). */
export function freeSlots(sab: SharedArrayBuffer): number {
  return Atomics.load(new Int32Array(sab), FREE);
}

function take(a: Int32Array): boolean {
  for (;;) {
    const free = Atomics.load(a, FREE);
    if (free <= 0) return false;
    if (Atomics.compareExchange(a, FREE, free, free - 1) === free) return true;
  }
}

/**
 * The worker's side: the slots of the build this thread compiles for and the cell of the job it runs (undefined:
 * no extra parallelism; no cell: the job does not defer to others).
 */
export function setCompileSlots(sab: SharedArrayBuffer | undefined, jobCell?: number): void {
  fallback = context({ ...(sab ? { slots: sab } : {}), ...(jobCell !== undefined ? { cell: jobCell } : {}) });
}

function context(c: SlotContext): Context {
  return {
    a: c.slots ? new Int32Array(c.slots) : undefined,
    cell: c.cell !== undefined && c.cell >= 0 ? c.cell : undefined,
    tools: c.tools,
  };
}

/** Runs `fn` (a job's compile) with its own slots, cell and tool-run record, whatever else the thread runs. */
export function runInJob<T>(c: SlotContext, fn: () => T): T {
  return current.run(context(c), fn);
}

const epochMs = (): number => performance.timeOrigin + performance.now();

/** The slots and the cell of the job being compiled, as withSlot found them when it was called. */
interface Job {
  readonly a: Int32Array;
  readonly cell: number | undefined;
}

function give(job: Job): void {
  if (job.cell !== undefined) Atomics.sub(job.a, at(job.cell, HELD), 1);
  Atomics.add(job.a, FREE, 1);
}

/** Whether no other job with waiting units has a higher priority than this one. */
function first({ a, cell: mine }: Job): boolean {
  if (mine === undefined) return true;
  const p = Atomics.load(a, at(mine, PRIORITY));
  for (let c = 0; c < cellCount(a); c++) {
    if (c !== mine && Atomics.load(a, at(c, CELL_WAITING)) > 0 && Atomics.load(a, at(c, PRIORITY)) > p) return false;
  }
  return true;
}

/** Waits for a free slot (counted as waiting in the job's cell meanwhile) and takes it. */
async function acquire(job: Job): Promise<void> {
  const { a, cell: c } = job;
  if (c !== undefined) Atomics.add(a, at(c, CELL_WAITING), 1);
  try {
    for (;;) {
      if (first(job) && take(a)) {
        if (c !== undefined) Atomics.add(a, at(c, HELD), 1);
        return;
      }
      await new Promise((r) => setTimeout(r, SLOT_POLL_MS));
    }
  } finally {
    if (c !== undefined) Atomics.sub(a, at(c, CELL_WAITING), 1);
  }
}

/** Counters for tests: the most tool runs this thread had on slots at once. */
export const slotStats = { peak: 0 };
let running = 0;
/** Without build slots (a compile outside a pool): this thread's tool runs go one at a time, in call order. */
let alone: Promise<unknown> = Promise.resolve();

/**
 * Runs `task`, one toolchain process (or a short sequence of them), on a compile slot: it waits until a slot is
 * free and no job with a higher priority has a tool run waiting. Outside a build's pool, this thread's tasks run
 * one at a time. `label` names the run in the job's tool record (the build profile).
 */
export async function withSlot<T>(task: () => Promise<T>, label = 'tool'): Promise<T> {
  const ctx = current.getStore() ?? fallback;
  const job: Job | undefined = ctx.a ? { a: ctx.a, cell: ctx.cell } : undefined;
  const queuedAt = epochMs();
  const run = async (): Promise<T> => {
    slotStats.peak = Math.max(slotStats.peak, ++running);
    const startAt = epochMs();
    try {
      return await task();
    } finally {
      running--;
      ctx.tools?.push({ label, queuedAt, startAt, endAt: epochMs() });
    }
  };
  if (!job) {
    const turn = alone.then(run);
    alone = turn.catch(() => undefined);
    return turn;
  }
  await acquire(job);
  try {
    return await run();
  } finally {
    give(job);
  }
}

/**
 * Runs a split job's `tasks` (its translation units) side by side, results in task order: each takes a slot for
 * its tool runs (withSlot), so as many run at once as slots are free. The first failure is thrown once every task
 * has settled.
 */
export async function runUnits<T>(tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const settled = await Promise.allSettled(tasks.map((t) => t()));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}
