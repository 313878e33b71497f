import { describe, expect, it } from 'vitest';
import { createCudaBackend, cudaBackend, emitCudaSource } from '../../src/backends/cuda/index.js';
import { createCudaDevice } from '../../src/backends/cuda/device.js';
import { findNvcc } from '../../src/backends/cuda/toolchain.js';
import { kernelInfo, toShapeExpr } from '../../src/backends/kernel-info.js';
import { isRelaxError } from '../../src/diagnostics/index.js';
import { emitCSource } from '../../src/backends/cpu/codegen.js';
import type { PrimFunc } from '../../src/compiler/tir/types.js';
import { addFn, addGpuFn, buf, rowSumGpuFn } from './fixtures-c.js';
import { cudaTarget, mustRun, tmp, writeArtifact } from './fixtures-c.js';

const code = (f: () => unknown): string | undefined => {
  try { f(); } catch (e) { return isRelaxError(e) ? e.diagnostic.code : `not a RelaxError: ${String(e)}`; }
  return undefined;
};

describe('cuda codegen', () => {
  it('binds thread loops to blockIdx/threadIdx, sets launch bounds, and prints shared memory and barriers', () => {
    const src = emitCudaSource([addGpuFn, rowSumGpuFn]).source;
    expect(src).toContain('extern "C" __global__ void __launch_bounds__(256) add_f32_gpu(const float* A, const float* B, float* C, int64_t n) {');
    expect(src).toContain('const int64_t bx = (int64_t)blockIdx.x;');
    expect(src).toContain('const int64_t tx = (int64_t)threadIdx.x;');
    expect(src).toContain('__shared__ float red[256];');
    expect(src).toContain('float acc[1];');
    expect(src).toContain('__syncthreads();');
    // Loops exactly covering the launch need no guard; the block predicate guards the split remainder.
    expect(src).not.toMatch(/if \(tx < 256LL\)/);
    expect(src).toContain('if ((((bx * 256LL) + tx) < n)) {');
    expect(src).not.toMatch(/for \(int64_t (bx|tx)/);
    // NVRTC has no <stdint.h>.
    expect(src).toContain('#ifdef __CUDACC_RTC__');
  });

  it('guards a thread loop that covers less than the launch', () => {
    const fn: PrimFunc = {
      ...addGpuFn, name: 'narrow',
      body: { k: 'for', var: 't', extent: { k: 'int', value: 100, dtype: 'int64' }, kind: 'thread', thread: 'threadIdx.x',
        body: { k: 'store', buffer: 'C', indices: [{ k: 'var', name: 't', dtype: 'int64' }], value: { k: 'float', value: 1, dtype: 'float32' } } },
    };
    expect(emitCudaSource([fn]).source).toContain('if (t < 100LL) {');
  });

  it('derives KernelInfo: access modes, vars, launch as ShapeExpr, scheduledBy, origin', () => {
    expect(kernelInfo(addGpuFn)).toEqual({
      name: 'add_f32_gpu',
      params: [
        { name: 'A', dtype: 'float32', access: 'read' },
        { name: 'B', dtype: 'float32', access: 'read' },
        { name: 'C', dtype: 'float32', access: 'write' },
      ],
      vars: ['n'],
      launch: { grid: [['floordiv', ['+', 'n', 255], 256]], block: [256] },
      scheduledBy: 'Fallback',
      origin: ["Add 'add0'"],
    });
    // S is loaded (accumulated into) and stored: readwrite in the CPU version; the shared buffer is not a param.
    expect(kernelInfo(rowSumGpuFn).params.map((p) => p.access)).toEqual(['read', 'write']);
    expect(toShapeExpr({ k: 'bin', op: 'min', a: { k: 'var', name: 'n', dtype: 'int64' }, b: { k: 'int', value: 4, dtype: 'int64' }, dtype: 'int64' }))
      .toEqual(['min', 'n', 4]);
    expect(code(() => toShapeExpr({ k: 'load', buffer: 'X', indices: [], dtype: 'int64' }))).toBe('RLX_CODEGEN_BAD_SHAPE_EXPR');
  });

  it('rejects unscheduled kernels and thread loops on cpu with RelaxErrors naming the kernel', () => {
    let err: unknown;
    try { emitCudaSource([addFn]); } catch (e) { err = e; }
    expect(isRelaxError(err) && err.diagnostic).toMatchObject({ code: 'RLX_CODEGEN_UNSCHEDULED', where: { kernel: addFn.name } });
    expect(code(() => emitCSource([addGpuFn]))).toBe('RLX_CODEGEN_UNSUPPORTED');
    expect(code(() => emitCudaSource([{ ...addGpuFn, name: 'bad-name' }]))).toBe('RLX_CODEGEN_INVALID_NAME');
    expect(code(() => emitCudaSource([addGpuFn, addGpuFn]))).toBe('RLX_CODEGEN_DUPLICATE_KERNEL');
  });

  it('without nvcc emits kernels.cu only, with a warning', async () => {
    const res = await createCudaBackend({ nvcc: null }).codegen([addGpuFn], cudaTarget, { tmpDir: tmp('nonvcc') });
    expect(res.files.map((f) => f.path)).toEqual(['kernels.cu']);
    expect(res.kernelFiles).toEqual({ source: 'kernels.cu' });
    expect(res.diagnostics).toHaveLength(1);
    expect(res.diagnostics[0]).toMatchObject({ code: 'RLX_TOOLCHAIN_MISSING', severity: 'warning' });
  });
});

const haveNvcc = findNvcc() !== null;
describe.runIf(mustRun(haveNvcc, 'nvcc'))('cuda backend: nvcc', () => {
  it('compiles a cubin and PTX for sm_90, byte-identical across builds', async () => {
    expect(cudaBackend.toolchain().version).toMatch(/^nvcc \d+\.\d+/);
    const a = await cudaBackend.codegen([addGpuFn, rowSumGpuFn], cudaTarget, { tmpDir: tmp('nvcc-a') });
    const b = await cudaBackend.codegen([addGpuFn, rowSumGpuFn], cudaTarget, { tmpDir: tmp('nvcc-b') });
    expect(a.files.map((f) => f.path)).toEqual(['kernels.cu', 'kernels.cubin', 'kernels.ptx']);
    expect(a.kernelFiles).toEqual({ source: 'kernels.cu', binary: 'kernels.cubin', ptx: 'kernels.ptx' });
    const cubin = a.files[1]!.data;
    expect(Array.from(cubin.slice(0, 4))).toEqual([0x7f, 0x45, 0x4c, 0x46]); // ELF
    const ptx = new TextDecoder().decode(a.files[2]!.data);
    expect(ptx).toContain('.target sm_90');
    expect(ptx).toContain('.entry add_f32_gpu');
    expect(ptx).toContain('.entry row_sum_gpu');
    expect(ptx).toContain('bar.sync');
    for (let i = 0; i < a.files.length; i++) {
      expect(Buffer.from(b.files[i]!.data).equals(Buffer.from(a.files[i]!.data))).toBe(true);
    }
  }, 60_000);

  it('reports an invalid arch as a target error', async () => {
    const bad = { ...cudaTarget, attrs: { ...cudaTarget.attrs, arch: 'hopper' } };
    const err = await cudaBackend.codegen([addGpuFn], bad, { tmpDir: tmp('badarch') }).catch((e: unknown) => e);
    expect(isRelaxError(err) && err.diagnostic.code).toBe('RLX_TARGET_INVALID');
  });
});

/** Opens the GPU, or returns why not (must be RLX_DEVICE_UNAVAILABLE). */
function openGpu(): ReturnType<typeof createCudaDevice> | string {
  try { return createCudaDevice(); } catch (e) {
    if (isRelaxError(e) && e.diagnostic.code === 'RLX_DEVICE_UNAVAILABLE') return e.message;
    throw e;
  }
}

describe('cuda device', () => {
  it('either opens a GPU or fails with RLX_DEVICE_UNAVAILABLE', () => {
    const d = openGpu();
    if (typeof d === 'string') expect(d).toMatch(/CUDA|libcuda|cu/);
    else { expect(d.arch).toMatch(/^sm_\d+$/); d.dispose(); }
  });

  const gpu = openGpu();
  const haveGpu = typeof gpu !== 'string';
  if (haveGpu) gpu.dispose();
  else console.warn(`skipping the GPU run: ${gpu}`);
  it.runIf(haveGpu && haveNvcc)('runs add (symbolic n, view offset) and the shared-memory row sum on the GPU', async () => {
    const res = await cudaBackend.codegen([addGpuFn, rowSumGpuFn], cudaTarget, { tmpDir: tmp('gpu') });
    const { dir, manifest } = writeArtifact(res, cudaTarget);
    const dev = createCudaDevice();
    await dev.loadKernels(dir, manifest);
    const k = (name: string) => res.kernels.find((x) => x.name === name)!;
    const n = 1000;
    const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: n }, (_, i) => i * 0.5);
    const A = dev.alloc(4 * n), B = dev.alloc(4 * n), C = dev.alloc(4 * n + 256);
    dev.upload(A, new Uint8Array(a.buffer)); dev.upload(B, new Uint8Array(b.buffer));
    dev.launch(k('add_f32_gpu'), [{ buf: A, offset: 0 }, { buf: B, offset: 0 }, { buf: C, offset: 256 }], [n], [Math.ceil(n / 256)]);
    await dev.sync();
    const c = new Float32Array((await dev.download(C, 256, 4 * n)).buffer);
    expect(Array.from(c)).toEqual(Array.from(a, (x, i) => Math.fround(x + b[i]!)));
    const m = 5, kk = 3000;
    const x = Float32Array.from({ length: m * kk }, (_, i) => ((i % 7) - 3) * 0.25);
    const X = dev.alloc(x.byteLength), S = dev.alloc(4 * m);
    dev.upload(X, new Uint8Array(x.buffer));
    dev.launch(k('row_sum_gpu'), [{ buf: X, offset: 0 }, { buf: S, offset: 0 }], [m, kk], [m]);
    const s = new Float32Array((await dev.download(S, 0, 4 * m)).buffer);
    for (let i = 0; i < m; i++) {
      let acc = 0;
      for (let j = 0; j < kk; j++) acc += x[i * kk + j]!;
      expect(s[i]).toBeCloseTo(acc, 3);
    }
    dev.dispose();
  }, 60_000);
});
