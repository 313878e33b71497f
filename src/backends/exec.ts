/**
 * Running external toolchains (cc, nvcc) from the compiler side: a promise-based spawn and version probes. Tools
 * are started through this thread's spawner (spawner.ts), a small helper process, when it runs; directly otherwise
 * (the helper is compiled JS: running from src/ under tests, or if it cannot start).
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SpawnReply, SpawnRequest } from './spawner.js';

export interface ToolRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the tool could not be started at all (e.g. ENOENT). */
  readonly spawnError?: NodeJS.ErrnoException;
}

// Written from the parent folder so that it resolves the same from dist/backends/exec.js and from the worker
// bundle, dist/scheduler/worker.bundle.js (scripts/bundle-worker.mjs), which inlines this module.
const SPAWNER = fileURLToPath(new URL('../backends/spawner.js', import.meta.url));

interface Spawner {
  readonly child: ChildProcess;
  readonly pending: Map<number, (r: ToolRun | undefined) => void>;
  nextId: number;
}

let spawner: Spawner | undefined;
let spawnerFailed = false;

/**
 * Starts this thread's spawner if it is not running (worker threads call it first thing, while the process is
 * small). Returns undefined when there is none to use.
 */
export function startSpawner(): Spawner | undefined {
  if (spawner || spawnerFailed) return spawner;
  if (!existsSync(SPAWNER)) {
    spawnerFailed = true;
    return undefined;
  }
  try {
    const child = fork(SPAWNER, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: [], serialization: 'json' });
    const s: Spawner = { child, pending: new Map(), nextId: 1 };
    const fail = (): void => {
      spawnerFailed = true;
      if (spawner === s) spawner = undefined;
      for (const done of s.pending.values()) done(undefined);
      s.pending.clear();
    };
    child.on('message', (m: SpawnReply) => {
      const done = s.pending.get(m.id);
      if (!done) return;
      s.pending.delete(m.id);
      if (s.pending.size === 0) idle(s);
      const spawnError = m.error ? Object.assign(new Error(m.error.message), m.error.code ? { code: m.error.code } : {}) as NodeJS.ErrnoException : undefined;
      done({ code: m.code, stdout: m.stdout, stderr: m.stderr, ...(spawnError ? { spawnError } : {}) });
    });
    child.on('error', fail);
    child.on('exit', fail);
    spawner = s;
    idle(s);
    return s;
  } catch {
    spawnerFailed = true;
    return undefined;
  }
}

/** An idle spawner does not keep the thread alive. */
function idle(s: Spawner): void {
  s.child.unref();
  (s.child.channel as { unref?: () => void } | undefined)?.unref?.();
}

function busy(s: Spawner): void {
  s.child.ref();
  (s.child.channel as { ref?: () => void } | undefined)?.ref?.();
}

function viaSpawner(s: Spawner, cmd: string, args: readonly string[], cwd: string): Promise<ToolRun | undefined> {
  return new Promise((resolve) => {
    const id = s.nextId++;
    s.pending.set(id, resolve);
    busy(s);
    const req: SpawnRequest = { id, cmd, args, cwd, env: { ...process.env, LC_ALL: 'C' } };
    try {
      s.child.send(req, (err) => {
        if (err && s.pending.delete(id)) resolve(undefined);
      });
    } catch {
      if (s.pending.delete(id)) resolve(undefined);
    }
  });
}

export async function runTool(cmd: string, args: readonly string[], cwd: string): Promise<ToolRun> {
  const s = startSpawner();
  if (s) {
    const r = await viaSpawner(s, cmd, args, cwd);
    if (r) return r;
  }
  return runToolDirect(cmd, args, cwd);
}

function runToolDirect(cmd: string, args: readonly string[], cwd: string): Promise<ToolRun> {
  return startTool(cmd, args, cwd, { ...process.env, LC_ALL: 'C' }).result;
}

/** Starts a tool and collects its output (here, or in the spawner on a worker's behalf). */
export function startTool(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): { child: ChildProcess; result: Promise<ToolRun> } {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env });
  const result = new Promise<ToolRun>((resolve) => {
    let stdout = '', stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (err: NodeJS.ErrnoException) => resolve({ code: null, stdout, stderr, spawnError: err }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, result };
}

/** First line of `<cmd> --version`-like output, or null when the tool cannot run. */
export function versionLine(cmd: string, args: readonly string[], pick: (out: string) => string | undefined): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (r.error || r.status !== 0) return null;
  return pick(`${r.stdout}`)?.trim() || null;
}
