/**
 * Kernel-level reuse: a content-addressed store of toolchain outputs (cc's kernels.so, nvcc's cubin/ptx), so an
 * identical translation unit (same source, flags and compiler binary) is compiled once and reused across models,
 * targets and jobs. The scheduler passes the folder in CompileJob.objectCacheDir; the worker calls
 * `setObjectCacheDir` before compiling. Entries are one bundle file per key (`<dir>/<key[0..2]>/<key>.obj`: a
 * JSON header with each output's size and sha256, then the bytes), written to a temp file and renamed, so
 * concurrent workers and processes never see half an entry; a bundle that fails verification is recompiled.
 */
import { createHash, randomBytes } from 'node:crypto';
import { realpathSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';

let dir: string | undefined;

/** Where compiled objects are kept (undefined: always compile). */
export function setObjectCacheDir(d: string | undefined): void {
  dir = d;
}

/** Reuse counters for this thread (tests). */
export const objectCacheStats = { hits: 0, misses: 0 };

/** A stamp of the tool binary itself (path, size, mtime): no process is spawned to identify it. */
export function toolStamp(bin: string): string {
  try {
    const real = realpathSync(bin);
    const s = statSync(real);
    return `${bin}|${real}|${s.size}|${s.mtimeMs}`;
  } catch {
    return bin;
  }
}

const sha = (d: Uint8Array | string): string => createHash('sha256').update(d).digest('hex');

interface Header {
  readonly files: readonly { readonly name: string; readonly bytes: number; readonly sha256: string }[];
}

function decode(buf: Uint8Array): Record<string, Uint8Array> | undefined {
  if (buf.byteLength < 4) return undefined;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getUint32(0, true);
  if (4 + n > buf.byteLength) return undefined;
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(4, 4 + n))) as Header;
  } catch {
    return undefined;
  }
  const out: Record<string, Uint8Array> = {};
  let at = 4 + n;
  for (const f of header.files ?? []) {
    const data = buf.slice(at, at + f.bytes);
    if (data.byteLength !== f.bytes || sha(data) !== f.sha256) return undefined;
    out[f.name] = data;
    at += f.bytes;
  }
  return at === buf.byteLength ? out : undefined;
}

function encode(files: Readonly<Record<string, Uint8Array>>): Uint8Array {
  const names = Object.keys(files).sort();
  const header = new TextEncoder().encode(JSON.stringify({ files: names.map((name) => ({ name, bytes: files[name]!.byteLength, sha256: sha(files[name]!) })) }));
  const total = 4 + header.byteLength + names.reduce((a, n) => a + files[n]!.byteLength, 0);
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, header.byteLength, true);
  out.set(header, 4);
  let at = 4 + header.byteLength;
  for (const n of names) {
    out.set(files[n]!, at);
    at += files[n]!.byteLength;
  }
  return out;
}

/**
 * Returns the outputs for `keyParts` (tool stamp, flags, source...) from the store, or runs `compile` and stores
 * what it returns. Store failures never fail the compile.
 */
export async function cachedCompile(
  keyParts: readonly string[],
  compile: () => Promise<Record<string, Uint8Array>>,
): Promise<Record<string, Uint8Array>> {
  if (!dir) return compile();
  const key = sha(keyParts.join('\0'));
  const file = path.join(dir, key.slice(0, 2), `${key}.obj`);
  try {
    const hit = decode(new Uint8Array(await readFile(file)));
    if (hit) {
      objectCacheStats.hits++;
      const now = new Date();
      await utimes(file, now, now).catch(() => undefined);
      return hit;
    }
    await rm(file, { force: true }); // corrupt: replaced below
  } catch { /* not there */ }
  objectCacheStats.misses++;
  const out = await compile();
  try {
    await mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}-${randomBytes(6).toString('hex')}.tmp`;
    await writeFile(tmp, encode(out));
    await rename(tmp, file);
  } catch { /* a read-only or full cache only costs reuse */ }
  return out;
}
