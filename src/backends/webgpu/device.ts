/// <reference types="@webgpu/types" />
/**
 * The webgpu runtime device: runs `kernels.wgsl` artifacts on a GPUDevice — Dawn in Node (./gpu.ts) or
 * `navigator.gpu` in a browser. Follows the kernel ABI in ./abi.ts.
 *
 * Launches are recorded into one command encoder and submitted on the next upload, download, free or sync, so a
 * VM run costs one submit per host interaction. Tensor views must start at multiples of 256 bytes
 * (STORAGE_OFFSET_ALIGNMENT): the memory planner aligns tensors in a storage to it; an unaligned view is an error.
 * A kernel's params that share a storage are bound up to the next param's offset in that storage, so distinct
 * tensors in one storage never alias; binding one writable tensor twice (in place) is not allowed by WebGPU.
 */
import { RelaxError } from '../../diagnostics/index.js';
import type { KernelInfo, Manifest } from '../../formats/manifest.js';
import type { Device, DeviceBuffer } from '../../runtime/device.js';
import {
  kernelSources,
  dispatchSize, evalGrid, hasUniform, layoutEntries, needsOf, requiredLimitsFor, STORAGE_OFFSET_ALIGNMENT, uniformData,
  WGSL_FILE,
} from './abi.js';

// GPUBufferUsage / GPUMapMode / GPUShaderStage values (not globals in Node).
const MAP_READ = 0x1, COPY_SRC = 0x4, COPY_DST = 0x8, UNIFORM = 0x40, STORAGE = 0x80;
const MODE_READ = 0x1;
const COMPUTE = 0x4;

class WebGpuBuffer implements DeviceBuffer {
  constructor(readonly bytes: number, readonly gpu: GPUBuffer) {}
}

interface Kernel {
  readonly info: KernelInfo;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
}

export interface WebGpuDeviceOptions {
  /** Run on this GPUDevice (e.g. one the page already has); it is not destroyed by dispose(). */
  readonly device?: GPUDevice;
  /** Size the device's limits for this artifact; without it the adapter's maximum compute limits are requested. */
  readonly manifest?: Manifest;
}

export class WebGpuDevice implements Device {
  readonly kind = 'webgpu' as const;
  private readonly kernels = new Map<string, Kernel>();
  private pending: GPUCommandEncoder | null = null;
  private pendingTemps: GPUBuffer[] = [];
  private errors: Promise<GPUError | null>[] = [];

  constructor(readonly gpu: GPUDevice, readonly description: string, private readonly owned: boolean) {}

  alloc(bytes: number): DeviceBuffer {
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    return new WebGpuBuffer(bytes, this.gpu.createBuffer({ size, usage: STORAGE | COPY_SRC | COPY_DST }));
  }

  free(buf: DeviceBuffer): void {
    this.flush();
    (buf as WebGpuBuffer).gpu.destroy();
  }

  upload(buf: DeviceBuffer, data: Uint8Array, offset = 0): void {
    const b = buf as WebGpuBuffer;
    if (offset % 4 !== 0) throw new Error(`webgpu: upload at byte offset ${offset} is not 4-byte aligned`);
    if (offset + data.byteLength > b.gpu.size) throw new Error(`webgpu: upload of ${data.byteLength} bytes at ${offset} overflows a ${b.bytes}-byte buffer`);
    this.flush();
    let src = data;
    if (data.byteLength % 4 !== 0) {
      // writeBuffer moves whole words; the bytes past the data up to the word end belong to no tensor (views are aligned).
      src = new Uint8Array(Math.ceil(data.byteLength / 4) * 4);
      src.set(data);
    }
    this.gpu.queue.writeBuffer(b.gpu, offset, src.buffer as ArrayBuffer, src.byteOffset, src.byteLength);
  }

  async download(buf: DeviceBuffer, offset: number, bytes: number): Promise<Uint8Array> {
    const b = buf as WebGpuBuffer;
    if (bytes === 0) return new Uint8Array(0);
    const start = Math.floor(offset / 4) * 4;
    const end = Math.ceil((offset + bytes) / 4) * 4;
    if (end > b.gpu.size) throw new Error(`webgpu: download of ${bytes} bytes at ${offset} overflows a ${b.bytes}-byte buffer`);
    const staging = this.gpu.createBuffer({ size: end - start, usage: MAP_READ | COPY_DST });
    const enc = this.encoder();
    enc.copyBufferToBuffer(b.gpu, start, staging, 0, end - start);
    this.flush();
    await this.checkErrors();
    await staging.mapAsync(MODE_READ);
    const out = new Uint8Array(staging.getMappedRange()).slice(offset - start, offset - start + bytes);
    staging.unmap();
    staging.destroy();
    return out;
  }

