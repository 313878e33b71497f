import { describe, expect, it } from 'vitest';
import { createCpuBackend, cpuBackend } from '../../src/backends/cpu/index.js';
import { createCpuDevice } from '../../src/backends/cpu/device.js';
import { ccVersion } from '../../src/backends/cpu/toolchain.js';
import { isRelaxError } from '../../src/diagnostics/index.js';
import type { PrimFunc } from '../../src/compiler/tir/types.js';
import { addFn, mathFn, predFn, rowSumFn } from './fixtures-c.js';
import { cpuTarget, mustRun, tmp, writeArtifact } from './fixtures-c.js';

const haveCc = ccVersion() !== null;
const run = mustRun(haveCc, 'cc');

async function build(funcs: PrimFunc[]) {
  const res = await cpuBackend.codegen(funcs, cpuTarget, { tmpDir: tmp('cc') });
  const { dir, manifest } = writeArtifact(res, cpuTarget);
  const dev = createCpuDevice();
  await dev.loadKernels(dir, manifest);
  return { res, dev, kernel: (name: string) => res.kernels.find((k) => k.name === name)! };
}

function f32(dev: ReturnType<typeof createCpuDevice>, values: ArrayLike<number>) {
  const a = Float32Array.from(values);
  const b = dev.alloc(a.byteLength);
  dev.upload(b, new Uint8Array(a.buffer));
  return b;
}

