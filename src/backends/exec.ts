/**
 * Running external toolchains (cc, nvcc) from the compiler side: a promise-based spawn and version probes.
 *
 * A build starts its tools through one spawner (spawner.ts), a small helper process the worker pool starts on the
 * main thread while the process is still small. A job's tool runs travel to the main thread over the MessagePort the
 * pool hands the job (kept in the job's context, slots.ts runInJob; serveToolRuns is the main thread's end) and from
 * there to the spawner. A compile outside the pool (tests, one-off callers) uses its own thread's spawner, started on first use;
 * tools are started directly when there is none (the helper is compiled JS: running from src/ under tests, or if it
 * cannot start).
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MessagePort } from 'node:worker_threads';
import type { KillRequest, SpawnReply, SpawnRequest } from './spawner.js';
import { jobToolPort } from './slots.js';

export interface ToolRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Set when the tool could not be started at all (e.g. ENOENT). */
  readonly spawnError?: NodeJS.ErrnoException;
}

// Written from the parent folder so that it resolves the same from dist/backends/exec.js and from the bundles,
// dist/scheduler/worker.bundle.js and dist/bundle/ (scripts/bundle.mjs), which inline this module.
const SPAWNER = fileURLToPath(new URL('../backends/spawner.js', import.meta.url));

interface Spawner {
  readonly child: ChildProcess;
  readonly pending: Map<number, (r: ToolRun | undefined) => void>;
  nextId: number;
}

let spawner: Spawner | undefined;
let spawnerFailed = false;

/**
 * Starts this thread's spawner if it is not running (the pool calls it on the main thread before any worker
 * thread starts, while the process is small). Returns undefined when there is none to use.
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
      done({ code: m.code, stdout: m.stdout, stderr: m.stderr, ...(m.error ? { spawnError: toError(m.error) } : {}) });
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

const toError = (e: NonNullable<SpawnReply['error']>): NodeJS.ErrnoException =>
  Object.assign(new Error(e.message), e.code ? { code: e.code } : {}) as NodeJS.ErrnoException;

/** An idle spawner does not keep the thread alive. */
function idle(s: Spawner): void {
  s.child.unref();
  (s.child.channel as { unref?: () => void } | undefined)?.unref?.();
}

function busy(s: Spawner): void {
  s.child.ref();
  (s.child.channel as { ref?: () => void } | undefined)?.ref?.();
}

