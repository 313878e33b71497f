/**
 * The cpu device: host memory from koffi.alloc (stable addresses, so tensor views at byte offsets work) and
 * kernels from the artifact's kernels.so, called with the cpu ABI `void name(void* const* bufs, const int64_t* vars)`.
 */
import { join } from 'node:path';
import koffi from 'koffi';
import { RelaxError } from '../../diagnostics/index.js';
import type { KernelInfo, Manifest } from '../../formats/manifest.js';
import type { Device, DeviceBuffer } from '../../runtime/device.js';

class CpuBuffer implements DeviceBuffer {
  /** koffi pointer; null once freed. */
  ptr: unknown;
  constructor(readonly bytes: number, ptr: unknown, readonly address: bigint) {
    this.ptr = ptr;
  }
}

type KernelFn = (bufs: BigUint64Array, vars: BigInt64Array) => void;

function checkRange(buf: CpuBuffer, offset: number, bytes: number, what: string): void {
  if (buf.ptr === null) throw new RelaxError('RLX_DEVICE_ERROR', `${what} on a freed cpu buffer`);
  if (!Number.isInteger(offset) || offset < 0 || offset + bytes > buf.bytes) {
    throw new RelaxError('RLX_DEVICE_ERROR', `${what} of ${bytes} bytes at offset ${offset} is outside a ${buf.bytes}-byte buffer`);
  }
}

export class CpuDevice implements Device {
  readonly kind = 'cpu' as const;
  private lib: koffi.IKoffiLib | null = null;
  private readonly fns = new Map<string, KernelFn>();
  private readonly live = new Set<CpuBuffer>();

  alloc(bytes: number): DeviceBuffer {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RelaxError('RLX_DEVICE_ERROR', `cannot allocate ${bytes} bytes`);
    // 64 bytes of slack keep zero-sized buffers valid and over-reading vector loads harmless.
    const ptr = koffi.alloc('uint8', bytes + 64);
    const buf = new CpuBuffer(bytes, ptr, koffi.address(ptr));
    this.live.add(buf);
    return buf;
  }

  free(buf: DeviceBuffer): void {
    const b = buf as CpuBuffer;
    if (b.ptr === null) return;
    koffi.free(b.ptr);
    b.ptr = null;
    this.live.delete(b);
  }

  private view(b: CpuBuffer, offset: number, bytes: number): Uint8Array {
    return new Uint8Array(koffi.view(b.ptr, b.bytes + 64), offset, bytes);
  }

  upload(buf: DeviceBuffer, data: Uint8Array, offset = 0): void {
    const b = buf as CpuBuffer;
    checkRange(b, offset, data.byteLength, 'upload');
    this.view(b, offset, data.byteLength).set(data);
  }

  async download(buf: DeviceBuffer, offset: number, bytes: number): Promise<Uint8Array> {
    const b = buf as CpuBuffer;
    checkRange(b, offset, bytes, 'download');
    return this.view(b, offset, bytes).slice();
  }

  async loadKernels(artifactDir: string, manifest: Manifest): Promise<void> {
    const file = manifest.kernelFiles.binary ?? 'kernels.so';
    this.unload();
    if (manifest.kernels.length === 0) return;
    const path = join(artifactDir, file);
    try {
      this.lib = koffi.load(path);
    } catch (e) {
      throw new RelaxError('RLX_DEVICE_LOAD_FAILED', `cannot load the kernel library ${file}: ${(e as Error).message}`,
        undefined, 'Rebuild the artifact for this machine (the cpu target compiles for the host it was built on).');
    }
    for (const k of manifest.kernels) {
      try {
        this.fns.set(k.name, this.lib.func(k.name, 'void', ['void *', 'void *']) as KernelFn);
      } catch (e) {
        throw new RelaxError('RLX_DEVICE_LOAD_FAILED', `kernel '${k.name}' is missing from ${file}: ${(e as Error).message}`, { kernel: k.name });
      }
    }
  }

  launch(kernel: KernelInfo, args: readonly { buf: DeviceBuffer; offset: number }[], vars: readonly number[]): void {
    const fn = this.fns.get(kernel.name);
    if (!fn) throw new RelaxError('RLX_DEVICE_ERROR', `kernel '${kernel.name}' is not loaded`, { kernel: kernel.name });
    if (args.length !== kernel.params.length || vars.length !== kernel.vars.length) {
      throw new RelaxError('RLX_DEVICE_ERROR',
        `kernel '${kernel.name}' takes ${kernel.params.length} buffers and ${kernel.vars.length} vars, got ${args.length} and ${vars.length}`,
        { kernel: kernel.name });
    }
    const ptrs = new BigUint64Array(Math.max(1, args.length));
    args.forEach((a, i) => {
      const b = a.buf as CpuBuffer;
      checkRange(b, a.offset, 0, `argument ${i} of ${kernel.name}`);
      ptrs[i] = b.address + BigInt(a.offset);
    });
    const v = new BigInt64Array(Math.max(1, vars.length));
    vars.forEach((x, j) => { v[j] = BigInt(x); });
    fn(ptrs, v);
  }

  async sync(): Promise<void> { /* kernels run synchronously */ }

  private unload(): void {
    this.fns.clear();
    if (this.lib) {
      this.lib.unload();
      this.lib = null;
    }
  }

  dispose(): void {
    this.unload();
    for (const b of [...this.live]) this.free(b);
  }
}

export function createCpuDevice(): CpuDevice {
  return new CpuDevice();
}
