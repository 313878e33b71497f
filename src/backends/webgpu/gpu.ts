/// <reference types="@webgpu/types" />
/**
 * WebGPU in Node through the `webgpu` npm package (Dawn). Loads the package lazily, picks an adapter and caches
 * it per process. Runtime-safe (no compiler imports); browsers use `navigator.gpu` instead (see device.ts).
 *
 * Adapter choice, first that works:
 * - `RELAX_WEBGPU_FLAGS` (comma-separated Dawn toggles, e.g. `backend=vulkan`) when set;
 * - for running: Dawn's default backend (Vulkan/Metal/D3D12, core features), then, on Linux, OpenGL ES in
 *   compatibility mode (Mesa llvmpipe on machines without a GPU; needs `EGL_PLATFORM=surfaceless`, set here);
 * - for validation: Dawn's null backend first (Tint validation against core WebGPU, no hardware needed),
 *   then the running choices when the null adapter's limits are too small.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fs } from '../../builtins.js';

const { existsSync, readFileSync, statSync } = fs;

export interface DawnModule {
  create(flags: string[]): GPU;
}

export interface NodeAdapter {
  readonly adapter: GPUAdapter;
  /** Dawn flags it was created with, e.g. ['backend=opengles']. */
  readonly flags: readonly string[];
  readonly featureLevel: 'core' | 'compatibility';
  /** Human-readable description (backend and driver). */
  readonly description: string;
}

interface Candidate { readonly flags: readonly string[]; readonly featureLevel: 'core' | 'compatibility' }

let dawn: Promise<DawnModule | null> | undefined;
let dawnError: string | undefined;

/** Loads the `webgpu` package once; null (with `dawnLoadError()`) when it is missing or fails to load. */
export function loadDawn(): Promise<DawnModule | null> {
  if (!dawn) {
    // Dawn's GL backend reads this when it first opens EGL: headless machines have no display.
    if (process.platform === 'linux' && process.env.EGL_PLATFORM === undefined) process.env.EGL_PLATFORM = 'surfaceless';
    dawn = import('webgpu').then(
      (m) => m as unknown as DawnModule,
      (e: unknown) => { dawnError = e instanceof Error ? e.message : String(e); return null; },
    );
  }
  return dawn;
}

export function dawnLoadError(): string | undefined {
  return dawnError;
}

/**
 * Version of the installed `webgpu` package, or null. Sync: its package.json in the nearest `node_modules/webgpu`
 * up from this module, as Node resolves a bare package (a few stats; cache keys read it on every build, and
 * createRequire's resolver cost a no-op build 6 ms).
 */
export function dawnPackageVersion(): string | null {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'node_modules', 'webgpu', 'package.json');
    if (statSync(pkg, { throwIfNoEntry: false })?.isFile()) {
      try {
        const version = (JSON.parse(readFileSync(pkg, 'utf8')) as { version?: unknown }).version;
        return typeof version === 'string' ? version : null;
      } catch {
        return null;
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

function hasVulkanLoader(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib/x86_64-linux-gnu', '/usr/local/lib'];
  return dirs.some((d) => existsSync(`${d}/libvulkan.so.1`));
}

function candidates(purpose: 'run' | 'validate'): Candidate[] {
  const out: Candidate[] = [];
  const env = process.env.RELAX_WEBGPU_FLAGS;
  if (env) {
    const flags = env.split(',').map((s) => s.trim()).filter(Boolean);
    out.push({ flags, featureLevel: 'core' }, { flags, featureLevel: 'compatibility' });
  }
  if (purpose === 'validate') out.push({ flags: ['backend=null'], featureLevel: 'core' });
  if (hasVulkanLoader()) out.push({ flags: [], featureLevel: 'core' });
  if (process.platform === 'linux') out.push({ flags: ['backend=opengles'], featureLevel: 'compatibility' });
  return out;
}

const gpus = new Map<string, GPU>();
const adapters = new Map<string, Promise<NodeAdapter | null>>();

async function tryCandidate(m: DawnModule, c: Candidate): Promise<NodeAdapter | null> {
  const key = `${c.flags.join(',')}|${c.featureLevel}`;
  let p = adapters.get(key);
  if (!p) {
    p = (async () => {
      try {
        const fk = c.flags.join(',');
        let gpu = gpus.get(fk);
        if (!gpu) { gpu = m.create([...c.flags]); gpus.set(fk, gpu); }
        const adapter = await gpu.requestAdapter(c.featureLevel === 'compatibility' ? { featureLevel: 'compatibility' } : {});
        if (!adapter) return null;
        const info = adapter.info;
        const description = [c.flags.join(' ') || 'default backend', info.description, info.device].filter(Boolean).join(', ');
        return { adapter, flags: c.flags, featureLevel: c.featureLevel, description };
      } catch {
        return null;
      }
    })();
    adapters.set(key, p);
  }
  return p;
}

function meets(a: GPUAdapter, needs: Readonly<Record<string, number>> | undefined): boolean {
  if (!needs) return true;
  const lim = a.limits as unknown as Record<string, number>;
  return Object.entries(needs).every(([k, v]) => typeof lim[k] !== 'number' || lim[k]! >= v);
}

/**
 * The first adapter (in the order above) whose limits meet `needs`; else the first one found; null when Dawn
 * is missing or no backend gives an adapter. Each call returns a fresh GPUAdapter (Dawn lets an adapter create
 * only one device); which backends work is probed once per process.
 */
export async function requestNodeAdapter(purpose: 'run' | 'validate', needs?: Readonly<Record<string, number>>): Promise<NodeAdapter | null> {
  const m = await loadDawn();
  if (!m) return null;
  let first: NodeAdapter | null = null;
  for (const c of candidates(purpose)) {
    const a = await tryCandidate(m, c);
    if (!a) continue;
    if (meets(a.adapter, needs)) return freshAdapter(a);
    first ??= a;
  }
  return first ? freshAdapter(first) : null;
}

async function freshAdapter(probe: NodeAdapter): Promise<NodeAdapter> {
  const gpu = gpus.get(probe.flags.join(','));
  const adapter = gpu ? await gpu.requestAdapter(probe.featureLevel === 'compatibility' ? { featureLevel: 'compatibility' } : {}) : null;
  return adapter ? { ...probe, adapter } : probe;
}
