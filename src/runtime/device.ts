/**
 * The device interface the VM drives. Implementations live in src/backends/<kind>/device.ts.
 * Buffers are opaque handles; sizes are bytes.
 */
import type { KernelInfo, Manifest } from '../formats/manifest.js';

export interface DeviceBuffer {
  readonly bytes: number;
}

export interface Device {
  readonly kind: 'cpu' | 'cuda' | 'webgpu';
  alloc(bytes: number): DeviceBuffer;
  free(buf: DeviceBuffer): void;
  /** Copies host bytes into the buffer at byte offset `offset`. */
  upload(buf: DeviceBuffer, data: Uint8Array, offset?: number): void;
  /** Copies `bytes` bytes from byte offset `offset` back to the host. */
  download(buf: DeviceBuffer, offset: number, bytes: number): Promise<Uint8Array>;
  /** Loads the artifact's kernels (shared library, cubin/PTX, WGSL). */
  loadKernels(artifactDir: string, manifest: Manifest): Promise<void>;
  /**
   * Launches a kernel. `args[i]` is param i as a buffer plus a byte offset (tensor views share storages);
   * `vars` are the kernel's symbolic vars in KernelInfo.vars order; `grid` is the evaluated launch grid.
   */
  launch(kernel: KernelInfo, args: readonly { buf: DeviceBuffer; offset: number }[], vars: readonly number[], grid?: readonly number[]): void;
  /** Waits for all launched work. */
  sync(): Promise<void>;
  dispose(): void;
}
