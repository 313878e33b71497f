/** sha256 helpers: file hashes memoised by stat (size, ns mtime/ctime, inode), stable JSON for config hashing. */
import { fileStamp, writeJsonAtomic } from './stamp.js';
import { crypto, fs } from '../builtins.js';

const { createReadStream, readFileSync } = fs;

export function sha256(data: Uint8Array | string): string {
  return crypto().createHash('sha256').update(data).digest('hex');
}

const memo = new Map<string, { stamp: string; hash: string }>();
/** Files actually read to be hashed in this process (tests check that a no-op build reads none). */
export const hashStats = { filesRead: 0 };
let dirty = false;
/** Hashes in progress (several jobs share one model file): path -> { stamp, promise }. */
const inflight = new Map<string, { stamp: string; promise: Promise<string> }>();

/** sha256 of a file's bytes; re-reads only when its stat changed. */
export async function hashFile(p: string): Promise<string> {
  const stamp = fileStamp(p);
  const hit = memo.get(p);
  if (hit && hit.stamp === stamp) return hit.hash;
  const running = inflight.get(p);
  if (running && running.stamp === stamp) return running.promise;
  const promise = hashUncached(p, stamp).finally(() => {
    if (inflight.get(p)?.promise === promise) inflight.delete(p);
  });
  inflight.set(p, { stamp, promise });
  return promise;
}

async function hashUncached(p: string, stamp: string): Promise<string> {
  const h = crypto().createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(p).on('data', (c) => h.update(c)).on('end', resolve).on('error', reject);
  });
  const hash = h.digest('hex');
  hashStats.filesRead++;
  dirty = true;
  // Only trust the memo if the file did not change while we read it.
  if (fileStamp(p) === stamp) memo.set(p, { stamp, hash });
  return hash;
}

/** JSON with object keys sorted at every level (functions are not expected: plans are plain data). */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(',')}}`;
}

/**
 * The memo persisted between runs (like git's index): `{ path: { stamp, hash } }` for model inputs, so a no-op
 * build of a large model does not re-read it. A stamp is size + ns mtime + ns ctime + inode.
 */
export async function loadHashMemo(file: string): Promise<void> {
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { stamp?: unknown; hash?: unknown }>;
    for (const [p, v] of Object.entries(data)) {
      if (typeof v?.stamp === 'string' && typeof v.hash === 'string' && !memo.has(p)) memo.set(p, { stamp: v.stamp, hash: v.hash });
    }
  } catch {
    // No memo yet, or unreadable: files are simply hashed again.
  }
}

export async function saveHashMemo(file: string, paths: readonly string[]): Promise<void> {
  if (!dirty) return;
  dirty = false;
  const out: Record<string, { stamp: string; hash: string }> = {};
  for (const p of [...paths].sort()) {
    const m = memo.get(p);
    if (m) out[p] = m;
  }
  await writeJsonAtomic(file, out);
}
