import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanStaleTemps, writeArtifact } from '../../src/scheduler/write.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});
const tmp = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'relax-write-'));
  dirs.push(d);
  return d;
};
const enc = new TextEncoder();
const version = (tag: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ path: `sub${i % 3}/file${i}.bin`, data: enc.encode(`${tag}:${i}:`.repeat(2000)) }));

/** Contents of one directory inode; 'moved' when the folder at the path was swapped while we read it. */
async function snapshot(dir: string): Promise<string | null> {
  try {
    const ino = (await stat(dir)).ino;
    const result = await read(dir);
    return (await stat(dir).catch(() => null))?.ino === ino ? result : 'moved';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'moved';
    throw e;
  }
}

async function read(dir: string): Promise<string | null> {
  try {
    const names = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    const tags = new Set<string>();
    let count = 0;
    for (const e of names) {
      const text = await readFile(path.join(e.parentPath, e.name), 'utf8');
      tags.add(text.split(':')[0]!);
      count++;
    }
    return `${[...tags].sort().join('+')}#${count}`;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

describe('atomic artifact writes', () => {
  it('the final path only ever shows a complete old or a complete new artifact', async () => {
    const out = tmp();
    await writeArtifact(out, 'm', 'cpu', version('old', 60));
    const seen = new Set<string | null>();
    let done = false;
    const poller = (async () => {
      while (!done) {
        seen.add(await snapshot(path.join(out, 'm', 'cpu')));
        await new Promise((r) => setImmediate(r));
      }
    })();
    for (let round = 0; round < 5; round++) {
      await writeArtifact(out, 'm', 'cpu', version(round % 2 ? 'old' : 'new', 60));
    }
    done = true;
    await poller;
    seen.delete('moved'); // swapped while sampled: says nothing either way
    expect([...seen].every((s) => s === 'old#60' || s === 'new#60')).toBe(true);
    expect(seen.size).toBeGreaterThan(0);
    expect(await snapshot(path.join(out, 'm', 'cpu'))).toBe('new#60');
    // No temp or old folders are left behind, and files that vanished from the new version are gone.
    expect(readdirSync(out)).toEqual(['m']);
    await writeArtifact(out, 'm', 'cpu', [{ path: 'only.txt', data: enc.encode('one') }]);
    expect(readdirSync(path.join(out, 'm', 'cpu'))).toEqual(['only.txt']);
  });

  it('a killed build leaves only a temp folder, which the next build removes', async () => {
    const out = tmp();
    await writeArtifact(out, 'm', 'cpu', version('old', 3));
    // What a build killed mid-write leaves: a temp folder of a process that is gone.
    const dead = path.join(out, '.relax-tmp-999999999-abcdef');
    mkdirSync(path.join(dead, 'sub0'), { recursive: true });
    writeFileSync(path.join(dead, 'sub0', 'file0.bin'), 'half');
    const live = path.join(out, `.relax-tmp-${process.pid}-123456`);
    mkdirSync(live);
    expect(await snapshot(path.join(out, 'm', 'cpu'))).toBe('old#3');
    const removed = await cleanStaleTemps(out);
    expect(removed).toEqual(['.relax-tmp-999999999-abcdef']);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true); // a running build's temp folder is left alone
  });

  it('rejects artifact paths that escape the artifact folder', async () => {
    const out = tmp();
    await expect(writeArtifact(out, 'm', 'cpu', [{ path: '../evil.txt', data: enc.encode('x') }])).rejects.toMatchObject({
      diagnostic: { code: 'RLX_ARTIFACT_BAD_PATH' },
    });
    await expect(writeArtifact(out, 'm', 'cpu', [{ path: '/abs.txt', data: enc.encode('x') }])).rejects.toThrow(/unsafe path/);
    expect(existsSync(path.join(out, 'evil.txt'))).toBe(false);
    expect(existsSync(path.join(out, 'm'))).toBe(false);
    void readFileSync;
  });
});
