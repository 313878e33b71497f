/**
 * Compile slots: how many compiles run at once across a build, `--jobs` of them. The scheduler and its worker
 * threads share two counters in a SharedArrayBuffer: free slots, and units waiting for one. The pool takes a slot
 * for every job it starts; a job that split its kernels into several translation units (c-like.ts splitUnit)
 * compiles the first on its own slot and asks for more to compile the others side by side. Waiting units come
 * before new jobs (the pool starts none while a unit waits), because a job whose units are compiling is already
 * on the build's critical path (the largest jobs start first). Outputs never depend on how many slots a job got:
 * units are split by their source alone and linked in order.
 */

let shared: Int32Array | undefined;

const FREE = 0;
const WAITING = 1;
/** How often a waiting unit (or a pool with queued jobs) looks at the counters again, in ms. */
export const SLOT_POLL_MS = 5;

/** `n` free slots, to pass to setCompileSlots in each worker (the pool makes one per build). */
export function createSlots(n: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(8);
  Atomics.store(new Int32Array(sab), FREE, n);
  return sab;
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

/** The worker's side: the slots of the build this thread compiles for (undefined: no extra parallelism). */
export function setCompileSlots(sab: SharedArrayBuffer | undefined): void {
  shared = sab ? new Int32Array(sab) : undefined;
}

function give(): void {
  if (shared) Atomics.add(shared, FREE, 1);
}

/**
 * Waits for a free slot while `wanted()` holds (counted as a waiting unit meanwhile, so the pool starts no new
 * job). Resolves true with the slot taken, false when no longer wanted or there are no slots at all.
 */
async function acquire(wanted: () => boolean): Promise<boolean> {
  const a = shared;
  if (!a) return false;
  Atomics.add(a, WAITING, 1);
  try {
    while (wanted()) {
      if (take(a)) return true;
      await new Promise((r) => setTimeout(r, SLOT_POLL_MS));
    }
    return false;
  } finally {
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
        if (extra) give();
        lanes--;
        settle();
      }
    };
    // Ask for another slot for each task left that no lane (or pending request) will pick up.
    const unclaimed = (): number => tasks.length - next - (lanes - running) - asking;
    const grow = (): void => {
      if (!shared) return;
      while (!failure && unclaimed() > 0) {
        asking++;
        void acquire(() => !failure && tasks.length - next > 0).then((got) => {
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
