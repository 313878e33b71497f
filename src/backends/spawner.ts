/**
 * The spawner: a small helper process that starts toolchain processes (cc, nvcc) for a worker thread.
 *
 * Why: fork() copies the page tables of the process that calls it and holds its memory map locked meanwhile. A
 * build with 16 worker threads holds gigabytes, and there a single spawn took 45 ms (2 GiB) to 110 ms (6 GiB) while
 * stalling every other thread's page faults; a build spawns cc/nvcc dozens of times. This process stays small, so
 * its forks are cheap. Each worker thread starts one when it starts (exec.ts), while the build is still small.
 *
 * Protocol (IPC, JSON): { id, cmd, args, cwd, env } in; { id, code, stdout, stderr, error? } out. It exits when its
 * parent goes away, killing what it still runs.
 */
import type { ChildProcess } from 'node:child_process';
import { startTool } from './exec.js';

export interface SpawnRequest {
  readonly id: number;
  readonly cmd: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface SpawnReply {
  readonly id: number;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: { readonly code?: string; readonly message: string };
}

const running = new Set<ChildProcess>();

function handle(req: SpawnRequest): void {
  const { child, result } = startTool(req.cmd, req.args, req.cwd, req.env as NodeJS.ProcessEnv);
  running.add(child);
  void result.then(({ code, stdout, stderr, spawnError: e }) => {
    running.delete(child);
    const error = e ? { ...(e.code ? { code: e.code } : {}), message: e.message } : undefined;
    process.send?.({ id: req.id, code, stdout, stderr, ...(error ? { error } : {}) } satisfies SpawnReply);
  });
}

if (process.send) {
  process.on('message', (m) => handle(m as SpawnRequest));
  process.on('disconnect', () => {
    for (const c of running) c.kill('SIGKILL');
    process.exit(0);
  });
}
