/**
 * The cuda device: the CUDA driver API (libcuda.so.1) through koffi. Kernels come from the artifact's cubin
 * when it was built for this GPU's architecture, else from its PTX (JIT by the driver), else from kernels.cu
 * compiled at load time with NVRTC. Buffers are device allocations; tensor views are pointer + byte offset.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import koffi from 'koffi';
import { RelaxError } from '../../diagnostics/index.js';
import type { KernelInfo, Manifest } from '../../formats/manifest.js';
import { evalShapeExpr } from '../../formats/vm.js';
import type { Device, DeviceBuffer } from '../../runtime/device.js';

type Fn = (...args: unknown[]) => number;

interface Driver {
  cuInit: Fn; cuDeviceGet: Fn; cuDeviceGetAttribute: Fn; cuDevicePrimaryCtxRetain: Fn; cuDevicePrimaryCtxRelease: Fn;
  cuCtxSetCurrent: Fn; cuCtxSynchronize: Fn; cuModuleLoadData: Fn; cuModuleUnload: Fn; cuModuleGetFunction: Fn;
  cuMemAlloc: Fn; cuMemFree: Fn; cuMemcpyHtoD: Fn; cuMemcpyDtoH: Fn; cuLaunchKernel: Fn; cuGetErrorName: Fn;
}

function loadDriver(path: string): Driver {
  let lib: koffi.IKoffiLib;
  try {
    lib = koffi.load(path);
  } catch (e) {
    throw new RelaxError('RLX_DEVICE_UNAVAILABLE', `the CUDA driver (${path}) could not be loaded: ${(e as Error).message}`,
      undefined, 'Run on a machine with an NVIDIA GPU and driver, or choose the cpu or webgpu target.');
  }
  const f = (proto: string) => lib.func(proto) as unknown as Fn;
  return {
    cuInit: f('int cuInit(unsigned int flags)'),
    cuDeviceGet: f('int cuDeviceGet(_Out_ int *device, int ordinal)'),
    cuDeviceGetAttribute: f('int cuDeviceGetAttribute(_Out_ int *value, int attrib, int dev)'),
    cuDevicePrimaryCtxRetain: f('int cuDevicePrimaryCtxRetain(_Out_ void **ctx, int dev)'),
    cuDevicePrimaryCtxRelease: f('int cuDevicePrimaryCtxRelease_v2(int dev)'),
    cuCtxSetCurrent: f('int cuCtxSetCurrent(void *ctx)'),
    cuCtxSynchronize: f('int cuCtxSynchronize()'),
    cuModuleLoadData: f('int cuModuleLoadData(_Out_ void **module, const void *image)'),
    cuModuleUnload: f('int cuModuleUnload(void *module)'),
    cuModuleGetFunction: f('int cuModuleGetFunction(_Out_ void **fn, void *module, const char *name)'),
    cuMemAlloc: f('int cuMemAlloc_v2(_Out_ uint64_t *dptr, size_t bytes)'),
    cuMemFree: f('int cuMemFree_v2(uint64_t dptr)'),
    cuMemcpyHtoD: f('int cuMemcpyHtoD_v2(uint64_t dst, const void *src, size_t bytes)'),
    cuMemcpyDtoH: f('int cuMemcpyDtoH_v2(void *dst, uint64_t src, size_t bytes)'),
    cuLaunchKernel: f('int cuLaunchKernel(void *fn, unsigned int gx, unsigned int gy, unsigned int gz, ' +
      'unsigned int bx, unsigned int by, unsigned int bz, unsigned int sharedBytes, void *stream, void *params, void *extra)'),
    cuGetErrorName: f('int cuGetErrorName(int error, _Out_ const char **name)'),
  };
}

const CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75;
const CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76;

class CudaBuffer implements DeviceBuffer {
  freed = false;
  constructor(readonly bytes: number, readonly ptr: bigint) {}
}

interface Nvrtc {
  create: Fn; compile: Fn; logSize: Fn; log: Fn; cubinSize: Fn; cubin: Fn; destroy: Fn; errorString: (code: number) => string;
}

function loadNvrtc(path?: string): Nvrtc | string {
  const names = path ? [path] : ['libnvrtc.so.13', 'libnvrtc.so.12', 'libnvrtc.so'];
  for (const name of names) {
    let lib: koffi.IKoffiLib;
    try { lib = koffi.load(name); } catch { continue; }
    const f = (proto: string) => lib.func(proto) as unknown as Fn;
    const err = lib.func('const char *nvrtcGetErrorString(int result)') as unknown as (c: number) => string;
    return {
      create: f('int nvrtcCreateProgram(_Out_ void **prog, const char *src, const char *name, int numHeaders, void *headers, void *includeNames)'),
      compile: f('int nvrtcCompileProgram(void *prog, int numOptions, const char **options)'),
      logSize: f('int nvrtcGetProgramLogSize(void *prog, _Out_ size_t *size)'),
      log: f('int nvrtcGetProgramLog(void *prog, void *log)'),
      cubinSize: f('int nvrtcGetCUBINSize(void *prog, _Out_ size_t *size)'),
      cubin: f('int nvrtcGetCUBIN(void *prog, void *cubin)'),
      destroy: f('int nvrtcDestroyProgram(_Inout_ void **prog)'),
      errorString: err,
    };
  }
  return `NVRTC not found (tried ${names.join(', ')})`;
}

export interface CudaDeviceOptions {
  /** GPU ordinal; default 0. */
  readonly ordinal?: number;
  /** The driver library; default `libcuda.so.1`. */
  readonly driver?: string;
  /** The NVRTC library; default the first of libnvrtc.so.13, .so.12, .so that loads. */
  readonly nvrtc?: string;
}