  async loadKernels(artifactDir: string, manifest: Manifest): Promise<void> {
    const file = manifest.kernelFiles.source ?? WGSL_FILE;
    const code = await readArtifactText(artifactDir, file);
    const lim = this.gpu.limits as unknown as Record<string, number>;
    for (const [name, need] of Object.entries(needsOf(manifest.kernels))) {
      if (typeof lim[name] === 'number' && need > lim[name]!) {
        throw new Error(`webgpu: the artifact needs ${name} = ${need} but this device allows ${lim[name]} (${this.description})`);
      }
    }
    if (/^enable f16;/m.test(code) && !this.gpu.features.has('shader-f16')) {
      throw new RelaxError('RLX_RUN_DEVICE_UNSUPPORTED',
        `webgpu: ${file} computes float16 natively (built for a target with shaderF16), but this device has no shader-f16 feature (${this.description})`,
        undefined, 'Rebuild for a webgpu target without attrs.shaderF16: float16 is then stored packed and computed in f32, which every device runs.');
    }
    this.gpu.pushErrorScope('validation');
    const module = this.gpu.createShaderModule({ code, label: file });
    const info = await module.getCompilationInfo();
    const err = await this.gpu.popErrorScope();
    const first = info.messages.find((m) => m.type === 'error');
    if (first || err) {
      throw new Error(`webgpu: ${file} does not compile on this device: ${first ? `${first.lineNum}:${first.linePos}: ${first.message}` : err!.message}`);
    }
    // Each pipeline from the prelude plus its own kernel (abi.ts): from the whole file, loading was quadratic.
    const own = kernelSources(code);
    await Promise.all(manifest.kernels.map(async (k) => {
      const kernelCode = own.get(k.name);
      const kernelModule = kernelCode ? this.gpu.createShaderModule({ code: kernelCode, label: k.name }) : module;
      const layout = this.gpu.createBindGroupLayout({
        label: k.name,
        entries: layoutEntries(k).map((e) => ({ binding: e.binding, visibility: COMPUTE, buffer: { type: e.type } })),
      });
      const pipeline = await this.gpu.createComputePipelineAsync({
        label: k.name,
        layout: this.gpu.createPipelineLayout({ bindGroupLayouts: [layout] }),
        compute: { module: kernelModule, entryPoint: k.name },
      });
      this.kernels.set(k.name, { info: k, pipeline, layout });
    }));
  }

  launch(kernel: KernelInfo, args: readonly { buf: DeviceBuffer; offset: number }[], vars: readonly number[], grid?: readonly number[]): void {
    const k = this.kernels.get(kernel.name);
    if (!k) throw new Error(`webgpu: kernel '${kernel.name}' is not loaded`);
    if (args.length !== kernel.params.length) throw new Error(`webgpu: kernel '${kernel.name}' takes ${kernel.params.length} buffers, got ${args.length}`);
    const g = evalGrid(kernel, vars, grid);
    const d = dispatchSize(g, this.gpu.limits.maxComputeWorkgroupsPerDimension);
    if (d[0] === 0) return;
    const maxBinding = this.gpu.limits.maxStorageBufferBindingSize;
    const entries: GPUBindGroupEntry[] = args.map((a, i) => {
      const b = a.buf as WebGpuBuffer;
      if (a.offset % STORAGE_OFFSET_ALIGNMENT !== 0) {
        throw new Error(`webgpu: param ${i} ('${kernel.params[i]!.name}') of kernel '${kernel.name}' is a view at byte offset ${a.offset}, not a multiple of ${STORAGE_OFFSET_ALIGNMENT}; the memory planner must align tensors in a storage to ${STORAGE_OFFSET_ALIGNMENT} bytes for webgpu`);
      }
      // Bind up to the next param's offset in the same storage so tensors sharing a storage never alias.
      let end = b.gpu.size;
      for (const o of args) if (o.buf === a.buf && o.offset > a.offset) end = Math.min(end, o.offset);
      const size = Math.min(end - a.offset, Math.floor(maxBinding / 4) * 4);
      if (size < 4) throw new Error(`webgpu: param ${i} of kernel '${kernel.name}' is bound past the end of its storage`);
      return { binding: i, resource: { buffer: b.gpu, offset: a.offset, size } };
    });
    if (hasUniform(kernel)) {
      const data = uniformData(kernel, vars, g);
      const ubuf = this.gpu.createBuffer({ size: data.byteLength, usage: UNIFORM, mappedAtCreation: true });
      new Uint32Array(ubuf.getMappedRange()).set(data);
      ubuf.unmap();
      this.pendingTemps.push(ubuf);
      entries.push({ binding: kernel.params.length, resource: { buffer: ubuf } });
    }
    const enc = this.encoder();
    const pass = enc.beginComputePass({ label: kernel.name });
    pass.setPipeline(k.pipeline);
    pass.setBindGroup(0, this.gpu.createBindGroup({ layout: k.layout, entries }));
    pass.dispatchWorkgroups(d[0], d[1], d[2]);
    pass.end();
  }

