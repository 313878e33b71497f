/** sha256 helpers: file hashes memoised by stat (size, ns mtime/ctime, inode), stable JSON for config hashing. */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

const memo = new Map<string, { stamp: string; hash: string }>();

async function stampOf(p: string): Promise<string> {
  const s = await stat(p, { bigint: true });
  return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
}

/** sha256 of a file's bytes; re-reads only when its stat changed. */
export async function hashFile(p: string): Promise<string> {
  const stamp = await stampOf(p);
  const hit = memo.get(p);
  if (hit && hit.stamp === stamp) return hit.hash;
  const h = createHash('sha256');
  await new Promise<void>((resolve, reject) => {
    createReadStream(p).on('data', (c) => h.update(c)).on('end', resolve).on('error', reject);
  });
  const hash = h.digest('hex');
  // Only trust the memo if the file did not change while we read it.
  if ((await stampOf(p)) === stamp) memo.set(p, { stamp, hash });
  return hash;
}

/** JSON with object keys sorted at every level (functions are not expected: plans are plain data). */
export function stableStringify(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableStringify(x)}`).join(',')}}`;
}
