/** The webgpu compiler backend: WGSL codegen from scheduled TIR, validated through Dawn/Tint at build time. */
import { WGSL_FILE } from './abi.js';
import { generateWgsl } from './codegen.js';
import { validateWgsl, webgpuToolchain } from './toolchain.js';
import type { CompilerBackend } from '../types.js';

export const webgpuBackend: CompilerBackend = {
  kind: 'webgpu',
  async codegen(funcs, target) {
    const mod = generateWgsl(funcs, target);
    const diagnostics = await validateWgsl(mod, target);
    return {
      files: [{ path: WGSL_FILE, data: new TextEncoder().encode(mod.code) }],
      kernels: mod.kernels,
      kernelFiles: { source: WGSL_FILE },
      diagnostics,
    };
  },
  toolchain: webgpuToolchain,
};

export { generateWgsl, kernelInfoOf, type WgslModule } from './codegen.js';
export { validateWgsl, webgpuToolchain } from './toolchain.js';
