/**
 * Versions of the external toolchains that shape artifacts, for cache keys. Each is probed once per process
 * (memoised promise); a missing tool is recorded as 'none' so installing one invalidates the affected jobs.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { TargetKind } from '../formats/manifest.js';

export interface ToolchainVersions {
  readonly cc: string;
  readonly nvcc: string;
  readonly webgpu: string;
}

let memo: Promise<ToolchainVersions> | undefined;

function firstLine(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 10_000, windowsHide: true }, (err, stdout) => {
      if (err) return resolve('none');
      const line = String(stdout).split('\n').map((l) => l.trim()).find((l) => l.length > 0);
      resolve(line ?? 'unknown');
    });
  });
}

/** nvcc's first line is a banner ("nvcc: NVIDIA (R) Cuda compiler driver"); the release line is what changes. */
function nvccVersion(cmd: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(cmd, ['--version'], { timeout: 10_000, windowsHide: true }, (err, stdout) => {
      if (err) return resolve('none');
      const lines = String(stdout).split('\n').map((l) => l.trim()).filter(Boolean);
      resolve(lines.find((l) => /release/i.test(l)) ?? lines[0] ?? 'unknown');
    });
  });
}

export function findNvcc(): string {
  const cudaHome = process.env.CUDA_HOME ?? process.env.CUDA_PATH;
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), cudaHome ? path.join(cudaHome, 'bin') : '', '/usr/local/cuda/bin']) {
    if (!dir) continue;
    const p = path.join(dir, 'nvcc');
    if (existsSync(p)) return p;
  }
  return 'nvcc';
}

function webgpuVersion(): string {
  try {
    const req = createRequire(import.meta.url);
    const pkg = req.resolve('webgpu/package.json');
    return `webgpu@${(JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version}`;
  } catch {
    return 'none';
  }
}

export function toolchainVersions(): Promise<ToolchainVersions> {
  memo ??= (async () => {
    const [cc, nvcc] = await Promise.all([firstLine(process.env.CC ?? 'cc', ['--version']), nvccVersion(findNvcc())]);
    return { cc, nvcc, webgpu: webgpuVersion() };
  })();
  return memo;
}

/** The toolchains a target kind's artifacts depend on (so installing nvcc does not invalidate cpu builds). */
export function toolchainsFor(kind: TargetKind, v: ToolchainVersions): Readonly<Record<string, string>> {
  switch (kind) {
    case 'cpu': return { cc: v.cc };
    case 'cuda': return { nvcc: v.nvcc };
    case 'webgpu': return { webgpu: v.webgpu };
  }
}

/** For tests: forget the memoised versions. */
export function resetToolchainMemo(): void {
  memo = undefined;
}

/** The compiler version recorded in cache keys (this package's version). */
export function compilerVersion(): string {
  const req = createRequire(import.meta.url);
  // src/scheduler/ and dist/scheduler/ both sit two levels below package.json.
  return (req('../../package.json') as { version: string }).version;
}
