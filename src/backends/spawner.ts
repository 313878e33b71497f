/**
 * The spawner: a small helper process that starts toolchain processes (cc, nvcc) for a build.
 *
 * Why: fork() copies the page tables of the process that calls it and holds its memory map locked meanwhile. A
 * build with 16 worker threads holds gigabytes, and there a single spawn took 45 ms (2 GiB) to 110 ms (6 GiB) while
 * stalling every other thread's page faults; a build spawns cc/nvcc dozens of times. This process stays small, so
 * its forks are cheap. The worker pool starts one per build on the main thread, while the process is still small,
 * and every worker thread's tool runs go through it (exec.ts).
 *
 * Protocol (IPC, JSON): { id, cmd, args, cwd, env } in; { id, code, stdout, stderr, error? } out. { id, kill: true }
 * kills that run and what it started (its job was cancelled or crashed). It exits when its parent goes away,
 * killing what it still runs.
 */
import type { ChildProcess } from 'node:child_process';
import { killTool, startTool } from './exec.js';

export interface SpawnRequest {
  readonly id: number;
  readonly cmd: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface KillRequest {
  readonly id: number;
  readonly kill: true;
}

export interface SpawnReply {
  readonly id: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: { readonly code?: string; readonly message: string };
}

const running = new Map<number, ChildProcess>();

function handle(req: SpawnRequest | KillRequest): void {
  if ('kill' in req) {
    const child = running.get(req.id);
    if (child) killTool(child);
    return;
  }
  const { child, result } = startTool(req.cmd, req.args, req.cwd, req.env as NodeJS.ProcessEnv);
  running.set(req.id, child);
  void result.then(({ code, stdout, stderr, spawnError: e }) => {
    running.delete(req.id);
    const error = e ? { ...(e.code ? { code: e.code } : {}), message: e.message } : undefined;
    process.send?.({ id: req.id, code, stdout, stderr, ...(error ? { error } : {}) } satisfies SpawnReply);
  });
}

function stop(): void {
  for (const c of running.values()) killTool(c);
  process.exit(0);
}

if (process.send) {
  process.on('message', (m) => handle(m as SpawnRequest | KillRequest));
  process.on('disconnect', stop);
  // Ctrl-C reaches the whole foreground group: relax decides (watch mode shuts down in order), and this process
  // follows when relax goes. The tools lead groups of their own (killTool), so they never see it themselves.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', stop);
  process.on('SIGHUP', stop);
}
