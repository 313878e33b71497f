/**
 * Compile slots: how many compiles run at once across a build, `--jobs` of them. The scheduler and its worker
 * threads share counters in a SharedArrayBuffer: free slots, units waiting for one, and a cell per running job
 * (its priority, its waiting units, the extra slots it holds). The pool takes a slot for every job it starts; a job
 * that split its kernels into several translation units (c-like.ts splitUnit) compiles the first on its own slot
 * and asks for more to compile the others side by side. Waiting units come before new jobs (the pool starts none
 * while a unit waits), and among them the costliest job's first: those are the build's critical path. Outputs
 * never depend on how many slots a job got: units are split by their source alone and linked in order.
 */

let shared: Int32Array | undefined;
let cell: number | undefined;

const FREE = 0;
const WAITING = 1;
const CELLS = 2;
/** Per cell: the job's priority (-1: cell unused), its waiting units, the extra slots it holds. */
const PRIORITY = 0;
const CELL_WAITING = 1;
const EXTRAS = 2;
const CELL_SIZE = 3;
/** How often a waiting unit (or a pool with queued jobs) looks at the counters again, in ms. */
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
      Atomics.store(a, at(c, EXTRAS), 0);
      Atomics.store(a, at(c, PRIORITY), Math.max(0, Math.min(2 ** 31 - 1, Math.round(priority))));
      return c;
    }
  }
  return -1;
}

/**
 * The pool's side, when a job ends: frees its cell, and returns the extra slots it still held (a worker that died
 * mid-compile never gave them back).
 */
export function releaseCell(sab: SharedArrayBuffer, c: number): void {
  if (c < 0) return;
  const a = new Int32Array(sab);
  const left = Atomics.exchange(a, at(c, EXTRAS), 0);
  if (left > 0) Atomics.add(a, FREE, left);
  const waiting = Atomics.exchange(a, at(c, CELL_WAITING), 0);
  if (waiting > 0) Atomics.sub(a, WAITING, waiting);
  Atomics.store(a, at(c, PRIORITY), -1);
}

function take(a: Int32Array): boolean {
  for (;;) {
    const free = Atomics.load(a, FREE);
    if (free <= 0) return false;
    if (Atomics.compareExchange(a, FREE, free, free - 1) === free) return true;
  }
}

/** The pool's side: takes a slot for a new job, unless none is free or a unit is waiting for one. */
export function takeJobSlot(sab: SharedArrayBuffer): boolean {
  const a = new Int32Array(sab);
  return Atomics.load(a, WAITING) === 0 && take(a);
}

export function releaseSlot(sab: SharedArrayBuffer): void {
  Atomics.add(new Int32Array(sab), FREE, 1);
}

/**
 * The worker's side: the slots of the build this thread compiles for and the cell of the job it runs (undefined:
 * no extra parallelism; no cell: the job does not defer to others).
 */
export function setCompileSlots(sab: SharedArrayBuffer | undefined, jobCell?: number): void {
  shared = sab ? new Int32Array(sab) : undefined;
  cell = jobCell !== undefined && jobCell >= 0 ? jobCell : undefined;
}

/** The slots and the cell of the job being compiled, as runUnits found them when it started. */
interface Job {
  readonly a: Int32Array;
  readonly cell: number | undefined;
}

function give(job: Job): void {
  if (job.cell !== undefined) Atomics.sub(job.a, at(job.cell, EXTRAS), 1);
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

/**
 * Waits for a free slot while `wanted()` holds (counted as a waiting unit meanwhile, so the pool starts no new
 * job). Resolves true with the slot taken, false when no longer wanted or there are no slots at all.
 */
async function acquire(job: Job, wanted: () => boolean): Promise<boolean> {
  const { a, cell: c } = job;
  Atomics.add(a, WAITING, 1);
  if (c !== undefined) Atomics.add(a, at(c, CELL_WAITING), 1);
  try {
    while (wanted()) {
      if (first(job) && take(a)) {
        if (c !== undefined) Atomics.add(a, at(c, EXTRAS), 1);
        return true;
      }
      await new Promise((r) => setTimeout(r, SLOT_POLL_MS));
    }
    return false;
  } finally {
    if (c !== undefined) Atomics.sub(a, at(c, CELL_WAITING), 1);
    Atomics.sub(a, WAITING, 1);
  }
}

/** Counters for tests: the most tasks one runUnits call had running at once. */
export const slotStats = { peak: 0 };

/**
 * Runs `tasks` (results in task order): one at a time on the job's own slot, plus one more lane for each slot it
 * gets while tasks are left. The first failure is thrown once every started task has settled.
 */
export function runUnits<T>(tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const job: Job | undefined = shared ? { a: shared, cell } : undefined;
  const results = new Array<T>(tasks.length);
  let next = 0;
  let running = 0;
  let lanes = 0;
  let asking = 0;
  let failure: { error: unknown } | undefined;
  return new Promise<T[]>((resolve, reject) => {
    const settle = (): void => {
      if (lanes > 0 || asking > 0) return;
      if (failure) reject(failure.error);
      else resolve(results);
    };
    const lane = async (extra: boolean): Promise<void> => {
      try {
        while (next < tasks.length && !failure) {
          const i = next++;
          running++;
          slotStats.peak = Math.max(slotStats.peak, running);
          grow();
          try {
            results[i] = await tasks[i]!();
          } finally {
            running--;
          }
        }
      } catch (error) {
        failure ??= { error };
      } finally {
        if (extra && job) give(job);
        lanes--;
        settle();
      }
    };
    // Ask for another slot for each task left that no lane (or pending request) will pick up.
    const unclaimed = (): number => tasks.length - next - (lanes - running) - asking;
    const grow = (): void => {
      if (!job) return;
      while (!failure && unclaimed() > 0) {
        asking++;
        void acquire(job, () => !failure && tasks.length - next > 0).then((got) => {
          asking--;
          if (got) {
            lanes++;
            void lane(true);
          } else {
            settle();
          }
        });
      }
    };
    lanes++;
    void lane(false);
  });
}
