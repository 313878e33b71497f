/** The cuda CompilerBackend: CUDA codegen + nvcc (cubin + PTX), or source only for NVRTC. Runtime side: ./device.ts. */
import type { Diagnostic } from '../../diagnostics/index.js';
import type { PrimFunc } from '../../compiler/tir/types.js';
import type { Target } from '../../formats/manifest.js';
import type { CodegenResult, CompilerBackend, EmittedFile, ToolchainInfo } from '../types.js';
import { kernelInfo } from '../kernel-info.js';
import { emitCudaSource } from './codegen.js';
import { CUDA_CUBIN, CUDA_PTX, CUDA_SOURCE, DEFAULT_ARCH, compileCuda, findNvcc, nvccVersion } from './toolchain.js';

export interface CudaBackendOptions {
  /** nvcc path; `null` forces the source-only (NVRTC) path; default: `$NVCC`, PATH, /usr/local/cuda/bin. */
  readonly nvcc?: string | null;
}

export function createCudaBackend(options: CudaBackendOptions = {}): CompilerBackend {
  const nvcc = () => (options.nvcc !== undefined ? options.nvcc : findNvcc());
  return {
    kind: 'cuda',
    async codegen(funcs: readonly PrimFunc[], target: Target, opts: { tmpDir: string }): Promise<CodegenResult> {
      const src = emitCudaSource(funcs);
      const kernels = funcs.map(kernelInfo);
      const files: EmittedFile[] = [{ path: CUDA_SOURCE, data: new TextEncoder().encode(src.source) }];
      const diagnostics: Diagnostic[] = [];
      const tool = nvcc();
      let kernelFiles: Record<string, string> = { source: CUDA_SOURCE };
      if (tool) {
        const { cubin, ptx } = await compileCuda(src, opts.tmpDir, tool, target.attrs.arch || DEFAULT_ARCH);
        files.push({ path: CUDA_CUBIN, data: cubin }, { path: CUDA_PTX, data: ptx });
        kernelFiles = { source: CUDA_SOURCE, binary: CUDA_CUBIN, ptx: CUDA_PTX };
      } else {
        diagnostics.push({
          code: 'RLX_TOOLCHAIN_MISSING', severity: 'warning',
          message: `nvcc was not found: emitted ${CUDA_SOURCE} only; the runtime compiles it with NVRTC when loading`,
          where: { target: target.name },
          hint: 'Install the CUDA toolkit (or set $NVCC) to ship a prebuilt cubin and PTX.',
        });
      }
      return { files, kernels, kernelFiles, diagnostics };
    },
    toolchain(): ToolchainInfo {
      return { version: nvccVersion(nvcc()) };
    },
  };
}

export const cudaBackend: CompilerBackend = createCudaBackend();

export { emitCudaSource } from './codegen.js';
