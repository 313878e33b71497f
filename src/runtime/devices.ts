/** Opens a runtime device by kind. Device modules load lazily, so a CPU-only run never touches Dawn or libcuda. */
import type { TargetKind } from '../formats/manifest.js';
import type { Device } from './device.js';

export async function openDevice(kind: TargetKind): Promise<Device> {
  switch (kind) {
    case 'cpu': return (await import('../backends/cpu/device.js')).createCpuDevice();
    case 'webgpu': return (await import('../backends/webgpu/device.js')).createWebGpuDevice();
    case 'cuda': return (await import('../backends/cuda/device.js')).createCudaDevice();
  }
}
