/**
 * The content-addressed build cache.
 *
 * key = sha256(job id, hashes of every input file, the job's resolved config, toolchain and compiler identities).
 * Layout under cacheDir:
 *   entries/<key>/index.json      { key, id, inputs, files: [{ path, sha256, bytes }] }
 *   entries/<key>/files/<path>    the artifact files
 *   jobs/<model>/<target>.json    the job's latest key and its inputs (to say why the next build missed) and what
 *                                 was last written to outDir (a stat fingerprint, so an up-to-date artifact is not
 *                                 rewritten nor read)
 * Entries are verified when read (every file's sha256): a corrupt entry is a miss, reported as such, and replaced.
 * Used entries get their index.json mtime bumped: prune.ts evicts least recently used entries first.
 */
import path from 'node:path';
import type { ArtifactFile } from '../compiler/job.js';
import { hashFile, sha256, stableStringify } from './hash.js';
import type { PlannedJob } from './plan.js';
import { readJson, uniqueSuffix, writeJsonAtomic } from './stamp.js';
import { toolsFor, type ToolchainVersions } from './toolchains.js';
import { removeDeadTemps } from './write.js';
import { fs, fsp } from '../builtins.js';

const { existsSync, readFileSync, readdirSync, statSync, utimesSync } = fs;

/** Why a job was built or reused: 'cache hit', 'no cache entry', 'model changed: models/mlp.onnx', '--force', ... */
export type MissReason = string;
export const CACHE_HIT = 'cache hit';

/** Everything the key is made of, kept per job so the next build can say what changed. */
export interface KeyInputs {
  /** Input file label -> sha256 of its bytes (model, external data that exists, bound files). */
  readonly files: Readonly<Record<string, string>>;
  /** source / target / pipeline hashes from the plan. */
  readonly config: Readonly<Record<string, string>>;
  /** Tool -> version identity (only the tools the target kind uses). */
  readonly toolchain: Readonly<Record<string, string>>;
  readonly compiler: string;
}

export interface CacheKey {
  readonly key: string;
  readonly inputs: KeyInputs;
  /** Absolute paths of the input files that went into the key (model first). */
  readonly paths: readonly string[];
}

export interface KeyEnv {
  readonly toolchains: Partial<ToolchainVersions>;
  readonly compiler: string;
}

export interface CacheFileRecord {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface EntryIndex {
  readonly format: 2;
  readonly key: string;
  readonly id: string;
  readonly inputs: KeyInputs;
  readonly files: readonly CacheFileRecord[];
}

interface OutputStamp {
  /** Absolute artifact directory. */
  readonly dir: string;
  readonly key: string;
  readonly files: readonly { readonly path: string; readonly size: number; readonly mtimeMs: number }[];
}

export interface JobRecord {
  readonly format: 2;
  readonly id: string;
  readonly key: string;
  readonly inputs: KeyInputs;
  readonly output?: OutputStamp;
}

export type Lookup =
  /** A hit: `upToDate` when outDir already holds it (then `files` is empty and no artifact file was read). */
  | { readonly hit: true; readonly files: readonly ArtifactFile[]; readonly upToDate: boolean; readonly reason: MissReason }
  | { readonly hit: false; readonly reason: MissReason };

/** Hashes of the job's input files that exist (optional ones may be absent). */
export async function hashModelInputs(job: Pick<PlannedJob, 'inputFiles'>): Promise<{ files: Record<string, string>; paths: string[] }> {
  const hashes = await Promise.all(job.inputFiles.map((f) => (f.optional && !existsSync(f.path) ? undefined : hashFile(f.path))));
  const files: Record<string, string> = {};
  const paths: string[] = [];
  job.inputFiles.forEach((f, i) => {
    if (hashes[i] === undefined) return;
    files[f.label] = hashes[i]!;
    paths.push(f.path);
  });
  return { files, paths };
}

/**
 * The job's cache key: sha256 of its id and inputs. `previous` is the job's record from the last build: when its
 * inputs are the same, so is the key, and it is taken from there (a no-op build computes no sha256 at all; the
 * entry's index.json is checked against these inputs on lookup, so a record cannot point a job at another's entry).
 */
export async function computeCacheKey(job: PlannedJob, env: KeyEnv, previous?: Pick<JobRecord, 'id' | 'key' | 'inputs'>): Promise<CacheKey> {
  const { files, paths } = await hashModelInputs(job);
  const toolchain: Record<string, string> = {};
  for (const t of toolsFor(job.target.kind)) toolchain[t] = env.toolchains[t] ?? 'unknown';
  const inputs: KeyInputs = { files, config: job.configInputs, toolchain, compiler: env.compiler };
  const canonical = stableStringify({ id: job.id, ...inputs });
  const key = previous && previous.id === job.id && stableStringify({ id: previous.id, ...previous.inputs }) === canonical ? previous.key : sha256(canonical);
  return { key, inputs, paths };
}

const changedKeys = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): string[] =>
  [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => a[k] !== b[k]).sort();

