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
import { spawn, type ChildProcess } from 'node:child_process';

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
  const reply = (r: Omit<SpawnReply, 'id'>): void => {
    process.send?.({ id: req.id, ...r } satisfies SpawnReply);
  };
  let stdout = '', stderr = '';
  let done = false;
  const child = spawn(req.cmd, req.args, { cwd: req.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: req.env as NodeJS.ProcessEnv });
  running.add(child);
  child.stdout!.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
  child.on('error', (err: NodeJS.ErrnoException) => {
    running.delete(child);
    if (done) return;
    done = true;
    reply({ code: null, stdout, stderr, error: { ...(err.code ? { code: err.code } : {}), message: err.message } });
  });
  child.on('close', (code) => {
    running.delete(child);
    if (done) return;
    done = true;
    reply({ code, stdout, stderr });
  });
}

if (process.send) {
  process.on('message', (m) => handle(m as SpawnRequest));
  process.on('disconnect', () => {
    for (const c of running) c.kill('SIGKILL');
    process.exit(0);
  });
}
