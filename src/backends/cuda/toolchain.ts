/** nvcc: kernels.cu → kernels.cubin (for the target arch) and kernels.ptx (JIT fallback for other GPUs). */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RelaxError } from '../../diagnostics/index.js';
import { runTool, versionLine } from '../exec.js';
import { findExecutable } from '../which.js';
import { splitUnit } from '../c-like.js';
import { cachedCompile, toolStamp } from '../object-cache.js';
import { runUnits } from '../slots.js';
import type { CSource } from '../cpu/codegen.js';

export const CUDA_SOURCE = 'kernels.cu';
export const CUDA_CUBIN = 'kernels.cubin';
export const CUDA_PTX = 'kernels.ptx';
export const DEFAULT_ARCH = 'sm_90';
/** Translation units are split at about this many bytes of CUDA (each nvcc run costs ~1 s of start-up). */
export const CUDA_UNIT_BYTES = 160 * 1024;

/** nvcc from `$NVCC`, PATH, or /usr/local/cuda/bin; null when absent. */
export function findNvcc(): string | null {
  if (process.env.NVCC) return findExecutable(process.env.NVCC);
  return findExecutable('nvcc', ['/usr/local/cuda/bin']);
}

const versions = new Map<string, string | null>();

/** `nvcc 13.0.88` from `nvcc --version`, or null. Cached per command. */
export function nvccVersion(nvcc: string | null): string | null {
  if (nvcc === null) return null;
  if (!versions.has(nvcc)) {
    versions.set(nvcc, versionLine(nvcc, ['--version'], (o) => {
      const m = /release [\d.]+, V([\d.]+)/.exec(o);
      return m ? `nvcc ${m[1]}` : o.trim().split('\n').pop();
    }));
  }
  return versions.get(nvcc)!;
}

export function checkArch(arch: string): string {
  if (!/^sm_\d+[a-z]?$/.test(arch)) {
    throw new RelaxError('RLX_TARGET_INVALID', `CUDA arch '${arch}' is not of the form sm_<major><minor> (e.g. sm_90)`,
      undefined, 'Set target attrs.arch to the GPU\'s compute capability, e.g. sm_80 (A100) or sm_90 (H100).');
  }
  return arch;
}

async function nvccRun(nvcc: string, args: string[], src: CSource, tmpDir: string, out: string): Promise<Uint8Array> {
  const r = await runTool(nvcc, args, tmpDir);
  if (r.spawnError) {
    throw new RelaxError(r.spawnError.code === 'ENOENT' ? 'RLX_TOOLCHAIN_MISSING' : 'RLX_TOOLCHAIN_FAILED',
      `could not run nvcc (${nvcc}): ${r.spawnError.message}`, undefined, 'Install the CUDA toolkit or set $NVCC.');
  }
  if (r.code !== 0) {
    const msg = (r.stderr || r.stdout).trim();
    const line = /kernels\.cu\((\d+)\): error/.exec(msg)?.[1];
    const span = line ? src.spans.find((s) => Number(line) >= s.firstLine && Number(line) <= s.lastLine) : undefined;
    throw new RelaxError('RLX_TOOLCHAIN_FAILED',
      `nvcc failed to compile ${CUDA_SOURCE} (exit ${r.code}):\n${msg.length > 4000 ? `${msg.slice(0, 4000)}\n...` : msg}`,
      span ? { kernel: span.kernel } : undefined,
      'This is likely a bug in relax\'s CUDA codegen; the generated file is kernels.cu in the job\'s temp directory.');
  }
  return new Uint8Array(await readFile(join(tmpDir, out)));
}

/**
 * Compiles kernels.cu in `tmpDir` to a cubin and PTX for `arch` (reused from the object cache). A large source is
 * split into translation units (splitUnit) compiled side by side on free compile slots, each cached on its own:
 * every unit becomes PTX and a relocatable cubin, the cubins are device-linked in order into one kernels.cubin,
 * and kernels.ptx is the units' PTX joined under one header (the kernels are self-contained entries).
 */
export async function compileCuda(src: CSource, tmpDir: string, nvcc: string, arch: string): Promise<{ cubin: Uint8Array; ptx: Uint8Array }> {
  checkArch(arch);
  const stamp = toolStamp(nvcc);
  const units = splitUnit(src, CUDA_UNIT_BYTES);
  if (units.length === 1) {
    const key = ['nvcc', stamp, arch, '-O3 -std=c++17 ptx->cubin', src.source];
    const out = await cachedCompile(key, async () => {
      const r = await compileUnit(src, tmpDir, nvcc, arch, false);
      return { [CUDA_CUBIN]: r.cubin, [CUDA_PTX]: r.ptx };
    });
    return { cubin: out[CUDA_CUBIN]!, ptx: out[CUDA_PTX]! };
  }
  const parts = await runUnits(units.map((unit, i) => async () => {
    const key = ['nvcc-unit', stamp, arch, '-O3 -std=c++17 ptx->relocatable cubin', unit.source];
    const out = await cachedCompile(key, async () => {
      const r = await compileUnit(unit, join(tmpDir, `unit${i}`), nvcc, arch, true);
      return { [CUDA_CUBIN]: r.cubin, [CUDA_PTX]: r.ptx };
    });
    return { cubin: out[CUDA_CUBIN]!, ptx: out[CUDA_PTX]! };
  }));
  const names = parts.map((_, i) => `unit${i}.cubin`);
  await mkdir(tmpDir, { recursive: true });
  await Promise.all(parts.map((p, i) => writeFile(join(tmpDir, names[i]!), p.cubin)));
  const cubin = await nvccRun(nvcc, ['-dlink', '-cubin', `-arch=${arch}`, '-o', CUDA_CUBIN, ...names], src, tmpDir, CUDA_CUBIN);
  return { cubin, ptx: joinPtx(parts.map((p) => new TextDecoder().decode(p.ptx))) };
}

/** PTX modules joined into one: the first keeps its header (.version, .target, .address_size), the rest drop theirs. */
export function joinPtx(modules: readonly string[]): Uint8Array {
  const header = /^\s*\.(version|target|address_size)\b/;
  const text = modules.map((m, i) => (i === 0 ? m : m.split('\n').filter((l) => !header.test(l)).join('\n'))).join('\n');
  return new TextEncoder().encode(text);
}

/** Source → PTX → cubin in `dir`; `relocatable` for a unit that is device-linked with others afterwards. */
async function compileUnit(src: CSource, dir: string, nvcc: string, arch: string, relocatable: boolean): Promise<{ cubin: Uint8Array; ptx: Uint8Array }> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, CUDA_SOURCE), src.source);
  // The C++ front end (cudafe++/cicc) runs once: source -> PTX, then PTX -> cubin (ptxas only). Compiling the
  // source twice (-cubin and -ptx) cost about 1.5x the CPU time for the same two files.
  const ptx = await nvccRun(nvcc, ['-ptx', `-arch=${arch}`, '-O3', '-std=c++17', '-o', CUDA_PTX, CUDA_SOURCE], src, dir, CUDA_PTX);
  const cubin = await nvccRun(nvcc, ['-cubin', ...(relocatable ? ['-rdc=true'] : []), `-arch=${arch}`, '-O3', '-o', CUDA_CUBIN, CUDA_PTX], src, dir, CUDA_CUBIN);
  return { cubin, ptx };
}
