/**
 * Exercises the cuda device's driver-API calling conventions (out params, pointer arithmetic for views,
 * cuLaunchKernel's array of pointers to argument values, module loading order) against a mock libcuda
 * built with the host cc: the mock runs the two fixture kernels on the CPU from the packed arguments.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCudaBackend } from '../../src/backends/cuda/index.js';
import { createCudaDevice } from '../../src/backends/cuda/device.js';
import { ccVersion } from '../../src/backends/cpu/toolchain.js';
import { isRelaxError } from '../../src/diagnostics/index.js';
import type { Manifest } from '../../src/formats/manifest.js';
import { addGpuFn, rowSumGpuFn } from './fixtures-c.js';
import { cudaTarget, mustRun, tmp, writeArtifact } from './fixtures-c.js';

const MOCK = String.raw`
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
static int current = 0, loaded_ptx = 0, loaded_cubin = 0;
int cuInit(unsigned f) { return f == 0 ? 0 : 1; }
int cuDeviceGet(int *d, int o) { if (o != 0) return 101; *d = 0; return 0; }
int cuDeviceGetAttribute(int *v, int a, int d) { *v = a == 75 ? 9 : a == 76 ? 0 : -1; return d == 0 ? 0 : 101; }
int cuDevicePrimaryCtxRetain(void **c, int d) { *c = (void *)0x1234; return 0; }
int cuDevicePrimaryCtxRelease_v2(int d) { return 0; }
int cuCtxSetCurrent(void *c) { current = c == (void *)0x1234; return current ? 0 : 201; }
int cuCtxSynchronize(void) { return current ? 0 : 201; }
int cuModuleLoadData(void **m, const void *img) {
  const unsigned char *p = img;
  if (p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' && p[3] == 'F') { loaded_cubin++; *m = (void *)0x77; return 0; }
  size_t n = strnlen((const char *)p, 1 << 20);
  if (n < (1 << 20) && strstr((const char *)p, ".entry")) { loaded_ptx++; *m = (void *)0x77; return 0; }
  return 200; /* CUDA_ERROR_INVALID_IMAGE */
}
int cuModuleUnload(void *m) { return 0; }
int cuModuleGetFunction(void **f, void *m, const char *name) {
  if (m != (void *)0x77) return 400;
  if (!strcmp(name, "add_f32_gpu")) { *f = (void *)1; return 0; }
  if (!strcmp(name, "row_sum_gpu")) { *f = (void *)2; return 0; }
  return 500; /* CUDA_ERROR_NOT_FOUND */
}
int cuMemAlloc_v2(uint64_t *p, size_t n) { *p = (uint64_t)(uintptr_t)malloc(n); return 0; }
int cuMemFree_v2(uint64_t p) { free((void *)(uintptr_t)p); return 0; }
int cuMemcpyHtoD_v2(uint64_t d, const void *s, size_t n) { memcpy((void *)(uintptr_t)d, s, n); return 0; }
int cuMemcpyDtoH_v2(void *d, uint64_t s, size_t n) { memcpy(d, (void *)(uintptr_t)s, n); return 0; }
int cuLaunchKernel(void *f, unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz,
                   unsigned shmem, void *stream, void **params, void **extra) {
  if (gy != 1 || gz != 1 || by != 1 || bz != 1 || shmem != 0 || stream || extra || !current) return 1;
  if (f == (void *)1) {
    const float *A = *(float **)params[0], *B = *(float **)params[1]; float *C = *(float **)params[2];
    int64_t n = *(int64_t *)params[3];
    if (bx != 256) return 1;
    for (int64_t i = 0; i < (int64_t)gx * bx; i++) if (i < n) C[i] = A[i] + B[i];
    return 0;
  }
  if (f == (void *)2) {
    const float *A = *(float **)params[0]; float *S = *(float **)params[1];
    int64_t m = *(int64_t *)params[2], k = *(int64_t *)params[3];
    if ((int64_t)gx != m) return 1;
    for (int64_t i = 0; i < m; i++) { float a = 0; for (int64_t j = 0; j < k; j++) a += A[i * k + j]; S[i] = a; }
    return 0;
  }
  return 400; /* CUDA_ERROR_INVALID_HANDLE */
}
int cuGetErrorName(int e, const char **s) {
  *s = e == 500 ? "CUDA_ERROR_NOT_FOUND" : e == 200 ? "CUDA_ERROR_INVALID_IMAGE" : "CUDA_ERROR_UNKNOWN"; return 0;
}
`;

/** NVRTC mock: "compiles" to a fake ELF when given the right arch option; a source with #error fails with a log. */
const NVRTC_MOCK = String.raw`
#include <stdlib.h>
#include <string.h>
typedef struct { char *src; int ok; } prog_t;
const char *nvrtcGetErrorString(int r) { return r == 6 ? "NVRTC_ERROR_COMPILATION" : r ? "NVRTC_ERROR" : "NVRTC_SUCCESS"; }
int nvrtcCreateProgram(void **p, const char *src, const char *name, int nh, void *h, void *hn) {
  if (strcmp(name, "kernels.cu") || nh != 0 || h || hn) return 1;
  prog_t *q = calloc(1, sizeof *q); q->src = strdup(src); *p = q; return 0;
}
int nvrtcCompileProgram(void *p, int n, const char **opts) {
  prog_t *q = p;
  if (n != 2 || strcmp(opts[0], "--gpu-architecture=sm_90") || strcmp(opts[1], "-std=c++17")) return 1;
  if (strstr(q->src, "#error")) return 6;
  q->ok = 1; return 0;
}
static const char LOG[] = "kernels.cu(3): error: boom";
int nvrtcGetProgramLogSize(void *p, size_t *n) { *n = sizeof LOG; return 0; }
int nvrtcGetProgramLog(void *p, char *log) { memcpy(log, LOG, sizeof LOG); return 0; }
int nvrtcGetCUBINSize(void *p, size_t *n) { *n = 8; return ((prog_t *)p)->ok ? 0 : 1; }
int nvrtcGetCUBIN(void *p, char *out) { const char e[8] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0 }; memcpy(out, e, 8); return 0; }
int nvrtcDestroyProgram(void **p) { prog_t *q = *p; free(q->src); free(q); *p = 0; return 0; }
`;

const haveCc = ccVersion() !== null;

describe.runIf(mustRun(haveCc, 'cc'))('cuda device against a mock driver', () => {
  const dir = tmp('mockcuda');
  writeFileSync(join(dir, 'mock.c'), MOCK);
  writeFileSync(join(dir, 'nvrtc.c'), NVRTC_MOCK);
  if (haveCc) {
    execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', 'libcuda-mock.so', 'mock.c'], { cwd: dir });
    execFileSync('cc', ['-shared', '-fPIC', '-O1', '-o', 'libnvrtc-mock.so', 'nvrtc.c'], { cwd: dir });
  }
  const driver = join(dir, 'libcuda-mock.so');
  const nvrtc = join(dir, 'libnvrtc-mock.so');

  async function artifact(arch: string): Promise<{ dir: string; manifest: Manifest }> {
    // Source-only codegen (no nvcc needed), then fake binaries: an ELF header as the cubin and a PTX text.
    const res = await createCudaBackend({ nvcc: null }).codegen([addGpuFn, rowSumGpuFn], cudaTarget, { tmpDir: tmp('mockcg') });
    const files = [...res.files,
      { path: 'kernels.cubin', data: new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]) },
      { path: 'kernels.ptx', data: new TextEncoder().encode('.version 9.0\n.target sm_90\n.entry add_f32_gpu()\n') }];
    const target = { ...cudaTarget, attrs: { ...cudaTarget.attrs, arch } };
    return writeArtifact({ ...res, files, kernelFiles: { source: 'kernels.cu', binary: 'kernels.cubin', ptx: 'kernels.ptx' } }, target);
  }

  it('loads the cubin for a matching arch and runs kernels with packed arguments', async () => {
    const dev = createCudaDevice({ driver });
    expect(dev.arch).toBe('sm_90');
    const { dir: art, manifest } = await artifact('sm_90');
    await dev.loadKernels(art, manifest);
    expect(dev.loadedFrom).toBe('cubin');
    const k = (name: string) => manifest.kernels.find((x) => x.name === name)!;
    const n = 300;
    const a = Float32Array.from({ length: n }, (_, i) => i * 0.5), b = Float32Array.from({ length: n }, (_, i) => 1000 - i);
    const A = dev.alloc(4 * n), B = dev.alloc(4 * n), C = dev.alloc(4 * n + 128);
    dev.upload(A, new Uint8Array(a.buffer)); dev.upload(B, new Uint8Array(b.buffer)); dev.upload(C, new Uint8Array(4 * n + 128));
    // Grid evaluated from the manifest's ShapeExpr (ceil(300 / 256) = 2) when none is given; C is a view at byte 128.
    dev.launch(k('add_f32_gpu'), [{ buf: A, offset: 0 }, { buf: B, offset: 0 }, { buf: C, offset: 128 }], [n]);
    await dev.sync();
    const c = new Float32Array((await dev.download(C, 128, 4 * n)).buffer);
    expect(Array.from(c)).toEqual(Array.from(a, (x, i) => x + b[i]!));
    expect(Array.from(await dev.download(C, 0, 128)).every((x) => x === 0)).toBe(true);
    const S = dev.alloc(8);
    dev.launch(k('row_sum_gpu'), [{ buf: A, offset: 8 }, { buf: S, offset: 0 }], [2, 3], [2]);
    expect(Array.from(new Float32Array((await dev.download(S, 0, 8)).buffer))).toEqual([1 + 1.5 + 2, 2.5 + 3 + 3.5]);
    // A launch the driver rejects surfaces as a RelaxError naming the kernel and the CUresult.
    let err: unknown;
    try { dev.launch(k('row_sum_gpu'), [{ buf: A, offset: 0 }, { buf: S, offset: 0 }], [2, 3], [5]); } catch (e) { err = e; }
    expect(isRelaxError(err) && err.diagnostic).toMatchObject({ code: 'RLX_DEVICE_ERROR', where: { kernel: 'row_sum_gpu' } });
    dev.dispose();
  });

  it('falls back to NUL-terminated PTX when the cubin was built for another arch', async () => {
    const dev = createCudaDevice({ driver });
    const { dir: art, manifest } = await artifact('sm_80');
    await dev.loadKernels(art, manifest);
    expect(dev.loadedFrom).toBe('ptx');
    dev.dispose();
  });

  it('compiles kernels.cu with NVRTC when the artifact has no binaries, and reports its log on failure', async () => {
    const res = await createCudaBackend({ nvcc: null }).codegen([addGpuFn, rowSumGpuFn], cudaTarget, { tmpDir: tmp('mockrtc') });
    const { dir: art, manifest } = writeArtifact(res, cudaTarget);
    const dev = createCudaDevice({ driver, nvrtc });
    await dev.loadKernels(art, manifest);
    expect(dev.loadedFrom).toBe('nvrtc');
    writeFileSync(join(art, 'kernels.cu'), '#error broken\n');
    const err = await dev.loadKernels(art, manifest).catch((e: unknown) => e);
    expect(isRelaxError(err) && err.diagnostic.code).toBe('RLX_DEVICE_LOAD_FAILED');
    expect(isRelaxError(err) && err.message).toContain('NVRTC_ERROR_COMPILATION');
    expect(isRelaxError(err) && err.message).toContain('kernels.cu(3): error: boom');
    dev.dispose();
  });

  it('names a missing kernel, and a missing driver is RLX_DEVICE_UNAVAILABLE', async () => {
    const dev = createCudaDevice({ driver });
    const { dir: art, manifest } = await artifact('sm_90');
    const bad = { ...manifest, kernels: [...manifest.kernels, { ...manifest.kernels[0]!, name: 'nope' }] };
    const err = await dev.loadKernels(art, bad).catch((e: unknown) => e);
    expect(isRelaxError(err) && err.diagnostic).toMatchObject({ code: 'RLX_DEVICE_LOAD_FAILED', where: { kernel: 'nope' } });
    expect(isRelaxError(err) && err.message).toContain('CUDA_ERROR_NOT_FOUND');
    dev.dispose();
    let e2: unknown;
    try { createCudaDevice({ driver: join(dir, 'no-such-libcuda.so') }); } catch (e) { e2 = e; }
    expect(isRelaxError(e2) && e2.diagnostic.code).toBe('RLX_DEVICE_UNAVAILABLE');
  });
});
