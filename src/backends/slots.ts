/**
 * Compile slots: how many toolchain processes (cc, nvcc, ptxas, nvlink) run at once across a build, `--jobs` of
 * them. The scheduler and its worker threads share counters in a SharedArrayBuffer: free slots, and a cell per
 * running job (its priority, the estimate of its longest tool run waiting for a slot, the slots it holds). A job's
 * own JavaScript (import, passes, codegen) runs on its worker thread and holds no slot; every tool run takes one
 * (withSlot), and a job whose kernels were split into translation units (c-like.ts) compiles them side by side
 * (runUnits), each on a slot of its own. When slots are short, the tool run expected to take longest goes first
 * (links, which end a job, before any compile): a long compile started last would run on alone while the other
 * cores idle. Outputs never depend on how many slots a job got: units are split by their source alone and linked
 * in order.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type { MessagePort } from 'node:worker_threads';
import type { ToolSpan } from '../compiler/job.js';
import { epochMs } from '../builtins.js';

/**
 * The job a tool run belongs to: the build's slots, its cell, where its tool runs are recorded, and where they are
 * started (its tool port to the build's spawner, exec.ts).
 */
export interface SlotContext {
  readonly slots?: SharedArrayBuffer;
  readonly cell?: number;
  readonly tools?: ToolSpan[];
  readonly toolPort?: MessagePort;
}

interface Context extends Job {
  readonly tools: ToolSpan[] | undefined;
  readonly toolPort: MessagePort | undefined;
}

/**
 * The job whose code is running: a worker thread can compile several jobs at once (their JavaScript interleaves
 * while each waits for its tools), so the job's context follows its own async calls rather than a global.
 */
const current = new AsyncLocalStorage<Context>();
/** The context outside any runInJob (setCompileSlots; tests and single-job callers). */
let fallback: Context = { a: undefined, cell: undefined, tools: undefined, toolPort: undefined, waiting: [] };

const FREE = 0;
const CELLS = 1;
/**
 * Per cell: the job's priority (-1: cell unused), the estimate of its longest tool run waiting for a slot (-1:
 * none waits), the slots it holds.
 */
const PRIORITY = 0;
const WAIT_BEST = 1;
const HELD = 2;
const CELL_SIZE = 3;
/** How often a tool run waiting for a slot looks at the counters again, in ms. */
export const SLOT_POLL_MS = 5;

/** `n` free slots and `jobs` cells, to pass to setCompileSlots in each worker (the pool makes one per build). */
export function createSlots(n: number, jobs = n): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(4 * (CELLS + CELL_SIZE * jobs));
  const a = new Int32Array(sab);
  Atomics.store(a, FREE, n);
  for (let c = 0; c < jobs; c++) {
    Atomics.store(a, CELLS + c * CELL_SIZE + PRIORITY, -1);
    Atomics.store(a, CELLS + c * CELL_SIZE + WAIT_BEST, -1);
  }
  return sab;
}

const cellCount = (a: Int32Array): number => (a.length - CELLS) / CELL_SIZE;
const at = (c: number, field: number): number => CELLS + c * CELL_SIZE + field;