/** Why `now` differs from the job's last key: the first differing group, with what in it changed. */
export function explainChange(before: KeyInputs | undefined, now: KeyInputs): MissReason {
  if (!before) return 'no cache entry';
  const files = changedKeys(before.files ?? {}, now.files);
  if (files.length) return `model changed: ${files.join(', ')}`;
  const config = changedKeys(before.config ?? {}, now.config);
  if (config.length) return `config changed: ${config.join(', ')}`;
  if (before.compiler !== now.compiler) return 'compiler changed';
  const tools = changedKeys(before.toolchain ?? {}, now.toolchain);
  if (tools.length) return `toolchain changed: ${tools.join(', ')}`;
  return 'no cache entry';
}

export class BuildCache {
  constructor(readonly dir: string) {}

  /** Removes half-written entries of builds that were killed. */
  async cleanStale(): Promise<void> {
    await removeDeadTemps(path.join(this.dir, 'entries'), ['.tmp-']);
  }

  entryDir(key: string): string {
    return path.join(this.dir, 'entries', key);
  }

  private recordPath(job: Pick<PlannedJob, 'model' | 'target'>): string {
    return path.join(this.dir, 'jobs', job.model, `${job.target.name}.json`);
  }

  readRecord(job: Pick<PlannedJob, 'model' | 'target'>): JobRecord | undefined {
    const r = readJson<JobRecord>(this.recordPath(job));
    return r && r.format === 2 && typeof r.key === 'string' ? r : undefined;
  }

  private async corrupt(dir: string, detail: string): Promise<Lookup> {
    await fsp().rm(dir, { recursive: true, force: true });
    return { hit: false, reason: `corrupt cache entry: ${detail} (rebuilt)` };
  }

