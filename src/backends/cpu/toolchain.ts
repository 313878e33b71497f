/** The host C compiler: `cc -O2 -fPIC -shared` into a reproducible `kernels.so`. */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RelaxError } from '../../diagnostics/index.js';
import { runTool, versionLine } from '../exec.js';
import { findExecutable } from '../which.js';
import { cachedCompile, toolStamp } from '../object-cache.js';
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

/**
 * Flags for a byte-reproducible shared library: fixed relative file names (cwd is the temp dir), no build id,
 * the temp dir mapped away from anything the compiler might record.
 */
export function ccArgs(tmpDir: string): string[] {
  return [
    '-std=gnu11', '-O2', '-fwrapv', '-fPIC', '-shared',
    `-ffile-prefix-map=${tmpDir}=.`, '-Wl,--build-id=none',
    '-o', C_LIBRARY, C_SOURCE, '-lm',
  ];
}

/** Compiles `src` into kernels.so inside `tmpDir` and returns the library's bytes (reused from the object cache). */
export async function compileC(src: CSource, tmpDir: string, cc: string = defaultCc()): Promise<Uint8Array> {
  // The flags name the temp dir only to map it away (-ffile-prefix-map), so the key uses a fixed placeholder.
  const key = ['cc', toolStamp(findExecutable(cc) ?? cc), ccArgs('<tmp>').join(' '), src.source];
  const out = await cachedCompile(key, async () => ({ [C_LIBRARY]: await compileCUncached(src, tmpDir, cc) }));
  return out[C_LIBRARY]!;
}

async function compileCUncached(src: CSource, tmpDir: string, cc: string): Promise<Uint8Array> {
  await mkdir(tmpDir, { recursive: true });
  await writeFile(join(tmpDir, C_SOURCE), src.source);
  const r = await runTool(cc, ccArgs(tmpDir), tmpDir);
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
  return new Uint8Array(await readFile(join(tmpDir, C_LIBRARY)));
}