  async sync(): Promise<void> {
    this.flush();
    await this.gpu.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  dispose(): void {
    this.flush();
    this.kernels.clear();
    if (this.owned) this.gpu.destroy();
  }

  private encoder(): GPUCommandEncoder {
    if (!this.pending) {
      this.gpu.pushErrorScope('validation');
      this.pending = this.gpu.createCommandEncoder();
    }
    return this.pending;
  }

  private flush(): void {
    if (!this.pending) return;
    this.gpu.queue.submit([this.pending.finish()]);
    this.pending = null;
    this.errors.push(this.gpu.popErrorScope());
    for (const t of this.pendingTemps) t.destroy();
    this.pendingTemps = [];
  }

  private async checkErrors(): Promise<void> {
    const errs = this.errors;
    this.errors = [];
    for (const e of await Promise.all(errs)) if (e) throw new Error(`webgpu: ${e.message}`);
  }
}

async function readArtifactText(dir: string, file: string): Promise<string> {
  if (typeof process !== 'undefined' && process.versions?.node && !/^[a-z]+:\/\//i.test(dir)) {
    const { readFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    return readFile(join(dir, file), 'utf8');
  }
  const base = dir.endsWith('/') ? dir : `${dir}/`;
  const res = await fetch(new URL(file, new URL(base, (globalThis as { location?: { href: string } }).location?.href)));
  if (!res.ok) throw new Error(`webgpu: cannot fetch ${file} from ${dir}: HTTP ${res.status}`);
  return res.text();
}

/** Whether a WebGPU device can be had here (browser navigator.gpu, or Dawn in Node). */
export async function webgpuAvailable(): Promise<boolean> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return (await nav.gpu.requestAdapter()) !== null;
  if (typeof process === 'undefined' || !process.versions?.node) return false;
  const { requestNodeAdapter } = await import('./gpu.js');
  return (await requestNodeAdapter('run')) !== null;
}

/**
 * Creates a webgpu Device: on `opts.device` when given, else through `navigator.gpu` in a browser, else through
 * Dawn in Node. Compute limits are raised as far as the manifest's kernels need (or to the adapter's maximum).
 */
export async function createWebGpuDevice(opts: WebGpuDeviceOptions = {}): Promise<WebGpuDevice> {
  if (opts.device) return new WebGpuDevice(opts.device, 'provided GPUDevice', false);
  let adapter: GPUAdapter | null = null;
  let description = '';
  const needs = opts.manifest
    ? { ...needsOf(opts.manifest.kernels), maxComputeWorkgroupStorageSize: opts.manifest.target.attrs.maxSharedMemoryBytes,
        maxStorageBufferBindingSize: Number.MAX_SAFE_INTEGER, maxBufferSize: Number.MAX_SAFE_INTEGER,
        maxComputeWorkgroupsPerDimension: Number.MAX_SAFE_INTEGER }
    : undefined;
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) {
    adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
    description = 'navigator.gpu';
  } else if (typeof process !== 'undefined' && process.versions?.node) {
    const { requestNodeAdapter, dawnLoadError } = await import('./gpu.js');
    const a = await requestNodeAdapter('run', needs);
    if (!a) throw new Error(`webgpu: no WebGPU adapter in this Node process (${dawnLoadError() ?? 'Dawn found no usable backend'})`);
    adapter = a.adapter;
    description = a.description;
  }
  if (!adapter) throw new Error('webgpu: no WebGPU adapter available');
  const features: GPUFeatureName[] = opts.manifest?.target.attrs.shaderF16 && adapter.features.has('shader-f16') ? ['shader-f16'] : [];
  const requiredLimits = requiredLimitsFor(adapter.limits as unknown as Record<string, number>, needs);
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures: features });
  return new WebGpuDevice(device, description, true);
}
