/**
 * Small persisted memos keyed by file stats ("stamps"): the size, ns mtime, ns ctime and inode of a file. Used to
 * skip work on a no-op build (re-hashing files, probing toolchain versions, hashing relax's own code).
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** `size:mtimeNs:ctimeNs:ino`, or null when the file cannot be stat'ed. */
export function statStamp(p: string): string | null {
  try {
    const s = statSync(p, { bigint: true });
    return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
  } catch {
    return null;
  }
}

/** Whether `p` is an existing regular file (false when it cannot be stat'ed). */
export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

export async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Writes JSON through a temp file and rename (safe when several processes write the same file). */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(value));
  await rename(tmp, file);
}