export class CudaDevice implements Device {
  readonly kind = 'cuda' as const;
  /** e.g. `sm_90`. */
  readonly arch: string;
  private readonly cu: Driver;
  private readonly dev: number;
  private readonly nvrtcPath: string | undefined;
  private ctx: unknown;
  private module: unknown = null;
  private readonly fns = new Map<string, unknown>();
  private readonly live = new Set<CudaBuffer>();
  /** Scratch for cuLaunchKernel argument values (stable address; the driver copies them at launch). */
  private argSlots: unknown = null;
  private argSlotCount = 0;
  /** How the kernels were loaded: 'cubin' | 'ptx' | 'nvrtc'. */
  loadedFrom: string | null = null;

  constructor(options: CudaDeviceOptions = {}) {
    this.cu = loadDriver(options.driver ?? 'libcuda.so.1');
    this.nvrtcPath = options.nvrtc;
    const ordinal = options.ordinal ?? 0;
    this.check(this.cu.cuInit(0), 'cuInit', 'RLX_DEVICE_UNAVAILABLE');
    const dev = [0];
    this.check(this.cu.cuDeviceGet(dev, ordinal), `cuDeviceGet(${ordinal})`, 'RLX_DEVICE_UNAVAILABLE');
    this.dev = dev[0]!;
    const major = [0], minor = [0];
    this.check(this.cu.cuDeviceGetAttribute(major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, this.dev), 'cuDeviceGetAttribute');
    this.check(this.cu.cuDeviceGetAttribute(minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, this.dev), 'cuDeviceGetAttribute');
    this.arch = `sm_${major[0]}${minor[0]}`;
    const ctx: unknown[] = [null];
    this.check(this.cu.cuDevicePrimaryCtxRetain(ctx, this.dev), 'cuDevicePrimaryCtxRetain', 'RLX_DEVICE_UNAVAILABLE');
    this.ctx = ctx[0];
    this.check(this.cu.cuCtxSetCurrent(this.ctx), 'cuCtxSetCurrent', 'RLX_DEVICE_UNAVAILABLE');
  }

  private errorName(code: number): string {
    const name: unknown[] = [null];
    return this.cu.cuGetErrorName(code, name) === 0 && typeof name[0] === 'string' ? name[0] : `CUresult ${code}`;
  }

  private check(code: number, what: string, errCode = 'RLX_DEVICE_ERROR', kernel?: string): void {
    if (code !== 0) {
      throw new RelaxError(errCode, `${what} failed: ${this.errorName(code)} (${code})`, kernel ? { kernel } : undefined);
    }
  }

  alloc(bytes: number): DeviceBuffer {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RelaxError('RLX_DEVICE_ERROR', `cannot allocate ${bytes} bytes`);
    if (bytes === 0) return new CudaBuffer(0, 0n);
    const out: unknown[] = [0];
    this.check(this.cu.cuMemAlloc(out, bytes), `cuMemAlloc(${bytes} bytes)`);
    const buf = new CudaBuffer(bytes, BigInt(out[0] as number | bigint));
    this.live.add(buf);
    return buf;
  }

