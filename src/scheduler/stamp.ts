/**
 * Small persisted memos keyed by file stats ("stamps"): the size, ns mtime, ns ctime and inode of a file. Used to
 * skip work on a no-op build (re-hashing files, probing toolchain versions, hashing relax's own code).
 */
import type { BigIntStats } from 'node:fs';
import path from 'node:path';
import { crypto, fs, fsp } from '../builtins.js';

const { readFileSync, statSync } = fs;

/**
 * `size:mtimeNs:ctimeNs:ino`, or null when the file cannot be stat'ed. (Missing files are the common case in
 * config discovery: `throwIfNoEntry: false` spares building an Error with its stack for each.)
 */
export function statStamp(p: string): string | null {
  try {
    const s = statSync(p, { bigint: true, throwIfNoEntry: false });
    return s ? stampOf(s) : null;
  } catch {
    return null;
  }
}

/** A file's stamp; throws as statSync does when the file cannot be stat'ed (a model that must exist). */
export function fileStamp(p: string): string {
  return stampOf(statSync(p, { bigint: true }));
}

function stampOf(s: BigIntStats): string {
  return `${s.size}:${s.mtimeNs}:${s.ctimeNs}:${s.ino}`;
}

/** Whether `p` is an existing regular file (false when it cannot be stat'ed). */
export function isFile(p: string): boolean {
  try {
    return statSync(p, { throwIfNoEntry: false })?.isFile() ?? false;
  } catch {
    return false;
  }
}

/**
 * A small JSON state file (memo, record, snapshot), or undefined when absent or unreadable. Synchronous on
 * purpose: these files are a few KiB, and a no-op build reads dozens of them, where a promise-based read (open,
 * fstat, read, close on the thread pool) costs ~20x more than the read itself.
 */
export function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** `<pid>-<12 random hex>`: names temp files and folders that several processes may create side by side. */
export function uniqueSuffix(): string {
  return `${process.pid}-${crypto().randomBytes(6).toString('hex')}`;
}

/** Writes JSON through a temp file and rename (safe when several processes write the same file). */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await fsp().mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${uniqueSuffix()}.tmp`;
  await fsp().writeFile(tmp, JSON.stringify(value));
  await fsp().rename(tmp, file);
}