  /**
   * Says whether the job can be served from the cache, and if not, why. The metadata (record, index.json, the
   * artifact's stat fingerprint) is read synchronously: it is small, and it is all a no-op build does.
   */
  async lookup(job: PlannedJob, key: CacheKey, opts: { force?: boolean; artifactDir?: string; record?: JobRecord | undefined } = {}): Promise<Lookup> {
    if (opts.force) return { hit: false, reason: '--force' };
    // The caller may have read the record already (for the key): `record: undefined` then means there is none.
    const record = 'record' in opts ? opts.record : this.readRecord(job);
    const dir = this.entryDir(key.key);
    let indexText: string | Error | undefined;
    try {
      indexText = readFileSync(path.join(dir, 'index.json'), 'utf8');
    } catch (e) {
      indexText = (e as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : (e as Error);
    }
    if (indexText === undefined) {
      if (existsSync(dir)) return this.corrupt(dir, 'index.json is missing');
      return { hit: false, reason: explainChange(record?.key === key.key ? undefined : record?.inputs, key.inputs) };
    }
    let index: EntryIndex | undefined;
    try {
      if (indexText instanceof Error) throw indexText;
      index = JSON.parse(indexText) as EntryIndex;
    } catch (e) {
      return this.corrupt(dir, `index.json unreadable: ${(e as Error).message}`);
    }
    if (!index || index.format !== 2 || index.key !== key.key || index.id !== job.id || !Array.isArray(index.files)
      || stableStringify(index.inputs) !== stableStringify(key.inputs)) {
      return this.corrupt(dir, 'index.json does not describe this entry');
    }
    const now = new Date();
    try {
      utimesSync(path.join(dir, 'index.json'), now, now);
    } catch { /* LRU order is best effort */ }
    // The artifact in outDir is what this entry holds (same key, unchanged since we wrote it): nothing to read.
    const upToDate = opts.artifactDir !== undefined && record?.output !== undefined && record.output.key === key.key
      && record.output.dir === opts.artifactDir && stampMatches(record.output);
    if (upToDate) return { hit: true, files: [], upToDate, reason: CACHE_HIT };
    // Reading the entry: every file is checked against its sha256.
    const files: ArtifactFile[] = [];
    for (const f of index.files) {
      let data: Uint8Array;
      try {
        data = new Uint8Array(await fsp().readFile(path.join(dir, 'files', f.path)));
      } catch {
        return this.corrupt(dir, `${f.path} is missing`);
      }
      if (data.byteLength !== f.bytes || sha256(data) !== f.sha256) return this.corrupt(dir, `${f.path} does not match its sha256`);
      files.push({ path: f.path, data });
    }
    return { hit: true, files, upToDate, reason: CACHE_HIT };
  }

  /** Stores a built artifact under its key (atomically) and makes it the job's current entry. */
  async store(job: PlannedJob, key: CacheKey, files: readonly ArtifactFile[]): Promise<void> {
    const final = this.entryDir(key.key);
    if (!existsSync(path.join(final, 'index.json'))) {
      const tmp = path.join(this.dir, 'entries', `.tmp-${uniqueSuffix()}`);
      try {
        const recs: CacheFileRecord[] = [];
        for (const f of files) {
          const p = path.join(tmp, 'files', f.path);
          await fsp().mkdir(path.dirname(p), { recursive: true });
          await fsp().writeFile(p, f.data);
          recs.push({ path: f.path, sha256: sha256(f.data), bytes: f.data.byteLength });
        }
        const index: EntryIndex = { format: 2, key: key.key, id: job.id, inputs: key.inputs, files: recs };
        await fsp().mkdir(tmp, { recursive: true });
        await fsp().writeFile(path.join(tmp, 'index.json'), JSON.stringify(index, null, 1));
        await fsp().rm(final, { recursive: true, force: true });
        await fsp().rename(tmp, final).catch(async (e: NodeJS.ErrnoException) => {
          // Another process stored the same key meanwhile: theirs is as good as ours.
          if (!existsSync(path.join(final, 'index.json'))) throw e;
        });
      } finally {
        await fsp().rm(tmp, { recursive: true, force: true });
      }
    }
    await this.updateRecord(job, key, undefined);
  }

  /** Records what is now at the artifact's final path (so the next hit can skip rewriting it). */
  async markWritten(job: PlannedJob, key: CacheKey, artifactDir: string): Promise<void> {
    const files = listFiles(artifactDir);
    const stampFiles = [];
    for (const f of files) {
      const s = await fsp().stat(path.join(artifactDir, f));
      stampFiles.push({ path: f, size: s.size, mtimeMs: s.mtimeMs });
    }
    await this.updateRecord(job, key, { dir: artifactDir, key: key.key, files: stampFiles });
  }

  /** Makes `key` the job's current key without an entry (failed builds: the next build explains against them). */
  async remember(job: PlannedJob, key: CacheKey): Promise<void> {
    await this.updateRecord(job, key, undefined);
  }

  private async updateRecord(job: PlannedJob, key: CacheKey, output: OutputStamp | undefined): Promise<void> {
    const old = this.readRecord(job);
    const keepOutput = output ?? (old?.output && old.output.key === key.key ? old.output : undefined);
    const rec: JobRecord = { format: 2, id: job.id, key: key.key, inputs: key.inputs, ...(keepOutput ? { output: keepOutput } : {}) };
    await writeJsonAtomic(this.recordPath(job), rec);
  }
}

function stampMatches(out: OutputStamp): boolean {
  try {
    for (const f of out.files) {
      const s = statSync(path.join(out.dir, f.path));
      if (s.size !== f.size || s.mtimeMs !== f.mtimeMs) return false;
    }
    // No extra files crept in (a listing of the top folder and any subfolders).
    return listFiles(out.dir).length === out.files.length;
  } catch {
    return false;
  }
}

/** Relative paths (with '/') of all files under dir, sorted. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  walk(dir, '');
  return out.sort();
}
