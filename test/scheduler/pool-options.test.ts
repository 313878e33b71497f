/** How many threads, jobs in progress and compile slots a build's pool gets. */
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { createPool, poolOptions } from '../../dist/scheduler/pool.js';
import type { CompileJob } from '../../src/compiler/job.js';

const FIXTURE = new URL('./fixtures/tools-worker.mjs', import.meta.url);

describe('pool sizes', () => {
  it('--jobs jobs on one thread each, or on --threads threads; --jobs compile slots', () => {
    expect(poolOptions(16, { jobs: 16 })).toMatchObject({ size: 16, concurrency: 16, slots: 16 });
    expect(poolOptions(16, { jobs: 16, threads: 4 })).toMatchObject({ size: 4, concurrency: 16, slots: 16 });
    // Fewer jobs than --jobs: as many threads as jobs, and the slots --jobs asked for (for split compiles).
    expect(poolOptions(3, { jobs: 16 })).toMatchObject({ size: 3, concurrency: 3, slots: 16 });
  });

  it('workers see the compile slots asked for, not one per job in progress', async () => {
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