describe.runIf(run)('cpu backend: compile and run', () => {
  it('reports the compiler version', () => {
    expect(cpuBackend.toolchain().version).toMatch(/\S/);
  });

  it('adds with a symbolic n, including tensor views at byte offsets', async () => {
    const { dev, kernel } = await build([addFn]);
    const n = 1000;
    const a = Array.from({ length: n }, (_, i) => Math.sin(i) * 100);
    const b = Array.from({ length: n }, (_, i) => Math.cos(i * 0.37) * 3);
    const A = f32(dev, a), B = f32(dev, b);
    // C lives 64 bytes into a bigger storage, like a VM tensor view.
    const store = dev.alloc(64 + 4 * n);
    dev.launch(kernel('add_f32'), [{ buf: A, offset: 0 }, { buf: B, offset: 0 }, { buf: store, offset: 64 }], [n]);
    await dev.sync();
    const c = new Float32Array((await dev.download(store, 64, 4 * n)).buffer);
    const want = a.map((x, i) => Math.fround(Math.fround(x) + Math.fround(b[i]!)));
    expect(Array.from(c)).toEqual(want);
    // Nothing was written before the view.
    expect(Array.from(await dev.download(store, 0, 64))).toEqual(new Array(64).fill(0));
    dev.dispose();
  });

  it('sums rows with a block init (reduce iter var)', async () => {
    const { dev, kernel } = await build([rowSumFn]);
    const m = 7, k = 33;
    const a = Array.from({ length: m * k }, (_, i) => ((i * 7919) % 101) / 10 - 5);
    const A = f32(dev, a);
    const S = f32(dev, new Array(m).fill(12345)); // garbage the init must overwrite
    dev.launch(kernel('row_sum'), [{ buf: A, offset: 0 }, { buf: S, offset: 0 }], [m, k]);
    const s = new Float32Array((await dev.download(S, 0, 4 * m)).buffer);
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let j = 0; j < k; j++) acc = Math.fround(acc + Math.fround(a[i * k + j]!));
      expect(s[i]).toBe(acc);
    }
    dev.dispose();
  });

  it('guards a split loop with the block predicate; floordiv/floormod round towards -inf', async () => {
    const { dev, kernel, res } = await build([predFn]);
    expect(res.kernels[0]!.params.map((p) => p.access)).toEqual(['read', 'read', 'write', 'write']);
    const x = [7n, -7n, 7n, -7n, 0n, -1n, 9n];
    const d = [3n, 3n, -3n, -3n, 5n, 4n, 3n];
    const n = x.length; // 7: not a multiple of 4
    const mk = (v: bigint[]) => { const t = BigInt64Array.from(v); const b = dev.alloc(t.byteLength + 8); dev.upload(b, new Uint8Array(t.buffer)); return b; };
    const X = mk(x), D = mk(d);
    const sentinel = new Array<bigint>(n + 1).fill(-99n);
    const Q = mk(sentinel), R = mk(sentinel);
    dev.launch(kernel('divmod_pred'), [X, D, Q, R].map((buf) => ({ buf, offset: 0 })), [n]);
    const q = new BigInt64Array((await dev.download(Q, 0, 8 * (n + 1))).buffer);
    const r = new BigInt64Array((await dev.download(R, 0, 8 * (n + 1))).buffer);
    const fdiv = (a: bigint, b: bigint) => BigInt(Math.floor(Number(a) / Number(b)));
    expect(Array.from(q.slice(0, n))).toEqual(x.map((a, i) => fdiv(a, d[i]!)));
    expect(Array.from(r.slice(0, n))).toEqual(x.map((a, i) => a - fdiv(a, d[i]!) * d[i]!));
    // The predicate kept the 8th lane (past n) from writing.
    expect(q[n]).toBe(-99n);
    expect(r[n]).toBe(-99n);
    dev.dispose();
  });

  it('maps math functions, literals and NaN-propagating min/max', async () => {
    const { dev, kernel } = await build([mathFn]);
    const x = [-3.5, -0.5, 0, 0.5, 2.5, 4, NaN, Infinity];
    const y = [-4, 9, 0.25, -1e-300, 2, 16, 1e300, -0.0];
    const X = f32(dev, x);
    const yb = new Float64Array(y);
    const Y = dev.alloc(64); dev.upload(Y, new Uint8Array(yb.buffer));
    const outs = [4, 4, 4, 8, 1, 4].map((b) => dev.alloc(8 * b));
    dev.launch(kernel('math_mix'), [X, Y, ...outs].map((buf) => ({ buf, offset: 0 })), []);
    const dl = async (i: number) => (await dev.download(outs[i]!, 0, outs[i]!.bytes)).buffer;
    const o1 = new Float32Array(await dl(0)), o2 = new Float32Array(await dl(1)), o3 = new Float32Array(await dl(2));
    const o4 = new Float64Array(await dl(3)), o5 = new Uint8Array(await dl(4)), o6 = new Int32Array(await dl(5));
    const erf = (v: number) => { // Abramowitz-Stegun 7.1.26 (|err| < 1.5e-7)
      const s = Math.sign(v), t = 1 / (1 + 0.3275911 * Math.abs(v));
      return s * (1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-v * v));
    };
    x.forEach((v, i) => {
      if (Number.isNaN(v)) {
        expect(o1[i]).toBeNaN(); expect(o2[i]).toBeNaN(); expect(o3[i]).toBeNaN();
        expect(o5[i]).toBe(1);
        return;
      }
      if (Number.isFinite(v)) expect(o1[i]).toBeCloseTo(1 / (1 + Math.exp(-v)) + erf(v) * 0.1, 5);
      expect(o2[i]).toBe(Math.min(v, 2.5));
      expect(o3[i]).toBeCloseTo(v > 0 ? Math.fround(Math.exp(v)) : Math.tanh(v) - 1e-7, 5);
      expect(o5[i]).toBe(0);
      if (Number.isFinite(v)) {
        const half = Math.abs(v % 1) === 0.5;
        expect(o6[i]).toBe((half ? 2 * Math.round(v / 2) : Math.round(v)) + 0); // round half to even
      }
    });
    y.forEach((v, i) => expect(o4[i]).toBe(Math.sqrt(Math.abs(v)) * 0.1));
    dev.dispose();
  });

  it('produces byte-identical kernels.c and kernels.so across compiles in different temp dirs', async () => {
    const a = await cpuBackend.codegen([addFn, rowSumFn, predFn, mathFn], cpuTarget, { tmpDir: tmp('det-a') });
    const b = await cpuBackend.codegen([addFn, rowSumFn, predFn, mathFn], cpuTarget, { tmpDir: tmp('det-b') });
    expect(a.files.map((f) => f.path)).toEqual(['kernels.c', 'kernels.so']);
    expect(a.kernelFiles).toEqual({ source: 'kernels.c', binary: 'kernels.so' });
    for (let i = 0; i < a.files.length; i++) {
      expect(Buffer.from(b.files[i]!.data).equals(Buffer.from(a.files[i]!.data))).toBe(true);
    }
    expect(a.files[1]!.data.byteLength).toBeGreaterThan(1000);
  });

  it('reports a compile error as RLX_TOOLCHAIN_FAILED with the compiler message and the kernel', async () => {
    // A free variable that is neither a param, a var nor a loop var: codegen prints it, cc rejects it.
    const broken: PrimFunc = {
      ...addFn, name: 'broken',
      body: { k: 'store', buffer: 'C', indices: [{ k: 'int', value: 0, dtype: 'int64' }], value: { k: 'var', name: 'ghost', dtype: 'float32' } },
    };
    const err = await cpuBackend.codegen([addFn, broken], cpuTarget, { tmpDir: tmp('ccerr') }).catch((e: unknown) => e);
    expect(isRelaxError(err) && err.diagnostic).toMatchObject({ code: 'RLX_TOOLCHAIN_FAILED', where: { kernel: 'broken' } });
    expect(isRelaxError(err) && err.message).toMatch(/kernels\.c:\d+:\d+: error: .*ghost/);
  });

  it('reports a missing compiler as RLX_TOOLCHAIN_MISSING', async () => {
    const be = createCpuBackend({ cc: 'relax-no-such-cc' });
    expect(be.toolchain().version).toBeNull();
    const err = await be.codegen([addFn], cpuTarget, { tmpDir: tmp('nocc') }).catch((e: unknown) => e);
    expect(isRelaxError(err) && err.diagnostic.code).toBe('RLX_TOOLCHAIN_MISSING');
  });
});
