/** How many threads, jobs in progress and compile slots a build's pool gets. */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { createPool, poolOptions } from '../../dist/scheduler/pool.js';
import type { CompileJob } from '../../src/compiler/job.js';

const FIXTURE = new URL('./fixtures/tools-worker.mjs', import.meta.url);

describe('pool sizes', () => {
  it('a one-shot build keeps two jobs in progress per thread, but never more compile slots than --jobs', () => {
    expect(poolOptions(16, { jobs: 16 }, true)).toMatchObject({ size: 16, concurrency: 32, slots: 16 });
    expect(poolOptions(4, { jobs: 16 }, true)).toMatchObject({ size: 4, concurrency: 8, slots: 16 });
    // --jobs 1 stays one job at a time; --threads sets the jobs in progress itself; watch mode passes no `ahead`.
    expect(poolOptions(1, { jobs: 1 }, true)).toMatchObject({ size: 1, concurrency: 1, slots: 1 });
    expect(poolOptions(16, { jobs: 16, threads: 8 }, true)).toMatchObject({ size: 8, concurrency: 16, slots: 16 });
    expect(poolOptions(16, { jobs: 16 })).toMatchObject({ size: 16, concurrency: 16, slots: 16 });
  });

  it('workers see the slots asked for, not one per job in progress', async () => {
    const pool = createPool({ size: 2, concurrency: 4, slots: 2, workerModule: FIXTURE });
    try {
      const job = {
        model: 'slots', modelPath: '/nonexistent', modelSource: 'x', tmpDir: os.tmpdir(),
        target: { name: 'cpu', kind: 'cpu', keys: ['cpu'], attrs: {} }, pipeline: { name: 'generic', requested: 'default', why: '', stages: [] },
      } as unknown as CompileJob;
      const r = await pool.run(job);
      expect(r.diagnostics[0]!.message).toBe('2');
    } finally {
      await pool.destroy();
    }
  });
});
