/** The cpu CompilerBackend: C codegen + host cc. The runtime side lives in ./device.ts. */
import type { PrimFunc } from '../../compiler/tir/types.js';
import type { Target } from '../../formats/manifest.js';
import type { CodegenResult, CompilerBackend, ToolchainInfo } from '../types.js';
import { kernelInfo } from '../kernel-info.js';
import { emitCSource } from './codegen.js';
import { tileReductions } from './tile-reductions.js';
import { C_LIBRARY, C_SOURCE, ccVersion, compileC, defaultCc } from './toolchain.js';

export interface CpuBackendOptions {
  /** C compiler command; defaults to `$CC` or `cc`. */
  readonly cc?: string;
}

export function createCpuBackend(options: CpuBackendOptions = {}): CompilerBackend {
  const cc = () => options.cc ?? defaultCc();
  return {
    kind: 'cpu',
    async codegen(funcs: readonly PrimFunc[], _target: Target, opts: { tmpDir: string }): Promise<CodegenResult> {
      const src = emitCSource(funcs.map(tileReductions));
      const kernels = funcs.map(kernelInfo);
      const lib = await compileC(src, opts.tmpDir, cc());
      return {
        files: [
          { path: C_SOURCE, data: new TextEncoder().encode(src.source) },
          { path: C_LIBRARY, data: lib },
        ],
        kernels,
        kernelFiles: { source: C_SOURCE, binary: C_LIBRARY },
        diagnostics: [],
      };
    },
    toolchain(): ToolchainInfo {
      return { version: ccVersion(cc()) };
    },
  };
}

export const cpuBackend: CompilerBackend = createCpuBackend();

export { emitCSource } from './codegen.js';
