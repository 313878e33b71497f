/**
 * Compile slots: how a job's toolchain step uses cores that the build is not using. The scheduler and its worker
 * threads share one counter (an Int32 in a SharedArrayBuffer) of free slots out of the build's `--jobs`. The pool
 * takes a slot for every job it runs; a job that split its kernels into several translation units (c-like.ts
 * splitUnit) compiles the first on its own slot and takes free slots, never waiting for one, to compile the others
 * side by side. While jobs wait for a thread no slot is free, so this only fills idle cores (the tail of a build,
 * or one big model alone) and never runs more compiles at once than `--jobs`. Outputs never depend on how many
 * slots a job got: units are split by their source alone and linked in order.
 */

let shared: Int32Array | undefined;

/** A counter of `n` free slots, to pass to setCompileSlots in each worker (the pool makes one per build). */
export function createSlots(n: number): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(4);
  Atomics.store(new Int32Array(sab), 0, n);
  return sab;
}

/** The pool's side: a running job holds one slot (the count may go below zero while extra slots are in use). */
export function holdSlot(sab: SharedArrayBuffer): void {
  Atomics.sub(new Int32Array(sab), 0, 1);
}

export function releaseSlot(sab: SharedArrayBuffer): void {
  Atomics.add(new Int32Array(sab), 0, 1);
}

/** The worker's side: the slots of the build this thread compiles for (undefined: no extra parallelism). */
export function setCompileSlots(sab: SharedArrayBuffer | undefined): void {
  shared = sab ? new Int32Array(sab) : undefined;
}

function tryTake(): boolean {
  if (!shared) return false;
  for (;;) {
    const free = Atomics.load(shared, 0);
    if (free <= 0) return false;
    if (Atomics.compareExchange(shared, 0, free, free - 1) === free) return true;
  }
}

function give(): void {
  if (shared) Atomics.add(shared, 0, 1);
}

/** Counters for tests: the most tasks one runUnits call had running at once. */
export const slotStats = { peak: 0 };

/**
 * Runs `tasks` (results in task order): one at a time on the job's own slot, plus one more for each free slot
 * it can take as it goes. The first failure is thrown once every started task has settled.
 */
export function runUnits<T>(tasks: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  let running = 0;
  let lanes = 0;
  let failure: { error: unknown } | undefined;
  return new Promise<T[]>((resolve, reject) => {
    const settle = (): void => {
      if (lanes > 0) return;
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
    // More lanes while tasks are left that no lane has picked up, as long as free slots can be taken.
    const grow = (): void => {
      while (!failure && tasks.length - next > lanes - running && tryTake()) {
        lanes++;
        void lane(true);
      }
    };
    lanes++;
    void lane(false);
  });
}
