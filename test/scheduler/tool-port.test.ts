/**
 * A build's tool runs (cc, nvcc) all go through one spawner process, which the pool starts on the main thread:
 * worker threads send them over each job's tool port (backends/exec.ts). Runs the compiled pool (dist/, built by
 * `npm test`), since the spawner is compiled JS.
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { JobAborted, createPool } from '../../dist/scheduler/pool.js';
import type { CompileJob } from '../../src/compiler/job.js';

const FIXTURE = new URL('./fixtures/tools-worker.mjs', import.meta.url);

const job = (model: string): CompileJob => ({
  model, modelPath: '/nonexistent', modelSource: 'x', tmpDir: os.tmpdir(),
  target: { name: 'cpu', kind: 'cpu', keys: ['cpu'], attrs: {} } as unknown as CompileJob['target'],
  pipeline: { name: 'generic', requested: 'default', why: '', stages: [] } as unknown as CompileJob['pipeline'],
});

describe('tool runs of a build', () => {
  it('go through one spawner process for every worker thread', async () => {
    const pool = createPool({ size: 3, workerModule: FIXTURE });
    try {
      const results = await Promise.all(['a', 'b', 'c'].map((m) => pool.run(job(m))));
      const seen = results.map((r) => r.diagnostics[0]!.message.split(' ').map(Number) as [number, number]);
      // Jobs ran on different threads (a thread that starts late may take a second job: at least two).
      expect(new Set(seen.map(([thread]) => thread)).size).toBeGreaterThanOrEqual(2);
      const parents = new Set(seen.map(([, ppid]) => ppid));
      expect(parents.size).toBe(1);
      expect([...parents][0]).not.toBe(process.pid);
    } finally {
      await pool.destroy();
    }
  });

  it('of a cancelled job are killed', async () => {
    const pool = createPool({ size: 1, workerModule: FIXTURE });
    const marker = `${40 + Math.random()}`;
    const alive = () => spawnSync('pgrep', ['-f', `sleep ${marker}`]).status === 0;
    try {
      const ac = new AbortController();
      const run = pool.run(job(`sleep ${marker}`), { signal: ac.signal });
      const deadline = Date.now() + 10_000;
      while (!alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(alive()).toBe(true);
      ac.abort();
      await expect(run).rejects.toBeInstanceOf(JobAborted);
      const gone = Date.now() + 5_000;
      while (alive() && Date.now() < gone) await new Promise((r) => setTimeout(r, 50));
      expect(alive()).toBe(false);
    } finally {
      await pool.destroy();
    }
  });
});