/** A tool run through the spawner; `result` is undefined when the spawner could not take it. */
function viaSpawner(s: Spawner, cmd: string, args: readonly string[], cwd: string): { id: number; result: Promise<ToolRun | undefined> } {
  const id = s.nextId++;
  const result = new Promise<ToolRun | undefined>((resolve) => {
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
  return { id, result };
}

/** A tool run on this thread: through its spawner, else directly. `kill` stops it. */
function runHere(cmd: string, args: readonly string[], cwd: string): { result: Promise<ToolRun>; kill: () => void } {
  const s = startSpawner();
  if (s) {
    const run = viaSpawner(s, cmd, args, cwd);
    let killed = false;
    return {
      // The spawner could not take it (it died): run it here, unless it was meant to stop anyway.
      result: run.result.then((r) => r ?? (killed ? cancelled() : runToolDirect(cmd, args, cwd))),
      kill: () => {
        killed = true;
        try {
          s.child.send({ id: run.id, kill: true } satisfies KillRequest);
        } catch { /* the spawner is gone, and with it the run */ }
      },
    };
  }
  const { child, result } = startTool(cmd, args, cwd, { ...process.env, LC_ALL: 'C' });
  return { result, kill: () => killTool(child) };
}

/** What a job's worker thread sends over its tool port, and what comes back (SpawnReply). */
interface PortRequest {
  readonly id: number;
  readonly cmd: string;
  readonly args: readonly string[];
  readonly cwd: string;
}

/**
 * The main thread's side of a job's tool port: runs what the job asks through this thread's spawner. The returned
 * function, called when the job is over, kills its runs still going (a cancelled or crashed job) and closes the port.
 */
export function serveToolRuns(port: MessagePort): () => void {
  const live = new Map<number, () => void>();
  let open = true;
  port.on('message', (req: PortRequest) => {
    const run = runHere(req.cmd, req.args, req.cwd);
    live.set(req.id, run.kill);
    void run.result.then(({ code, stdout, stderr, spawnError: e }) => {
      live.delete(req.id);
      if (!open) return;
      const error = e ? { ...(e.code ? { code: e.code } : {}), message: e.message } : undefined;
      port.postMessage({ id: req.id, code, stdout, stderr, ...(error ? { error } : {}) } satisfies SpawnReply);
    });
  });
  return () => {
    open = false;
    for (const kill of live.values()) kill();
    live.clear();
    port.close();
  };
}

interface ToolPort {
  readonly port: MessagePort;
  readonly pending: Map<number, (r: ToolRun) => void>;
  nextId: number;
}

const toolPorts = new WeakMap<MessagePort, ToolPort>();

/** This thread's side of a job's tool port (serveToolRuns at the other end), set up on its first tool run. */
function toolPort(port: MessagePort): ToolPort {
  const known = toolPorts.get(port);
  if (known) return known;
  const made: ToolPort = { port, pending: new Map(), nextId: 1 };
  port.on('message', (m: SpawnReply) => {
    const done = made.pending.get(m.id);
    if (!done) return;
    made.pending.delete(m.id);
    done({ code: m.code, stdout: m.stdout, stderr: m.stderr, ...(m.error ? { spawnError: toError(m.error) } : {}) });
  });
  // The main thread closes the port when the job is over (done, cancelled or crashed): nothing is run any more.
  port.on('close', () => {
    for (const done of made.pending.values()) done(cancelled());
    made.pending.clear();
  });
  toolPorts.set(port, made);
  return made;
}

function viaPort(tp: ToolPort, cmd: string, args: readonly string[], cwd: string): Promise<ToolRun> {
  return new Promise((resolve) => {
    const id = tp.nextId++;
    tp.pending.set(id, resolve);
    try {
      tp.port.postMessage({ id, cmd, args, cwd } satisfies PortRequest);
    } catch {
      if (tp.pending.delete(id)) resolve(cancelled());
    }
  });
}

/** The result of a tool run that did not happen because its job is over. */
function cancelled(): ToolRun {
  return { code: null, stdout: '', stderr: '', spawnError: Object.assign(new Error('the job was cancelled'), { code: 'ECANCELED' }) };
}

/** Runs a tool for the job whose code is running: over its tool port when it has one, else from this thread. */
export async function runTool(cmd: string, args: readonly string[], cwd: string): Promise<ToolRun> {
  const port = jobToolPort();
  return port ? viaPort(toolPort(port), cmd, args, cwd) : runHere(cmd, args, cwd).result;
}

function runToolDirect(cmd: string, args: readonly string[], cwd: string): Promise<ToolRun> {
  return startTool(cmd, args, cwd, { ...process.env, LC_ALL: 'C' }).result;
}

const GROUPS = process.platform !== 'win32';

/**
 * Starts a tool and collects its output (here, or in the spawner for the build). On POSIX it leads a process group
 * of its own, so that killTool also stops what it started (nvcc runs cicc and ptxas).
 */
export function startTool(cmd: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): { child: ChildProcess; result: Promise<ToolRun> } {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env, detached: GROUPS });
  const result = new Promise<ToolRun>((resolve) => {
    let stdout = '', stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', (err: NodeJS.ErrnoException) => resolve({ code: null, stdout, stderr, spawnError: err }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, result };
}

/** Kills a tool started by startTool and everything it started. */
export function killTool(child: ChildProcess): void {
  try {
    if (GROUPS && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch { /* already gone */ }
}

/** First line of `<cmd> --version`-like output, or null when the tool cannot run. */
export function versionLine(cmd: string, args: readonly string[], pick: (out: string) => string | undefined): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (r.error || r.status !== 0) return null;
  return pick(`${r.stdout}`)?.trim() || null;
}