  free(buf: DeviceBuffer): void {
    const b = buf as CudaBuffer;
    if (b.freed) return;
    b.freed = true;
    this.live.delete(b);
    if (b.ptr !== 0n) this.check(this.cu.cuMemFree(b.ptr), 'cuMemFree');
  }

  private range(b: CudaBuffer, offset: number, bytes: number, what: string): void {
    if (b.freed) throw new RelaxError('RLX_DEVICE_ERROR', `${what} on a freed cuda buffer`);
    if (!Number.isInteger(offset) || offset < 0 || offset + bytes > b.bytes) {
      throw new RelaxError('RLX_DEVICE_ERROR', `${what} of ${bytes} bytes at offset ${offset} is outside a ${b.bytes}-byte buffer`);
    }
  }

  upload(buf: DeviceBuffer, data: Uint8Array, offset = 0): void {
    const b = buf as CudaBuffer;
    this.range(b, offset, data.byteLength, 'upload');
    if (data.byteLength === 0) return;
    this.check(this.cu.cuMemcpyHtoD(b.ptr + BigInt(offset), data, data.byteLength), 'cuMemcpyHtoD');
  }

  async download(buf: DeviceBuffer, offset: number, bytes: number): Promise<Uint8Array> {
    const b = buf as CudaBuffer;
    this.range(b, offset, bytes, 'download');
    const out = new Uint8Array(bytes);
    if (bytes > 0) this.check(this.cu.cuMemcpyDtoH(out, b.ptr + BigInt(offset), bytes), 'cuMemcpyDtoH');
    return out;
  }

  async loadKernels(artifactDir: string, manifest: Manifest): Promise<void> {
    this.unloadModule();
    if (manifest.kernels.length === 0) return;
    const files = manifest.kernelFiles;
    const tried: string[] = [];
    const tryLoad = (image: Uint8Array, how: string): boolean => {
      const mod: unknown[] = [null];
      const code = this.cu.cuModuleLoadData(mod, image);
      if (code === 0) {
        this.module = mod[0];
        this.loadedFrom = how;
        return true;
      }
      tried.push(`${how}: ${this.errorName(code)}`);
      return false;
    };
    const builtFor = manifest.target.attrs.arch ?? 'sm_90';
    let loaded = false;
    if (files.binary) {
      if (builtFor === this.arch) loaded = tryLoad(await readFile(join(artifactDir, files.binary)), 'cubin');
      else tried.push(`cubin: built for ${builtFor}, this GPU is ${this.arch}`);
    }
    if (!loaded && files.ptx) {
      const ptx = await readFile(join(artifactDir, files.ptx));
      const z = new Uint8Array(ptx.byteLength + 1);
      z.set(ptx);
      loaded = tryLoad(z, 'ptx');
    }
    if (!loaded && files.source) {
      const cubin = this.nvrtcCompile(await readFile(join(artifactDir, files.source), 'utf8'), tried);
      if (cubin) loaded = tryLoad(cubin, 'nvrtc');
    }
    if (!loaded) {
      throw new RelaxError('RLX_DEVICE_LOAD_FAILED', `could not load the CUDA kernels on ${this.arch}: ${tried.join('; ') || 'no kernel files in the manifest'}`,
        undefined, 'Rebuild with target attrs.arch set to this GPU\'s architecture, or install NVRTC.');
    }
    for (const k of manifest.kernels) {
      const fn: unknown[] = [null];
      this.check(this.cu.cuModuleGetFunction(fn, this.module, k.name), `cuModuleGetFunction('${k.name}')`, 'RLX_DEVICE_LOAD_FAILED', k.name);
      this.fns.set(k.name, fn[0]);
    }
  }

  private nvrtcCompile(source: string, tried: string[]): Uint8Array | null {
    const rtc = loadNvrtc(this.nvrtcPath);
    if (typeof rtc === 'string') { tried.push(rtc); return null; }
    const prog: unknown[] = [null];
    let code = rtc.create(prog, source, 'kernels.cu', 0, null, null);
    if (code !== 0) { tried.push(`nvrtcCreateProgram: ${rtc.errorString(code)}`); return null; }
    try {
      const opts = [`--gpu-architecture=${this.arch}`, '-std=c++17'];
      code = rtc.compile(prog[0], opts.length, opts);
      if (code !== 0) {
        const size: unknown[] = [0];
        rtc.logSize(prog[0], size);
        const log = new Uint8Array(Number(size[0]));
        if (log.byteLength > 0) rtc.log(prog[0], log);
        tried.push(`nvrtc: ${rtc.errorString(code)}\n${new TextDecoder().decode(log).replace(/\0+$/, '')}`);
        return null;
      }
      const size: unknown[] = [0];
      code = rtc.cubinSize(prog[0], size);
      if (code !== 0) { tried.push(`nvrtcGetCUBINSize: ${rtc.errorString(code)}`); return null; }
      const cubin = new Uint8Array(Number(size[0]));
      code = rtc.cubin(prog[0], cubin);
      if (code !== 0) { tried.push(`nvrtcGetCUBIN: ${rtc.errorString(code)}`); return null; }
      return cubin;
    } finally {
      rtc.destroy(prog);
    }
  }

