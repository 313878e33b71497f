/**
 * Cache size cap: least recently used first. Items are artifact entries (`entries/<key>/`, last use = their
 * index.json mtime, bumped on every hit) and compiled kernel objects (`objects/**`, last use = mtime, bumped on
 * reuse). Entries that are some job's current key are evicted last. `cleanCache` removes everything.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { EntryIndex, JobRecord } from './cache.js';

export const DEFAULT_CACHE_MAX_BYTES = 2 * 1024 ** 3;

export interface PruneResult {
  readonly before: number;
  readonly after: number;
  readonly removed: number;
  readonly removedBytes: number;
  readonly maxBytes: number;
}

interface Item {
  readonly path: string;
  readonly bytes: number;
  readonly used: number;
  readonly current: boolean;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function currentKeys(cacheDir: string): Promise<Set<string>> {
  const keys = new Set<string>();
  const jobs = path.join(cacheDir, 'jobs');
  for (const model of await entries(jobs)) {
    for (const f of await entries(path.join(jobs, model))) {
      try {
        const r = JSON.parse(await readFile(path.join(jobs, model, f), 'utf8')) as JobRecord;
        if (typeof r.key === 'string') keys.add(r.key);
      } catch { /* a torn record protects nothing */ }
    }
  }
  return keys;
}

async function listItems(cacheDir: string): Promise<Item[]> {
  const items: Item[] = [];
  const current = await currentKeys(cacheDir);
  const ents = path.join(cacheDir, 'entries');
  for (const key of await entries(ents)) {
    if (key.startsWith('.')) continue;
    const p = path.join(ents, key);
    try {
      const idx = path.join(p, 'index.json');
      const [s, text] = await Promise.all([stat(idx), readFile(idx, 'utf8')]);
      const index = JSON.parse(text) as EntryIndex;
      const bytes = s.size + index.files.reduce((a, f) => a + f.bytes, 0);
      items.push({ path: p, bytes, used: s.mtimeMs, current: current.has(key) });
    } catch {
      items.push({ path: p, bytes: 0, used: 0, current: false }); // broken: goes first
    }
  }
  const objs = path.join(cacheDir, 'objects');
  for (const shard of await entries(objs)) {
    for (const f of await entries(path.join(objs, shard))) {
      const p = path.join(objs, shard, f);
      try {
        const s = await stat(p);
        items.push({ path: p, bytes: s.size, used: s.mtimeMs, current: false });
      } catch { /* raced with another prune */ }
    }
  }
  return items;
}

export async function cacheSize(cacheDir: string): Promise<number> {
  return (await listItems(cacheDir)).reduce((a, i) => a + i.bytes, 0);
}

/** Evicts least recently used items until the cache holds at most `maxBytes`. */
export async function pruneCache(cacheDir: string, maxBytes: number = DEFAULT_CACHE_MAX_BYTES): Promise<PruneResult> {
  const items = await listItems(cacheDir);
  const before = items.reduce((a, i) => a + i.bytes, 0);
  let total = before;
  let removed = 0;
  let removedBytes = 0;
  const order = [...items].sort((a, b) => Number(a.current) - Number(b.current) || a.used - b.used || (a.path < b.path ? -1 : 1));
  for (const it of order) {
    if (total <= maxBytes) break;
    await rm(it.path, { recursive: true, force: true });
    total -= it.bytes;
    removed++;
    removedBytes += it.bytes;
  }
  return { before, after: total, removed, removedBytes, maxBytes };
}

/** Removes the whole cache folder; returns the bytes it held. */
export async function cleanCache(cacheDir: string): Promise<number> {
  const bytes = await cacheSize(cacheDir);
  await rm(cacheDir, { recursive: true, force: true });
  return bytes;
}
