/// <reference types="@webgpu/types" />
/**
 * Build-time WGSL validation through Dawn/Tint: the module is compiled (createShaderModule +
 * getCompilationInfo) and a compute pipeline is created for every entry point with the same explicit layout the
 * runtime uses, so binding and limit errors surface at build time. Without an adapter, validation is skipped
 * with a warning.
 */
import { RelaxError, type Diagnostic } from '../../diagnostics/index.js';
import type { KernelInfo, Target } from '../../formats/manifest.js';
import type { ToolchainInfo } from '../types.js';
import { kernelSources, layoutEntries, needsOf, requiredLimitsFor, WGSL_FILE } from './abi.js';
import type { WgslModule } from './codegen.js';
import { dawnLoadError, dawnPackageVersion, requestNodeAdapter, type NodeAdapter } from './gpu.js';

export function webgpuToolchain(): ToolchainInfo {
  const v = dawnPackageVersion();
  return { version: v ? `dawn (webgpu ${v})` : null };
}

const devices = new Map<string, Promise<GPUDevice>>();

/**
 * One validation device per backend, with the adapter's maximum compute limits and shader-f16 when offered
 * (a Dawn adapter creates only one device, so the device must suit every module validated on it).
 */
function validationDevice(a: NodeAdapter): Promise<GPUDevice> {
  const key = `${a.flags.join(',')}|${a.featureLevel}`;
  let d = devices.get(key);
  if (!d) {
    const limits = requiredLimitsFor(a.adapter.limits as unknown as Record<string, number>);
    const features: GPUFeatureName[] = a.adapter.features.has('shader-f16') ? ['shader-f16'] : [];
    d = a.adapter.requestDevice({ requiredLimits: limits, requiredFeatures: features });
    devices.set(key, d);
    d.catch(() => devices.delete(key));
  }
  return d;
}

function kernelAtLine(mod: WgslModule, line: number): string | undefined {
  return mod.lines.find((r) => line >= r.first && line <= r.last)?.kernel;
}

function invalid(message: string, kernel: string | undefined, sourceLine?: string): RelaxError {
  return new RelaxError(
    'RLX_WGSL_INVALID',
    message,
    kernel ? { kernel } : undefined,
    sourceLine !== undefined ? `generated line: ${sourceLine.trim()}` : 'this is a relax codegen bug unless the kernel was hand-written; please report it with the model.',
  );
}

function exceeds(k: KernelInfo, device: GPUDevice): string | null {
  const needs = needsOf([k]) as unknown as Record<string, number>;
  const lim = device.limits as unknown as Record<string, number>;
  for (const [name, v] of Object.entries(needs)) if (typeof lim[name] === 'number' && v > lim[name]!) return `${name} ${v} > ${lim[name]}`;
  return null;
}

/**
 * Validates a generated module. Returns warnings (validation skipped, Tint warnings); throws RelaxError
 * `RLX_WGSL_INVALID` naming the kernel, line and Tint's message on the first error.
 */
export async function validateWgsl(mod: WgslModule, target: Target): Promise<Diagnostic[]> {
  const diags: Diagnostic[] = [];
  const needs = needsOf(mod.kernels);
  const wants: Record<string, number> = { ...needs, maxComputeWorkgroupStorageSize: target.attrs.maxSharedMemoryBytes };
  const a = await requestNodeAdapter('validate', wants);
  if (!a) {
    const why = dawnLoadError() ?? 'no WebGPU adapter (Dawn found no usable backend)';
    return [{
      code: 'RLX_WGSL_NOT_VALIDATED', severity: 'warning',
      message: `WGSL was not validated: ${why}`,
      hint: 'install the webgpu package (and on Linux the EGL/GLES or Vulkan libraries) to validate kernels at build time.',
    }];
  }
  const usesF16 = /^enable f16;/m.test(mod.code);
  if (usesF16 && !a.adapter.features.has('shader-f16')) {
    return [{
      code: 'RLX_WGSL_NOT_VALIDATED', severity: 'warning',
      message: `WGSL was not validated: the validation adapter (${a.description}) lacks shader-f16`,
    }];
  }
  const device = await validationDevice(a);
  const lines = mod.code.split('\n');

  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: mod.code, label: WGSL_FILE });
  const info = await module.getCompilationInfo();
  await device.popErrorScope();
  const errors = info.messages.filter((m) => m.type === 'error');
  if (errors.length > 0) {
    const m = errors[0]!;
    const kernel = kernelAtLine(mod, m.lineNum);
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more error${errors.length > 2 ? 's' : ''})` : '';
    throw invalid(`WGSL validation failed${kernel ? ` in kernel ${kernel}` : ''} at ${WGSL_FILE}:${m.lineNum}:${m.linePos}: ${m.message}${more}`, kernel, lines[m.lineNum - 1]);
  }
  for (const m of info.messages) {
    if (m.type !== 'warning') continue;
    const kernel = kernelAtLine(mod, m.lineNum);
    diags.push({ code: 'RLX_WGSL_WARNING', severity: 'warning', message: `${WGSL_FILE}:${m.lineNum}:${m.linePos}: ${m.message}`, ...(kernel ? { where: { kernel } } : {}) });
  }

  // Each pipeline is created from the prelude and its own kernel, as the runtime does (abi.ts kernelSources):
  // from the whole module, validation was quadratic (densenet121's 512 KB with 192 kernels: 11.7 s, now 2.2 s).
  const own = kernelSources(mod.code);
  for (const k of mod.kernels) {
    const over = exceeds(k, device);
    if (over) {
      diags.push({
        code: 'RLX_WGSL_NOT_VALIDATED', severity: 'warning', where: { kernel: k.name },
        message: `pipeline for kernel ${k.name} was not validated: the validation adapter (${a.description}) allows less (${over})`,
      });
      continue;
    }
    device.pushErrorScope('validation');
    const bgl = device.createBindGroupLayout({
      label: k.name,
      entries: layoutEntries(k).map((e) => ({ binding: e.binding, visibility: 0x4 /* GPUShaderStage.COMPUTE */, buffer: { type: e.type } })),
    });
    const layout = device.createPipelineLayout({ bindGroupLayouts: [bgl] });
    let failure: string | undefined;
    try {
      const code = own.get(k.name);
      const kernelModule = code ? device.createShaderModule({ code, label: k.name }) : module;
      await device.createComputePipelineAsync({ layout, compute: { module: kernelModule, entryPoint: k.name }, label: k.name });
    } catch (e) {
      failure = e instanceof Error ? e.message : String(e);
    }
    const scoped = await device.popErrorScope();
    failure ??= scoped?.message;
    if (failure) throw invalid(`WebGPU rejected the pipeline for kernel ${k.name}: ${failure.trim()}`, k.name);
  }
  return diags;
}
