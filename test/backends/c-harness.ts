/** Shared test plumbing for the cpu/cuda backend tests: temp dirs, a minimal manifest, tool checks. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodegenResult } from '../../src/backends/types.js';
import type { Manifest, Target } from '../../src/formats/manifest.js';

export const tmp = (prefix: string): string => mkdtempSync(join(tmpdir(), `relax-${prefix}-`));

export const cpuTarget: Target = {
  kind: 'cpu', name: 'cpu', keys: ['cpu'],
  attrs: { maxThreadsPerBlock: 1, maxSharedMemoryBytes: 0, warpSize: 1, supportsInt64: true, supportsFloat64: true },
};
export const cudaTarget: Target = {
  kind: 'cuda', name: 'cuda', keys: ['cuda', 'gpu'],
  attrs: { arch: 'sm_90', maxThreadsPerBlock: 1024, maxSharedMemoryBytes: 49152, warpSize: 32, supportsInt64: true, supportsFloat64: true },
};

/** Writes the codegen files into a fresh artifact dir and returns it with a manifest describing them. */
export function writeArtifact(res: CodegenResult, target: Target): { dir: string; manifest: Manifest } {
  const dir = tmp('artifact');
  for (const f of res.files) {
    mkdirSync(join(dir, f.path, '..'), { recursive: true });
    writeFileSync(join(dir, f.path), f.data);
  }
  const manifest: Manifest = {
    format: 1,
    compiler: { name: 'relax', version: 'test' },
    model: { name: 'test', source: 'test.onnx', sha256: '' },
    target,
    pipeline: { name: 'test', resolvedFrom: 'test', reason: 'test', stages: [] },
    inputs: [], outputs: [],
    kernels: res.kernels,
    program: 'program.json', weights: 'weights.safetensors',
    kernelFiles: res.kernelFiles,
    files: [],
  };
  return { dir, manifest };
}

/** True when the tests needing `tool` must run: the tool is there, or CI is set (then a missing tool fails). */
export function mustRun(available: boolean, tool: string): boolean {
  if (available || process.env.CI) return true;
  console.warn(`skipping: ${tool} is not available here (set CI=1 to make this a failure)`);
  return false;
}