/** The pool's side: a cell for a job it starts (with its priority, clamped to an Int32), or -1 when none is free. */
export function claimCell(sab: SharedArrayBuffer, priority: number): number {
  const a = new Int32Array(sab);
  for (let c = 0; c < cellCount(a); c++) {
    if (Atomics.load(a, at(c, PRIORITY)) === -1) {
      Atomics.store(a, at(c, WAIT_BEST), -1);
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
  Atomics.store(a, at(c, WAIT_BEST), -1);
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
 * The slots and cell for tool runs outside any runInJob (tests, single-job callers; the worker uses runInJob):
 * undefined slots: no extra parallelism; no cell: the job does not defer to others.
 */
export function setCompileSlots(sab: SharedArrayBuffer | undefined, jobCell?: number): void {
  fallback = context({ ...(sab ? { slots: sab } : {}), ...(jobCell !== undefined ? { cell: jobCell } : {}) });
}

function context(c: SlotContext): Context {
  return {
    a: c.slots ? new Int32Array(c.slots) : undefined,
    cell: c.cell !== undefined && c.cell >= 0 ? c.cell : undefined,
    tools: c.tools,
    toolPort: c.toolPort,
    waiting: [],
  };
}

/** Runs `fn` (a job's compile) with its own slots, cell, tool-run record and tool port, whatever else the thread runs. */
export function runInJob<T>(c: SlotContext, fn: () => T): T {
  return current.run(context(c), fn);
}

/** The tool port of the job whose code is running (undefined outside a pool's job: tools start on this thread). */
export function jobToolPort(): MessagePort | undefined {
  return (current.getStore() ?? fallback).toolPort;
}

/** The job being compiled: the build's slots, its cell, and its tool runs waiting for a slot (in the order asked). */
interface Job {
  readonly a: Int32Array | undefined;
  readonly cell: number | undefined;
  readonly waiting: Waiter[];
}

function give(a: Int32Array, job: Job): void {
  if (job.cell !== undefined) Atomics.sub(a, at(job.cell, HELD), 1);
  Atomics.add(a, FREE, 1);
}

/** Publishes the job's longest waiting tool run (or none) in its cell. */
function publish(a: Int32Array, job: Job): void {
  if (job.cell !== undefined) Atomics.store(a, at(job.cell, WAIT_BEST), job.waiting.length ? longest(job) : -1);
}

/** A tool run waiting for a slot: its estimate. */
interface Waiter {
  readonly est: number;
}

const longest = (job: Job): number => Math.max(...job.waiting.map((w) => w.est));

/**
 * Whether a waiting tool run goes next: it is its job's longest waiting run (of equal ones, the first asked), and
 * no other job has a longer one waiting (ties: the costlier job, then the lower cell). Longest first keeps the long
 * compiles from starting last, where they would run on alone while the other cores idle.
 */
function first(a: Int32Array, job: Job, me: Waiter): boolean {
  const est = me.est;
  const top = longest(job);
  if (job.waiting.find((w) => w.est === top) !== me) return false;
  const mine = job.cell;
  if (mine === undefined) return true;
  const p = Atomics.load(a, at(mine, PRIORITY));
  for (let c = 0; c < cellCount(a); c++) {
    if (c === mine) continue;
    const best = Atomics.load(a, at(c, WAIT_BEST));
    if (best < 0 || best < est) continue;
    if (best > est) return false;
    const q = Atomics.load(a, at(c, PRIORITY));
    if (q > p || (q === p && c < mine)) return false;
  }
  return true;
}

/** Waits for a free slot (listed among the job's waiting runs meanwhile) and takes it. */
async function acquire(a: Int32Array, job: Job, est: number): Promise<void> {
  const me: Waiter = { est };
  job.waiting.push(me);
  publish(a, job);
  try {
    for (;;) {
      if (first(a, job, me) && take(a)) {
        if (job.cell !== undefined) Atomics.add(a, at(job.cell, HELD), 1);
        return;
      }
      await new Promise((r) => setTimeout(r, SLOT_POLL_MS));
    }
  } finally {
    job.waiting.splice(job.waiting.indexOf(me), 1);
    publish(a, job);
  }
}

/** Counters for tests: the most tool runs this thread had on slots at once. */
export const slotStats = { peak: 0 };
let running = 0;
/** Without build slots (a compile outside a pool): this thread's tool runs go one at a time, in call order. */
let alone: Promise<unknown> = Promise.resolve();

/** How a tool run is named in the build profile and how long it is expected to take (ms; longest runs first). */
export interface ToolRunInfo {
  readonly label: string;
  readonly estimateMs?: number;
}

/** Estimates above every real one: for short steps that finish a job (links), which go before any compile. */
export const FIRST = 2 ** 31 - 1;

/**
 * Runs `task`, one toolchain process (or a short sequence of them), on a compile slot: it waits until a slot is
 * free and no longer tool run (by `estimateMs`) is waiting for one. Outside a build's pool, this thread's tasks
 * run one at a time.
 */
export async function withSlot<T>(task: () => Promise<T>, info: ToolRunInfo = { label: 'tool' }): Promise<T> {
  const ctx = current.getStore() ?? fallback;
  const { label } = info;
  const est = Math.max(0, Math.min(FIRST, Math.round(info.estimateMs ?? 0)));
  const queuedAt = epochMs();
  const run = async (): Promise<T> => {
    slotStats.peak = Math.max(slotStats.peak, ++running);
    const startAt = epochMs();
    try {
      return await task();
    } finally {
      running--;
      ctx.tools?.push({ label, queuedAt, startAt, endAt: epochMs(), ...(info.estimateMs !== undefined && est < FIRST ? { estimateMs: est } : {}) });
    }
  };
  const a = ctx.a;
  if (!a) {
    const turn = alone.then(run);
    alone = turn.catch(() => undefined);
    return turn;
  }
  await acquire(a, ctx, est);
  try {
    return await run();
  } finally {
    give(a, ctx);
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
