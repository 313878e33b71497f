/** The host C compiler: `cc -O2 -fPIC -shared` into a reproducible `kernels.so`. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RelaxError } from '../../diagnostics/index.js';
import { runTool, versionLine } from '../exec.js';
import { findExecutable } from '../which.js';
import { splitUnit } from '../c-like.js';
import { cachedCompile, toolStamp } from '../object-cache.js';
import { FIRST, runUnits, withSlot } from '../slots.js';
import type { CSource } from './codegen.js';

export const C_SOURCE = 'kernels.c';
export const C_LIBRARY = 'kernels.so';

/** The compiler command: `$CC` when set, else `cc`. */
export function defaultCc(): string {
  return process.env.CC || 'cc';
}

const versions = new Map<string, string | null>();

/** First line of `cc --version`, or null when the compiler cannot run. Cached per command. */
export function ccVersion(cc: string = defaultCc()): string | null {
  if (!versions.has(cc)) versions.set(cc, versionLine(cc, ['--version'], (o) => o.split('\n')[0]));
  return versions.get(cc)!;
}

/** Translation units are split at about this many bytes of C (cc's own start-up is ~30 ms per unit). */
export const C_UNIT_BYTES = 64 * 1024;

const BASE_FLAGS = ['-std=gnu11', '-O2', '-fwrapv', '-fPIC'];

/**
 * Flags for a byte-reproducible shared library: fixed relative file names (cwd is the temp dir), no build id,
 * the temp dir mapped away from anything the compiler might record.
 */
export function ccArgs(tmpDir: string): string[] {
  return [
    ...BASE_FLAGS, '-shared',
    `-ffile-prefix-map=${tmpDir}=.`, '-Wl,--build-id=none',
    '-o', C_LIBRARY, C_SOURCE, '-lm',
  ];
}

/** One unit of a split library: `kernels.c` → `kernels.o` in the unit's own folder (so the object never names it). */
function objectArgs(unitDir: string): string[] {
  return [...BASE_FLAGS, '-c', `-ffile-prefix-map=${unitDir}=.`, '-o', 'kernels.o', C_SOURCE];
}

/**
 * Compiles `src` into kernels.so inside `tmpDir` and returns the library's bytes (reused from the object cache).
 * Every cc run takes a compile slot (withSlot). A large source is split into translation units (splitUnit)
 * compiled side by side, each cached on its own (an edit recompiles only its unit), then linked in order.
 */
export async function compileC(src: CSource, tmpDir: string, cc: string = defaultCc()): Promise<Uint8Array> {
  const stamp = toolStamp(findExecutable(cc) ?? cc);
  const units = splitUnit(src, C_UNIT_BYTES);
  if (units.length === 1) {
    // The flags name the temp dir only to map it away (-ffile-prefix-map), so the key uses a fixed placeholder.
    const key = ['cc', stamp, ccArgs('<tmp>').join(' '), src.source];
    const out = await cachedCompile(key, async () => ({ [C_LIBRARY]: await withSlot(() => runCc(cc, ccArgs(tmpDir), src, tmpDir, C_LIBRARY), { label: 'cc', estimateMs: ccEstimateMs(src) }) }));
    return out[C_LIBRARY]!;
  }
  const objects = await runUnits(units.map((unit, i) => async () => {
    const key = ['cc-object', stamp, objectArgs('<tmp>').join(' '), unit.source];
    const dir = join(tmpDir, `unit${i}`);
    return (await cachedCompile(key, async () => ({ o: await withSlot(() => runCc(cc, objectArgs(dir), unit, dir, 'kernels.o'), { label: `cc unit${i}`, estimateMs: ccEstimateMs(unit) }) }))).o!;
  }));
  const names = objects.map((_, i) => `unit${i}.o`);
  await mkdir(tmpDir, { recursive: true });
  await Promise.all(objects.map((o, i) => writeFile(join(tmpDir, names[i]!), o)));
  return withSlot(() => runCc(cc, ['-shared', '-Wl,--build-id=none', '-o', C_LIBRARY, ...names, '-lm'], src, tmpDir, C_LIBRARY), { label: 'cc link', estimateMs: FIRST });
}

/** About how long cc takes on a unit, in ms (its source bytes); only the order of estimates matters. */
export function ccEstimateMs(src: CSource): number {
  return CC_FIXED_MS + CC_MS_PER_BYTE * src.source.length;
}
const CC_FIXED_MS = 50;
const CC_MS_PER_BYTE = 0.0071;

/** Runs cc in `dir` (writing `src` there as kernels.c first) and returns the bytes of `out`. */
async function runCc(cc: string, args: string[], src: CSource, dir: string, out: string): Promise<Uint8Array> {
  await mkdir(dir, { recursive: true });
  if (args.includes(C_SOURCE)) await writeFile(join(dir, C_SOURCE), src.source);
  const r = await runTool(cc, args, dir);
  if (r.spawnError) {
    if (r.spawnError.code === 'ENOENT') {
      throw new RelaxError('RLX_TOOLCHAIN_MISSING', `the C compiler '${cc}' was not found; the cpu target needs one to build ${C_LIBRARY}`,
        undefined, 'Install a C compiler (e.g. `apt-get install gcc`, `xcode-select --install`) or point $CC at one.');
    }
    throw new RelaxError('RLX_TOOLCHAIN_FAILED', `could not run the C compiler '${cc}': ${r.spawnError.message}`);
  }
  if (r.code !== 0) {
    const msg = (r.stderr || r.stdout).trim();
    const line = /kernels\.c:(\d+):\d+: (?:fatal )?error/.exec(msg)?.[1];
    const span = line ? src.spans.find((s) => Number(line) >= s.firstLine && Number(line) <= s.lastLine) : undefined;
    throw new RelaxError('RLX_TOOLCHAIN_FAILED',
      `${cc} failed to compile ${C_SOURCE} (exit ${r.code}):\n${msg.length > 4000 ? `${msg.slice(0, 4000)}\n...` : msg}`,
      span ? { kernel: span.kernel } : undefined,
      'This is likely a bug in relax\'s C codegen; the generated file is kernels.c in the job\'s temp directory.');
  }
  return new Uint8Array(await readFile(join(dir, out)));
}
