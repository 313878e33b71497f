/**
 * The CUDA toolkit: kernels.cu → kernels.ptx (nvcc; the JIT fallback for other GPUs) → kernels.cubin for the target
 * arch (ptxas; several units' cubins are linked by nvlink).
 */
import { realpathSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { RelaxError } from '../../diagnostics/index.js';
import { runTool, versionLine } from '../exec.js';
import { findExecutable } from '../which.js';
import { splitBalanced } from '../c-like.js';
import { cachedCompile, toolStamp } from '../object-cache.js';
import { FIRST, runUnits, withSlot } from '../slots.js';
import type { CSource } from '../cpu/codegen.js';

export const CUDA_SOURCE = 'kernels.cu';
export const CUDA_CUBIN = 'kernels.cubin';
export const CUDA_PTX = 'kernels.ptx';
export const DEFAULT_ARCH = 'sm_90';
/**
 * A source over this many bytes is compiled as several translation units (see cudaUnits). Splitting changes how
 * ptxas compiles every kernel (relocatable rather than whole-program code, with other register counts: faster for
 * some kernels and slower for others), so which sources are split stays as it was.
 */
export const CUDA_UNIT_BYTES = 160 * 1024;
/**
 * The estimated compile work (cudaKernelCost) one translation unit is meant to carry: about 1.2 s of cicc + ptxas
 * CPU time on a 2-core VM, twice the ~0.6 s every unit costs however small (nvcc preprocesses and cicc parses the
 * CUDA runtime headers).
 */
export const CUDA_UNIT_COST = 160 * 1024;

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

/** A CUDA toolkit program that relax runs: nvcc, or ptxas/nvlink from nvcc's own toolkit. */
export type CudaTool = 'nvcc' | 'ptxas' | 'nvlink';

const toolDirs = new Map<string, Promise<readonly string[]>>();

/**
 * Where nvcc looks for its sub-tools: the directory of the nvcc binary itself (symlinks resolved), then the
 * PATH that nvcc sets up for them (from `nvcc --dryrun`, asked once per nvcc binary; this also sees through
 * wrapper scripts such as a /usr/local/bin/nvcc that execs the toolkit's nvcc).
 */
function cudaToolDirs(nvcc: string): Promise<readonly string[]> {
  const key = toolStamp(nvcc);
  let dirs = toolDirs.get(key);
  if (!dirs) {
    dirs = (async () => {
      const own: string[] = [];
      try { own.push(dirname(realpathSync(nvcc))); } catch { /* reported when nvcc runs below */ }
      if (own.length > 0 && findExecutable(join(own[0]!, 'ptxas')) && findExecutable(join(own[0]!, 'nvlink'))) return own;
      const r = await runTool(nvcc, ['--dryrun', '-cubin', '-o', 'probe.cubin', 'probe.ptx'], tmpdir());
      if (r.spawnError) throw cannotRun('nvcc', nvcc, r.spawnError);
      const path = /^#\$ PATH=(.*)$/m.exec(`${r.stdout}\n${r.stderr}`)?.[1];
      return [...own, ...(path ? path.split(delimiter).filter(Boolean) : [])];
    })();
    toolDirs.set(key, dirs);
  }
  return dirs;
}

function cannotRun(tool: CudaTool, bin: string, err: NodeJS.ErrnoException): RelaxError {
  return new RelaxError(err.code === 'ENOENT' ? 'RLX_TOOLCHAIN_MISSING' : 'RLX_TOOLCHAIN_FAILED',
    `could not run ${tool} (${bin}): ${err.message}`, undefined,
    tool === 'nvcc' ? 'Install the CUDA toolkit or set $NVCC.'
      : `Install the complete CUDA toolkit (${tool} ships in its bin/ directory, beside nvcc), or set $NVCC to the toolkit's own nvcc.`);
}

/**
 * The `ptxas` or `nvlink` that `nvcc` itself would run (RLX_TOOLCHAIN_MISSING when its toolkit has none):
 * relax runs them directly rather than through nvcc, which would start gcc, fatbinary and the host compiler
 * around them.
 */
export async function findCudaTool(nvcc: string, tool: 'ptxas' | 'nvlink'): Promise<string> {
  for (const dir of await cudaToolDirs(nvcc)) {
    const found = findExecutable(join(dir, tool));
    if (found) return found;
  }
  throw new RelaxError('RLX_TOOLCHAIN_MISSING', `${tool} was not found beside nvcc (${nvcc}); relax runs it to build ${CUDA_CUBIN}`,
    undefined, `Install the complete CUDA toolkit (${tool} ships in its bin/ directory, beside nvcc), or set $NVCC to the toolkit's own nvcc.`);
}

/** The entry (kernel) of PTX `text` that holds 1-based `line`. */
function ptxKernelAt(text: string, line: number): string | undefined {
  let kernel: string | undefined;
  text.split('\n').slice(0, line).forEach((l) => {
    const m = /^\s*(?:\.visible\s+|\.weak\s+)?\.entry\s+([\w$]+)/.exec(l);
    if (m) kernel = m[1];
  });
  return kernel;
}

/**
 * Runs a CUDA tool in `dir` and returns the bytes of `out`. A tool that cannot start is RLX_TOOLCHAIN_MISSING (or
 * _FAILED); a failing run is RLX_TOOLCHAIN_FAILED with its output and, where it names one, the kernel at fault
 * (nvcc: a kernels.cu line; ptxas: a kernels.ptx line; nvlink: a quoted symbol).
 */
async function runCudaTool(tool: CudaTool, bin: string, args: string[], src: CSource, dir: string, out: string, ptx?: string): Promise<Uint8Array> {
  const r = await runTool(bin, args, dir);
  if (r.spawnError) throw cannotRun(tool, bin, r.spawnError);
  if (r.code !== 0) {
    const msg = (r.stderr || r.stdout).trim();
    let kernel: string | undefined;
    if (tool === 'nvcc') {
      const line = /kernels\.cu\((\d+)\): error/.exec(msg)?.[1];
      kernel = line ? src.spans.find((s) => Number(line) >= s.firstLine && Number(line) <= s.lastLine)?.kernel : undefined;
    } else if (tool === 'ptxas') {
      const line = /kernels\.ptx, line (\d+)/.exec(msg)?.[1];
      kernel = line && ptx !== undefined ? ptxKernelAt(ptx, Number(line)) : undefined;
    } else {
      kernel = [...msg.matchAll(/'([\w$]+)'/g)].map((m) => m[1]!).find((n) => src.spans.some((s) => s.kernel === n));
    }
    const [what, input] = tool === 'nvlink' ? [`link the units' cubins into ${CUDA_CUBIN}`, 'unit cubins are']
      : tool === 'ptxas' ? [`assemble ${CUDA_PTX}`, `${CUDA_PTX} is`] : [`compile ${CUDA_SOURCE}`, `${CUDA_SOURCE} is`];
    throw new RelaxError('RLX_TOOLCHAIN_FAILED',
      `${tool} failed to ${what} (exit ${r.code}):\n${msg.length > 4000 ? `${msg.slice(0, 4000)}\n...` : msg}`,
      kernel ? { kernel } : undefined,
      `This is likely a bug in relax's CUDA codegen; the generated ${input} in the job's temp directory.`);
  }
  return new Uint8Array(await readFile(join(dir, out)));
}

/**
 * Compiles kernels.cu in `tmpDir` to a cubin and PTX for `arch` (reused from the object cache). A large source is
 * split into translation units (cudaUnits) compiled side by side on free compile slots, each cached on its own:
 * every unit becomes PTX and a relocatable cubin, the cubins are linked in order into one kernels.cubin (nvlink),
 * and kernels.ptx is the units' PTX joined under one header (the kernels are self-contained entries).
 */
export async function compileCuda(src: CSource, tmpDir: string, nvcc: string, arch: string): Promise<{ cubin: Uint8Array; ptx: Uint8Array }> {
  checkArch(arch);
  const ptxas = await findCudaTool(nvcc, 'ptxas');
  const stamp = `${toolStamp(nvcc)}|${toolStamp(ptxas)}`;
  const units = cudaUnits(src);
  if (units.length === 1) {
    const key = ['nvcc', stamp, arch, `${PTX_FLAGS.join(' ')} | ptxas ${ptxasFlags(arch, false).join(' ')}`, src.source];
    const out = await cachedCompile(key, async () => {
      const r = await withSlot(() => compileUnit(src, tmpDir, nvcc, ptxas, arch, false), { label: 'nvcc+ptxas', estimateMs: cudaEstimateMs(src) });
      return { [CUDA_CUBIN]: r.cubin, [CUDA_PTX]: r.ptx };
    });
    return { cubin: out[CUDA_CUBIN]!, ptx: out[CUDA_PTX]! };
  }
  const nvlink = await findCudaTool(nvcc, 'nvlink'); // before any unit compiles: a missing tool fails at once
  const parts = await runUnits(units.map((unit, i) => async () => {
    const key = ['nvcc-unit', stamp, arch, `${PTX_FLAGS.join(' ')} | ptxas ${ptxasFlags(arch, true).join(' ')}`, unit.source];
    const out = await cachedCompile(key, async () => {
      const r = await withSlot(() => compileUnit(unit, join(tmpDir, `unit${i}`), nvcc, ptxas, arch, true), { label: `nvcc+ptxas unit${i}`, estimateMs: cudaEstimateMs(unit) });
      return { [CUDA_CUBIN]: r.cubin, [CUDA_PTX]: r.ptx };
    });
    return { cubin: out[CUDA_CUBIN]!, ptx: out[CUDA_PTX]! };
  }));
  const names = parts.map((_, i) => `unit${i}.cubin`);
  await mkdir(tmpDir, { recursive: true });
  await Promise.all(parts.map((p, i) => writeFile(join(tmpDir, names[i]!), p.cubin)));
  const cubin = await withSlot(() => runCudaTool('nvlink', nvlink, [`--arch=${arch}`, '-o', CUDA_CUBIN, ...names], src, tmpDir, CUDA_CUBIN), { label: 'nvlink', estimateMs: FIRST });
  return { cubin, ptx: joinPtx(parts.map((p) => new TextDecoder().decode(p.ptx))) };
}

/**
 * Estimated compile work (cicc + ptxas CPU time) of one kernel from its CUDA body lines, in bytes-like units: its
 * source bytes plus 96 per statement, each statement counted once per iteration of the constant-trip
 * `#pragma unroll` loops around it (cicc unrolls those fully: a 7x7 window repeats its body 49 times). Fitted to
 * the measured CPU time of 41 units of 3 CNNs' kernels (R^2 0.95; source bytes alone 0.81): ~7 us per unit of cost.
 */
export function cudaKernelCost(body: readonly string[]): number {
  let bytes = 0;
  let statements = 0;
  const repeat = [1]; // per open brace: how many times its contents are emitted after unrolling
  let unrollNext = false;
  for (const raw of body) {
    bytes += raw.length + 1;
    const line = raw.replace(/\/\*.*?\*\//g, '').trim();
    if (line === '#pragma unroll') {
      unrollNext = true;
      continue;
    }
    if (line.endsWith(';')) statements += repeat[repeat.length - 1]!;
    const trips = unrollNext ? /^for \(int64_t (\w+) = 0; \1 < (\d+)LL; \+\+\1\) \{$/.exec(line)?.[2] : undefined;
    for (const ch of line) {
      if (ch === '{') repeat.push(Math.min(repeat[repeat.length - 1]! * (trips ? Number(trips) : 1), 1 << 16));
      else if (ch === '}' && repeat.length > 1) repeat.pop();
    }
    unrollNext = false;
  }
  return bytes + 96 * statements;
}

/**
 * The translation units kernels.cu is compiled as: one, or for a source over CUDA_UNIT_BYTES, a power of two
 * (about the estimated work over CUDA_UNIT_COST, at least 2) of units of consecutive kernels with even estimated
 * work (splitBalanced). Even units shorten the slowest one; a power of two fills a machine's compile slots in
 * whole rounds (2 units on 2 free slots, 4 on 4). Depends on the source alone, so artifacts do not depend on
 * `--jobs`.
 */
export function cudaUnits(src: CSource): CSource[] {
  if (src.source.length <= CUDA_UNIT_BYTES || src.spans.length < 2) return [src];
  const work = cudaWork(src);
  const count = 2 ** Math.max(1, Math.round(Math.log2(work / CUDA_UNIT_COST)));
  return splitBalanced(src, count, cudaKernelCost);
}

/** The estimated compile work of a source's kernels (cudaKernelCost summed). */
export function cudaWork(src: CSource): number {
  const lines = src.source.split('\n');
  return src.spans.reduce((sum, s) => sum + cudaKernelCost(lines.slice(s.firstLine - 1, s.lastLine)), 0);
}

/**
 * About how long nvcc + ptxas take on a unit, in ms: a fixed part (nvcc's preprocessing and parsing of the CUDA
 * runtime headers) plus its estimated work. Only the order of estimates matters (longest runs start first).
 */
export function cudaEstimateMs(src: CSource): number {
  return CUDA_FIXED_MS + CUDA_MS_PER_WORK * cudaWork(src);
}
const CUDA_FIXED_MS = 240;
const CUDA_MS_PER_WORK = 0.0055;

/** PTX modules joined into one: the first keeps its header (.version, .target, .address_size), the rest drop theirs. */
export function joinPtx(modules: readonly string[]): Uint8Array {
  const header = /^\s*\.(version|target|address_size)\b/;
  const text = modules.map((m, i) => (i === 0 ? m : m.split('\n').filter((l) => !header.test(l)).join('\n'))).join('\n');
  return new TextEncoder().encode(text);
}

/** nvcc's flags for source → PTX (the front end, cicc, runs once per unit). */
const PTX_FLAGS = ['-ptx', '-O3', '-std=c++17'];

/**
 * ptxas's flags for PTX → cubin, as `nvcc -cubin [-rdc=true]` passes them (so the cubin is byte-identical to what
 * nvcc made, down to the command line ptxas records in it): a unit linked with others afterwards is relocatable.
 */
function ptxasFlags(arch: string, relocatable: boolean): string[] {
  return [`-arch=${arch}`, '-m64', ...(relocatable ? ['--compile-only'] : [])];
}

/** Source → PTX (nvcc) → cubin (ptxas) in `dir`; `relocatable` for a unit that is linked with others afterwards. */
async function compileUnit(src: CSource, dir: string, nvcc: string, ptxas: string, arch: string, relocatable: boolean): Promise<{ cubin: Uint8Array; ptx: Uint8Array }> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, CUDA_SOURCE), src.source);
  const ptx = await runCudaTool('nvcc', nvcc, [...PTX_FLAGS, `-arch=${arch}`, '-o', CUDA_PTX, CUDA_SOURCE], src, dir, CUDA_PTX);
  const cubin = await runCudaTool('ptxas', ptxas, [...ptxasFlags(arch, relocatable), CUDA_PTX, '-o', CUDA_CUBIN], src, dir, CUDA_CUBIN,
    new TextDecoder().decode(ptx));
  return { cubin, ptx };
}
