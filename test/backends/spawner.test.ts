/**
 * The spawner (dist/backends/spawner.js, compiled by `npm test` before vitest runs): a build starts cc/nvcc through
 * it so that fork() runs in a small process, not in the build's large one.
 */
import { fork, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { SpawnReply } from '../../src/backends/spawner.js';

const SPAWNER = fileURLToPath(new URL('../../dist/backends/spawner.js', import.meta.url));

describe('spawner', () => {
  it('runs tools, reports exit codes, output and spawn errors, and kills what it runs when its parent goes away', async () => {
    expect(existsSync(SPAWNER)).toBe(true);
    const child = fork(SPAWNER, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: [] });
    const replies = new Map<number, SpawnReply>();
    const waiters = new Map<number, (r: SpawnReply) => void>();
    child.on('message', (m: SpawnReply) => { replies.set(m.id, m); waiters.get(m.id)?.(m); });
    const ask = (id: number, cmd: string, args: string[]) => new Promise<SpawnReply>((resolve) => {
      waiters.set(id, resolve);
      child.send({ id, cmd, args, cwd: process.cwd(), env: { ...process.env, LC_ALL: 'C' } });
    });
    const [ok, failed, missing] = await Promise.all([
      ask(1, 'sh', ['-c', 'echo out; echo err >&2']),
      ask(2, 'sh', ['-c', 'exit 3']),
      ask(3, '/nonexistent/tool', []),
    ]);
    expect(ok).toMatchObject({ id: 1, code: 0, stdout: 'out\n', stderr: 'err\n' });
    expect(failed).toMatchObject({ id: 2, code: 3 });
    expect(missing.error).toMatchObject({ code: 'ENOENT' });
    // A kill request stops that run; it still answers (killed by a signal: no exit code).
    const first = `${20 + Math.random()}`;
    const killed = ask(5, 'sleep', [first]);
    await new Promise((r) => setTimeout(r, 200));
    child.send({ id: 5, kill: true });
    expect(await killed).toMatchObject({ id: 5, code: null });
    // A long-running tool dies with the spawner when the parent disconnects.
    const marker = `${30 + Math.random()}`;
    const alive = () => spawnSync('pgrep', ['-f', `sleep ${marker}`]).status === 0;
    child.send({ id: 4, cmd: 'sleep', args: [marker], cwd: process.cwd(), env: process.env });
    await new Promise((r) => setTimeout(r, 300));
    expect(alive()).toBe(true);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.disconnect();
    expect(await exited).toBe(0);
    expect(replies.has(4)).toBe(false);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive()).toBe(false);
  });
});
