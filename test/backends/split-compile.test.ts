/**
 * Large kernel sources are split into translation units (c-like.ts splitUnit), compiled side by side on the
 * build's free compile slots (backends/slots.ts) and linked in order: the output must not depend on how many ran
 * at once, every kernel must be in it, and `--jobs` must bound how many compiles run.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { balancedCuts, joinUnit, splitBalanced, splitUnit, type CSource } from '../../src/backends/c-like.js';
import { emitCSource } from '../../src/backends/cpu/codegen.js';
import { compileC, C_UNIT_BYTES, defaultCc } from '../../src/backends/cpu/toolchain.js';
import { emitCudaSource } from '../../src/backends/cuda/codegen.js';
import { compileCuda, CUDA_UNIT_BYTES, CUDA_UNIT_COST, cudaKernelCost, cudaUnits, findNvcc } from '../../src/backends/cuda/toolchain.js';
import { setObjectCacheDir } from '../../src/backends/object-cache.js';
import { claimCell, createSlots, FIRST, freeSlots, releaseCell, runInJob, runUnits, setCompileSlots, slotStats, withSlot } from '../../src/backends/slots.js';
import type { ToolSpan } from '../../src/compiler/job.js';
import type { PrimFunc } from '../../src/compiler/tir/types.js';
import { addFn, addGpuFn, mustRun, tmp } from './fixtures-c.js';

const many = (fn: PrimFunc, n: number): PrimFunc[] => Array.from({ length: n }, (_, i) => ({ ...fn, name: `${fn.name}_${i}` }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

afterEach(() => {
  setCompileSlots(undefined);
  setObjectCacheDir(undefined);
});

describe('compile slots', () => {
  it('without build slots, tool runs go one at a time, in order', async () => {
    slotStats.peak = 0;
    const order: number[] = [];
    const out = await runUnits([0, 1, 2, 3].map((i) => () => withSlot(async () => { order.push(i); await sleep(5); return i * 10; })));
    expect(out).toEqual([0, 10, 20, 30]);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(slotStats.peak).toBe(1);
  });

  it('takes free slots (never more), gives them back, and throws the first failure after the rest settle', async () => {
    const sab = createSlots(3);
    setCompileSlots(sab);
    slotStats.peak = 0;
    const out = await runUnits(Array.from({ length: 8 }, (_, i) => () => withSlot(async () => { await sleep(10); return i; })));
    expect(out).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(slotStats.peak).toBe(3);
    expect(freeSlots(sab)).toBe(3);
    let settled = 0;
    await expect(runUnits([
      () => withSlot(async () => { await sleep(5); throw new Error('unit 0 failed'); }),
      () => withSlot(async () => { await sleep(20); settled++; return 1; }),
      () => withSlot(async () => { await sleep(20); settled++; return 2; }),
    ])).rejects.toThrow('unit 0 failed');
    expect(settled).toBe(2);
    expect(freeSlots(sab)).toBe(3);
  });

  it("a job's own work holds no slot: another running job's units get them all", async () => {
    const sab = createSlots(2, 2);
    claimCell(sab, 100); // a running job still in its JavaScript (import, passes, codegen): no tool run yet
    setCompileSlots(sab, claimCell(sab, 10));
    slotStats.peak = 0;
    expect(await runUnits([0, 1].map((i) => () => withSlot(async () => { await sleep(20); return i; })))).toEqual([0, 1]);
    expect(slotStats.peak).toBe(2);
  });
});

describe('compile slots between jobs', () => {
  it("the costliest job's waiting tool run gets a freed slot first; a dead job's slots come back", async () => {
    const sab = createSlots(2, 4);
    const order: string[] = [];
    const unit = (name: string, ms = 30) => () => withSlot(async () => { order.push(name); await sleep(ms); return name; });
    // `other` (priority 50) runs one long tool; `cheap` (10) and `costly` (900) split their sources in two.
    setCompileSlots(sab, claimCell(sab, 50));
    const otherRun = unit('other', 45)();
    setCompileSlots(sab, claimCell(sab, 10));
    const cheapUnits = runUnits([unit('cheap-0'), unit('cheap-1')]);
    setCompileSlots(sab, claimCell(sab, 900));
    const costlyUnits = runUnits([unit('costly-0'), unit('costly-1')]);
    await sleep(15);
    expect(order).toEqual(['other', 'cheap-0']); // both slots taken; the rest wait
    // cheap-0 ends first: its slot goes to `costly`, though `cheap` asked first; then other's slot too.
    expect(await costlyUnits).toEqual(['costly-0', 'costly-1']);
    expect(await cheapUnits).toEqual(['cheap-0', 'cheap-1']);
    await otherRun;
    expect(order).toEqual(['other', 'cheap-0', 'costly-0', 'costly-1', 'cheap-1']);
    expect(freeSlots(sab)).toBe(2);
    // A job whose worker died holding a slot: ending it gives the slot back.
    const dead = claimCell(sab, 5);
    setCompileSlots(sab, dead);
    let release!: () => void;
    const hung = withSlot(() => new Promise<void>((r) => (release = r)));
    await sleep(1);
    expect(freeSlots(sab)).toBe(1);
    releaseCell(sab, dead); // the pool, when the dead job's task settles
    expect(freeSlots(sab)).toBe(2);
    release();
    await hung;
  });

  it('the longest waiting tool run (by estimate) goes first, across jobs and within one; links before compiles', async () => {
    const sab = createSlots(1, 4);
    const order: string[] = [];
    const run = (name: string, estimateMs: number, ms = 20) => () => withSlot(async () => { order.push(name); await sleep(ms); return name; }, { label: name, estimateMs });
    // The one slot is busy; then a costlier job's short units and a cheaper job's long unit queue behind it.
    const jobs = [claimCell(sab, 10), claimCell(sab, 900), claimCell(sab, 10)];
    const tools: ToolSpan[] = [];
    const busy = runInJob({ slots: sab, cell: jobs[0]!, tools }, run('busy', 100, 30));
    await sleep(5);
    const costly = runInJob({ slots: sab, cell: jobs[1]! }, () => runUnits([run('costly-short', 200), run('costly-long', 700)]));
    const cheap = runInJob({ slots: sab, cell: jobs[2]! }, () => runUnits([run('cheap-longest', 1500), run('cheap-link', FIRST, 5)]));
    await Promise.all([busy, costly, cheap]);
    expect(order).toEqual(['busy', 'cheap-link', 'cheap-longest', 'costly-long', 'costly-short']);
    // The job's tool record: its one run, with the estimate it waited under.
    expect(tools.map((t) => [t.label, t.estimateMs])).toEqual([['busy', 100]]);
    expect(tools[0]!.startAt).toBeGreaterThanOrEqual(tools[0]!.queuedAt);
    expect(tools[0]!.endAt).toBeGreaterThan(tools[0]!.startAt);
  });
});

describe('splitUnit', () => {
  it('keeps small sources whole and splits large ones by size, kernels in order, head in every unit', () => {
    const small = emitCSource(many(addFn, 3));
    expect(splitUnit(small, 64 * 1024)).toEqual([small]);
    const src = emitCSource(many(addFn, 40));
    const units = splitUnit(src, 2000);
    expect(units.length).toBeGreaterThan(3);
    expect(units.flatMap((u) => u.spans.map((s) => s.kernel))).toEqual(src.spans.map((s) => s.kernel));
    const head = src.source.split('\n').slice(0, src.spans[0]!.firstLine - 2).join('\n');
    for (const u of units) {
      expect(u.source.startsWith(head)).toBe(true);
      const lines = u.source.split('\n');
      for (const s of u.spans) {
        const orig = src.spans.find((o) => o.kernel === s.kernel)!;
        expect(lines.slice(s.firstLine - 1, s.lastLine)).toEqual(src.source.split('\n').slice(orig.firstLine - 1, orig.lastLine));
      }
    }
    // Only a single kernel may exceed the size.
    for (const u of units) if (u.spans.length > 1) expect(u.source.length).toBeLessThanOrEqual(2000);
  });
});

/** Kernel bodies as the CUDA printer lays them out: a cheap elementwise one, and a 7x7 window whose loops unroll. */
const cheapBody = (name: string): string[] => [
  `extern "C" __global__ void __launch_bounds__(256) ${name}(const float* A, float* B) {`,
  '  const int64_t i = (int64_t)blockIdx.x * 256LL + (int64_t)threadIdx.x;',
  ...Array.from({ length: 12 }, (_, j) => `  if (i < ${1000 + j}LL) { B[i + ${j}LL] = (A[i] * 0.5f) + (A[i + ${j}LL] * 0.25f); }`),
  '}',
];
const windowBody = (name: string): string[] => [
  `extern "C" __global__ void __launch_bounds__(256) ${name}(const float* A, float* B) {`,
  '  const int64_t i = (int64_t)blockIdx.x * 256LL + (int64_t)threadIdx.x;',
  '  float acc[1];',
  '  acc[0LL] = 0.0f;',
  '  #pragma unroll',
  '  for (int64_t k0 = 0; k0 < 7LL; ++k0) {',
  '    #pragma unroll',
  '    for (int64_t k1 = 0; k1 < 7LL; ++k1) {',
  '      acc[0LL] = (acc[0LL] + A[((i * 49LL) + (k0 * 7LL)) + k1]);',
  '    }',
  '  }',
  '  B[i] = acc[0LL];',
  '}',
];
const HEAD = ['/* head */', '#include <stdint.h>'];
const unitOf = (bodies: string[][]): CSource => joinUnit(HEAD, bodies, bodies.map((b) => ({ name: /void __launch_bounds__\(256\) (\w+)\(/.exec(b[0]!)![1]! })));
const costOf = (u: CSource): number => {
  const lines = u.source.split('\n');
  return u.spans.reduce((sum, s) => sum + cudaKernelCost(lines.slice(s.firstLine - 1, s.lastLine)), 0);
};

describe('balanced CUDA units', () => {
  it('balancedCuts finds the least possible largest run (checked against every cut) and never more runs than asked', () => {
    let seed = 7;
    const rand = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const best = (c: number[], k: number): number => {
      // Brute force: the least largest run over all ways to cut c into at most k runs.
      const go = (from: number, runs: number): number => {
        if (from === c.length) return 0;
        if (runs === 1) return c.slice(from).reduce((a, b) => a + b, 0);
        let m = Infinity;
        for (let end = from + 1; end <= c.length; end++) m = Math.min(m, Math.max(c.slice(from, end).reduce((a, b) => a + b, 0), go(end, runs - 1)));
        return m;
      };
      return go(0, k);
    };
    for (let t = 0; t < 200; t++) {
      const c = Array.from({ length: 1 + Math.floor(rand() * 9) }, () => Math.floor(rand() * (rand() < 0.2 ? 500 : 50)));
      const k = 1 + Math.floor(rand() * 4);
      const cuts = balancedCuts(c, k);
      expect(cuts.length).toBeLessThan(k);
      expect(cuts).toEqual([...cuts].sort((a, b) => a - b));
      const bounds = [0, ...cuts, c.length];
      const largest = Math.max(...bounds.slice(1).map((e, i) => c.slice(bounds[i], e).reduce((a, b) => a + b, 0)));
      expect(largest).toBe(best(c, k));
    }
  });

  it('counts statements in #pragma unroll loops once per iteration', () => {
    const window = windowBody('w');
    const flat = window.filter((l) => l.trim() !== '#pragma unroll');
    const bytes = (b: string[]): number => b.reduce((n, l) => n + l.length + 1, 0);
    // 3 statements outside the loops (i, acc decl, acc = 0), 49 unrolled copies of the body, 1 store.
    expect(cudaKernelCost(window)).toBe(bytes(window) + 96 * (3 + 49 + 1));
    // Without the pragma the loop is not unrolled: its body counts once.
    expect(cudaKernelCost(flat)).toBe(bytes(flat) + 96 * (3 + 1 + 1));
  });

  it('splits a large source into a power of two of units with even estimated work, where a split by bytes is lopsided', () => {
    // Cheap kernels first, costly (unrolled) ones last: bytes say the units are even, compile time says not.
    const bodies = [
      ...Array.from({ length: 260 }, (_, i) => cheapBody(`cheap_${i}`)),
      ...Array.from({ length: 120 }, (_, i) => windowBody(`window_${i}`)),
    ];
    const src = unitOf(bodies);
    expect(src.source.length).toBeGreaterThan(CUDA_UNIT_BYTES);
    const units = cudaUnits(src);
    const total = costOf(src);
    const k = units.length;
    expect(k).toBe(2 ** Math.max(1, Math.round(Math.log2(total / CUDA_UNIT_COST))));
    expect(k).toBeGreaterThanOrEqual(2);
    // Every kernel exactly once, in order, each unit repeating the head.
    expect(units.flatMap((u) => u.spans.map((s) => s.kernel))).toEqual(src.spans.map((s) => s.kernel));
    for (const u of units) expect(u.source.startsWith(HEAD.join('\n'))).toBe(true);
    // Even: the costliest unit is within one kernel of the ideal share (kernels are not cut).
    const costs = units.map(costOf);
    const largestKernel = Math.max(...bodies.map(cudaKernelCost));
    expect(Math.max(...costs)).toBeLessThanOrEqual(total / k + largestKernel);
    expect(Math.max(...costs) / Math.min(...costs)).toBeLessThan(1.2);
    // The same number of units cut by bytes would be lopsided (what the greedy 160 KB split did, and worse).
    const byBytes = splitBalanced(src, k, (b) => b.join('\n').length);
    const byBytesCosts = byBytes.map(costOf);
    expect(Math.max(...byBytesCosts) / Math.min(...byBytesCosts)).toBeGreaterThan(1.5);
    // The split depends on the source alone.
    expect(cudaUnits(unitOf(bodies))).toEqual(units);
  });

  it('keeps a source of at most CUDA_UNIT_BYTES whole, however costly', () => {
    const src = unitOf(Array.from({ length: 40 }, (_, i) => windowBody(`w${i}`)));
    expect(src.source.length).toBeLessThanOrEqual(CUDA_UNIT_BYTES);
    expect(costOf(src)).toBeGreaterThan(CUDA_UNIT_COST);
    expect(cudaUnits(src)).toEqual([src]);
  });
});

describe('split compiles (real toolchains)', () => {
  const ccOk = (() => { try { execFileSync(defaultCc(), ['--version']); return true; } catch { return false; } })();

  it.runIf(mustRun(ccOk, 'cc'))('cc: a library from several units holds every kernel and does not depend on the slots it got', async () => {
    const one = emitCSource(many(addFn, 2)).source.length - emitCSource(many(addFn, 1)).source.length;
    const src = emitCSource(many(addFn, Math.ceil((3.5 * C_UNIT_BYTES) / one)));
    expect(splitUnit(src, C_UNIT_BYTES).length).toBeGreaterThan(1);
    slotStats.peak = 0;
    const serial = await compileC(src, tmp('split-cc-a'));
    expect(slotStats.peak).toBe(1); // no build slots: one cc at a time
    const sab = createSlots(4);
    setCompileSlots(sab);
    slotStats.peak = 0;
    const parallel = await compileC(src, tmp('split-cc-b'));
    expect(slotStats.peak).toBeGreaterThan(1);
    expect(slotStats.peak).toBeLessThanOrEqual(4);
    expect(freeSlots(sab)).toBe(4);
    expect(Buffer.from(parallel).equals(Buffer.from(serial))).toBe(true);
    const so = join(tmp('split-cc-so'), 'k.so');
    writeFileSync(so, serial);
    const symbols = execFileSync('nm', ['-D', '--defined-only', so], { encoding: 'utf8' });
    for (const s of src.spans) expect(symbols).toMatch(new RegExp(` T ${s.kernel}$`, 'm'));
  }, 120_000);

  const nvcc = findNvcc();
  it.runIf(mustRun(nvcc !== null, 'nvcc'))('nvcc: units are linked into one loadable cubin with every kernel, not depending on the slots; the joined PTX assembles', async () => {
    // Enough kernels for two or three units.
    const one = emitCudaSource(many(addGpuFn, 2)).source.length - emitCudaSource(many(addGpuFn, 1)).source.length;
    const src = emitCudaSource(many(addGpuFn, Math.ceil((2.2 * CUDA_UNIT_BYTES) / one)));
    expect(cudaUnits(src).length).toBeGreaterThan(1);
    const serial = await compileCuda(src, tmp('split-nvcc-serial'), nvcc!, 'sm_90');
    const sab = createSlots(2);
    setCompileSlots(sab);
    slotStats.peak = 0;
    const dir = tmp('split-nvcc');
    const { cubin, ptx } = await compileCuda(src, dir, nvcc!, 'sm_90');
    expect(slotStats.peak).toBe(2);
    expect(freeSlots(sab)).toBe(2);
    expect(Buffer.from(cubin).equals(Buffer.from(serial.cubin))).toBe(true);
    expect(Buffer.from(ptx).equals(Buffer.from(serial.ptx))).toBe(true);
    writeFileSync(join(dir, 'linked.cubin'), cubin);
    // A linked image (what cuModuleLoadData takes), not a relocatable object, defining every kernel by name.
    expect(execFileSync('readelf', ['-hW', join(dir, 'linked.cubin')], { encoding: 'utf8' })).toMatch(/Type:\s+EXEC/);
    const funcs = execFileSync('readelf', ['-sW', join(dir, 'linked.cubin')], { encoding: 'utf8' }).split('\n')
      .filter((l) => / FUNC +GLOBAL /.test(l)).map((l) => l.trim().split(/\s+/).pop());
    expect(funcs.sort()).toEqual(src.spans.map((s) => s.kernel).sort());
    const text = new TextDecoder().decode(ptx);
    expect(text.match(/^\.version /gm)).toHaveLength(1);
    expect(text.match(/^\.visible \.entry /gm)).toHaveLength(src.spans.length);
    writeFileSync(join(dir, 'joined.ptx'), ptx);
    execFileSync(nvcc!, ['-cubin', '-arch=sm_90', '-o', 'joined.cubin', 'joined.ptx'], { cwd: dir });
  }, 300_000);
});
