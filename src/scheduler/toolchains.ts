/**
 * Identities of the external toolchains that shape artifacts, for cache keys. A tool's version is probed
 * (`cc --version`, `nvcc --version`) only when its binary's stamp (resolved path, size, mtime) is not in the
 * memo file `<cacheDir>/toolchains.json`; a no-op build therefore spawns no process. A missing tool is 'none',
 * so installing one invalidates the affected jobs (and only those: cpu jobs depend on cc, cuda jobs on nvcc).
 */
import path from 'node:path';
import { dawnPackageVersion } from '../backends/webgpu/gpu.js';
import { findExecutable } from '../backends/which.js';
import { VERSION } from '../version.js';
import type { TargetKind } from '../formats/manifest.js';
import { readJson, statStamp, writeJsonAtomic } from './stamp.js';
import { fs } from '../builtins.js';

const { realpathSync } = fs;

export interface ToolchainVersions {
  readonly cc: string;
  readonly nvcc: string;
  readonly webgpu: string;
}

export type ToolName = keyof ToolchainVersions;

/** The tools a target kind's artifacts depend on (so installing nvcc does not invalidate cpu builds). */
export function toolsFor(kind: TargetKind): readonly ToolName[] {
  switch (kind) {
    case 'cpu': return ['cc'];
    case 'cuda': return ['nvcc'];
    case 'webgpu': return ['webgpu'];
  }
}

export function toolchainsFor(kind: TargetKind, v: ToolchainVersions): Readonly<Record<string, string>> {
  return Object.fromEntries(toolsFor(kind).map((t) => [t, v[t]]));
}

/** The binary a tool resolves to (what the backends run): `$CC`/cc, `$NVCC`/nvcc on PATH or /usr/local/cuda/bin. */
export function toolBinary(tool: 'cc' | 'nvcc'): string | null {
  if (tool === 'cc') return findExecutable(process.env.CC || 'cc');
  if (process.env.NVCC) return findExecutable(process.env.NVCC);
  const cudaHome = process.env.CUDA_HOME ?? process.env.CUDA_PATH;
  return findExecutable('nvcc', [...(cudaHome ? [path.join(cudaHome, 'bin')] : []), '/usr/local/cuda/bin']);
}

/** Kept for callers that want a path even when nvcc is absent. */
export function findNvcc(): string {
  return toolBinary('nvcc') ?? 'nvcc';
}

/** `<cmd> --version`, picked; child_process is loaded only here (a no-op build never probes). */
async function probe(cmd: string, pick: (lines: string[]) => string | undefined): Promise<string> {
  const { execFile } = await import('node:child_process');
  return new Promise((resolve) => {
    execFile(cmd, ['--version'], { timeout: 10_000, windowsHide: true, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout) => {
      if (err) return resolve('none');
      const lines = String(stdout).split('\n').map((l) => l.trim()).filter(Boolean);
      resolve(pick(lines) ?? 'unknown');
    });
  });
}

/** Counts processes spawned to probe versions (tests check that a no-op build spawns none). */
export const probeStats = { spawned: 0 };

interface MemoFile {
  [binaryStamp: string]: string;
}

const inProcess = new Map<string, Promise<string>>();


/**
 * The identity of one tool, memoised in-process and in `memoFile` by the binary's stamp.
 * (The memo is read and written by whoever calls; see ToolchainProbe.)
 */
export class ToolchainProbe {
  private memo: MemoFile | undefined;
  private dirty = false;

  constructor(private readonly memoFile: string | undefined) {}

  private async load(): Promise<MemoFile> {
    this.memo ??= (this.memoFile ? readJson<MemoFile>(this.memoFile) : undefined) ?? {};
    return this.memo;
  }

  async version(tool: ToolName): Promise<string> {
    if (tool === 'webgpu') {
      const v = dawnPackageVersion();
      return v ? `webgpu@${v}` : 'none';
    }
    const bin = toolBinary(tool);
    if (!bin) return 'none';
    let real = bin;
    try {
      real = realpathSync(bin);
    } catch { /* keep bin */ }
    const stamp = `${tool}|${bin}|${real}|${statStamp(real)}`;
    const memo = await this.load();
    if (memo[stamp]) return memo[stamp]!;
    let p = inProcess.get(stamp);
    if (!p) {
      probeStats.spawned++;
      p = tool === 'cc'
        ? probe(bin, (l) => l[0])
        : probe(bin, (l) => l.find((x) => /release/i.test(x)) ?? l[0]);
      inProcess.set(stamp, p);
    }
    const v = await p;
    memo[stamp] = v;
    this.dirty = true;
    return v;
  }

  async versions(kinds: Iterable<TargetKind>): Promise<Partial<ToolchainVersions>> {
    const tools = new Set<ToolName>();
    for (const k of kinds) for (const t of toolsFor(k)) tools.add(t);
    const out: Partial<Record<ToolName, string>> = {};
    await Promise.all([...tools].map(async (t) => {
      out[t] = await this.version(t);
    }));
    return out;
  }

  async save(): Promise<void> {
    if (this.dirty && this.memoFile && this.memo) {
      this.dirty = false;
      await writeJsonAtomic(this.memoFile, this.memo).catch(() => undefined);
    }
  }
}

/** All three versions (probes what is not memoised). */
export async function toolchainVersions(memoFile?: string): Promise<ToolchainVersions> {
  const p = new ToolchainProbe(memoFile);
  const [cc, nvcc, webgpu] = await Promise.all([p.version('cc'), p.version('nvcc'), p.version('webgpu')]);
  await p.save();
  return { cc, nvcc, webgpu };
}

/** For tests: forget the in-process memo. */
export function resetToolchainMemo(): void {
  inProcess.clear();
}

/** The package version (what `relax --version` prints; a test keeps it in step with package.json). */
export function compilerVersion(): string {
  return VERSION;
}
