/**
 * Node built-ins for the start-up path of `relax build`, taken with process.getBuiltinModule rather than
 * `import ... from 'node:fs'`.
 *
 * A no-op build has about 50 ms of its own inside a whole-process budget of 150 ms (issue 3), and on Node 20 the
 * ES-module facade of a built-in is not free: `import { statSync } from 'node:fs'` reads every export of fs, the
 * lazy `fs.promises` included, which loads fs/promises, stream/promises and the stream modules (about 4 ms).
 * getBuiltinModule hands back the CommonJS object without building a facade. What a no-op build does not touch
 * (fs.promises, os, crypto) is loaded on first use.
 */
import type * as FsPromises from 'node:fs/promises';

export const fs = process.getBuiltinModule('node:fs');

export const util = process.getBuiltinModule('node:util');

/** node:fs/promises, loaded on first use. */
export const fsp = (): typeof FsPromises => fs.promises;

/** node:os, loaded on first use. */
export const os = (): typeof import('node:os') => process.getBuiltinModule('node:os');

/**
 * node:crypto, loaded on first use. A no-op build hashes nothing (file hashes come from the memo, cache keys from
 * the job records), and loading crypto costs about 10 ms.
 */
export const crypto = (): typeof import('node:crypto') => process.getBuiltinModule('node:crypto');

/**
 * Milliseconds from an arbitrary origin, for durations. The `performance` global is itself lazy on Node 20:
 * its first use loads perf_hooks (about 3 ms).
 */
export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

/**
 * Wall-clock milliseconds since the epoch, comparable across threads (the build profile's clock). Reads the
 * `performance` global, so only code that records a profile or a compiled job calls it.
 */
export const epochMs = (): number => performance.timeOrigin + performance.now();