  private slots(n: number): { base: bigint; view: BigUint64Array } {
    if (n > this.argSlotCount) {
      if (this.argSlots) koffi.free(this.argSlots);
      this.argSlotCount = Math.max(16, n);
      this.argSlots = koffi.alloc('uint64_t', this.argSlotCount);
    }
    return { base: koffi.address(this.argSlots), view: new BigUint64Array(koffi.view(this.argSlots, 8 * this.argSlotCount)) };
  }

  launch(kernel: KernelInfo, args: readonly { buf: DeviceBuffer; offset: number }[], vars: readonly number[], grid?: readonly number[]): void {
    const fn = this.fns.get(kernel.name);
    const where = { kernel: kernel.name };
    if (fn === undefined) throw new RelaxError('RLX_DEVICE_ERROR', `kernel '${kernel.name}' is not loaded`, where);
    if (!kernel.launch) throw new RelaxError('RLX_DEVICE_ERROR', `kernel '${kernel.name}' has no launch geometry`, where);
    if (args.length !== kernel.params.length || vars.length !== kernel.vars.length) {
      throw new RelaxError('RLX_DEVICE_ERROR',
        `kernel '${kernel.name}' takes ${kernel.params.length} buffers and ${kernel.vars.length} vars, got ${args.length} and ${vars.length}`, where);
    }
    const g = grid ?? kernel.launch.grid.map((e) => evalShapeExpr(e, new Map(kernel.vars.map((v, j) => [v, vars[j]!]))));
    const [gx = 1, gy = 1, gz = 1] = g;
    const [bx = 1, by = 1, bz = 1] = kernel.launch.block;
    if (gx < 1 || gy < 1 || gz < 1) return; // empty tensor: nothing to do
    if (gx > 2 ** 31 - 1 || gy > 65535 || gz > 65535) {
      throw new RelaxError('RLX_DEVICE_ERROR', `grid [${gx}, ${gy}, ${gz}] exceeds CUDA's limits`, where);
    }
    const n = args.length + vars.length;
    const { base, view } = this.slots(n);
    args.forEach((a, i) => {
      const b = a.buf as CudaBuffer;
      this.range(b, a.offset, 0, `argument ${i} of ${kernel.name}`);
      view[i] = b.ptr + BigInt(a.offset);
    });
    vars.forEach((v, j) => { view[args.length + j] = BigInt.asUintN(64, BigInt(v)); });
    const params = new BigUint64Array(Math.max(1, n));
    for (let i = 0; i < n; i++) params[i] = base + BigInt(8 * i);
    this.check(this.cu.cuLaunchKernel(fn, gx, gy, gz, bx, by, bz, 0, null, params, null), `cuLaunchKernel('${kernel.name}')`, 'RLX_DEVICE_ERROR', kernel.name);
  }

  async sync(): Promise<void> {
    this.check(this.cu.cuCtxSynchronize(), 'cuCtxSynchronize');
  }

  private unloadModule(): void {
    this.fns.clear();
    if (this.module !== null) {
      this.cu.cuModuleUnload(this.module);
      this.module = null;
      this.loadedFrom = null;
    }
  }

  dispose(): void {
    if (this.ctx === null) return;
    this.cu.cuCtxSynchronize();
    for (const b of [...this.live]) this.free(b);
    this.unloadModule();
    if (this.argSlots) { koffi.free(this.argSlots); this.argSlots = null; this.argSlotCount = 0; }
    this.cu.cuDevicePrimaryCtxRelease(this.dev);
    this.ctx = null;
  }
}

/** Opens GPU `ordinal`; throws RLX_DEVICE_UNAVAILABLE without a CUDA driver or GPU. */
export function createCudaDevice(options: CudaDeviceOptions = {}): CudaDevice {
  return new CudaDevice(options);
}
