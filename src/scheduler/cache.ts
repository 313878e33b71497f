/**
 * The content-addressed build cache.
 *
 * key = sha256(job id, model bytes + external data, resolved target and pipeline, compiler version, toolchains).
 * Layout under cacheDir:
 *   entries/<key>/index.json      { key, id, parts, files: [{ path, sha256, bytes }] }
 *   entries/<key>/files/<path>    the artifact files
 *   jobs/<model>/<target>.json    the job's latest key, its key parts (to say why it missed) and what was last
 *                                 written to outDir (a stat fingerprint, so an up-to-date artifact is not rewritten)
 * Entries are verified when read (every file's sha256): a corrupt entry is a miss, reported as such, and removed.
 * When outDir still holds exactly what the entry produced (stat fingerprint), the entry is not read at all.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { ArtifactFile } from '../compiler/job.js';
import { externalDataLocations } from '../compiler/frontend/onnx/load.js';
import { hashFile, sha256, stableStringify } from './hash.js';
import type { PlannedJob } from './plan.js';
import { toolchainsFor, type ToolchainVersions } from './toolchains.js';
import { removeDeadTemps } from './write.js';

export type MissReason = 'no cache entry' | 'model changed' | 'config changed' | 'toolchain changed' | 'compiler changed' | 'forced' | 'corrupt entry';

export interface KeyParts {
  /** Model bytes plus external data files. */
  readonly model: string;
  /** Job id, target data, pipeline record, model source. */
  readonly config: string;
  readonly toolchain: string;
  readonly compiler: string;
}

export interface CacheKey {
  readonly key: string;
  readonly parts: KeyParts;
  /** Which input files went into `parts.model` (model first). */
  readonly inputs: readonly string[];
}

export interface CacheFileRecord {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

interface EntryIndex {
  readonly format: 1;
  readonly key: string;
  readonly id: string;
  readonly parts: KeyParts;
  readonly files: readonly CacheFileRecord[];
}

interface OutputStamp {
  /** Absolute artifact directory. */
  readonly dir: string;
  readonly key: string;
  readonly files: readonly { readonly path: string; readonly size: number; readonly mtimeMs: number }[];
}

interface JobRecord {
  readonly format: 1;
  readonly id: string;
  readonly key: string;
  readonly parts: KeyParts;
  /** Recent keys, newest first; entries for keys that fall off are deleted. */
  readonly history: readonly string[];
  readonly output?: OutputStamp;
}

export type Lookup =
  /** A hit: `upToDate` when outDir already holds it (then `files` is empty and nothing was read), else the verified files. */
  | { readonly hit: true; readonly files: readonly ArtifactFile[]; readonly upToDate: boolean }
  | { readonly hit: false; readonly reason: MissReason; readonly detail?: string };

const HISTORY = 3;

/** Models up to this size are scanned for the external data files they name (larger ones keep their data inline). */
const SCAN_LIMIT = 256 * 1024 * 1024;
/** model sha256 -> the external data locations it names. */
const locationsMemo = new Map<string, readonly string[]>();

async function externalFilesOf(modelPath: string, modelHash: string): Promise<string[]> {
  let locations = locationsMemo.get(modelHash);
  if (!locations) {
    locations = (await stat(modelPath)).size <= SCAN_LIMIT ? externalDataLocations(new Uint8Array(await readFile(modelPath))) : [];
    locationsMemo.set(modelHash, locations);
  }
  const dir = path.dirname(modelPath);
  return locations.map((l) => path.join(dir, path.normalize(l))).filter((p) => p.startsWith(dir + path.sep) && existsSync(p));
}

/**
 * The hash of the model's input bytes (model + the external data files it names or that sit next to it + files
 * bound to graph inputs), and which files those were.
 */
export async function hashModelInputs(job: Pick<PlannedJob, 'modelPath' | 'dataCandidates' | 'bind'>): Promise<{ hash: string; inputs: string[] }> {
  const modelHash = await hashFile(job.modelPath);
  const data = [...new Set([...job.dataCandidates.filter((p) => existsSync(p)), ...(await externalFilesOf(job.modelPath, modelHash))])];
  const parts: string[] = [`${path.basename(job.modelPath)}\0${modelHash}`];
  for (const f of data) parts.push(`${path.relative(path.dirname(job.modelPath), f)}\0${await hashFile(f)}`);
  for (const b of job.bind ?? []) parts.push(`bind:${b.name}\0${await hashFile(b.path)}`);
  return { hash: sha256(parts.join('\n')), inputs: [job.modelPath, ...data, ...(job.bind ?? []).map((b) => b.path)] };
}

export async function computeCacheKey(job: PlannedJob, env: { toolchains: ToolchainVersions; compiler: string }): Promise<CacheKey> {
  const { hash: model, inputs } = await hashModelInputs(job);
  const bind = job.bind?.map((b) => [b.name, b.source]);
  const config = sha256(stableStringify({ id: job.id, model: job.model, modelSource: job.modelSource, target: job.target, pipeline: job.pipeline, bind }));
  const toolchain = sha256(stableStringify(toolchainsFor(job.target.kind, env.toolchains)));
  const compiler = sha256(env.compiler);
  const parts: KeyParts = { model, config, toolchain, compiler };
  return { key: sha256(stableStringify(parts)), parts, inputs };
}

export class BuildCache {
  constructor(readonly dir: string) {}

  /** Removes half-written entries and records of builds that were killed. */
  async cleanStale(): Promise<void> {
    await removeDeadTemps(path.join(this.dir, 'entries'), ['.tmp-']);
  }

  private entryDir(key: string): string {
    return path.join(this.dir, 'entries', key);
  }

  private recordPath(job: Pick<PlannedJob, 'model' | 'target'>): string {
    return path.join(this.dir, 'jobs', job.model, `${job.target.name}.json`);
  }

  private async readRecord(job: Pick<PlannedJob, 'model' | 'target'>): Promise<JobRecord | undefined> {
    try {
      const r = JSON.parse(await readFile(this.recordPath(job), 'utf8')) as JobRecord;
      return r && r.format === 1 && typeof r.key === 'string' ? r : undefined;
    } catch {
      return undefined;
    }
  }

  /** Says whether the job can be served from the cache, and if not, why. */
  async lookup(job: PlannedJob, key: CacheKey, opts: { force?: boolean; artifactDir?: string } = {}): Promise<Lookup> {
    if (opts.force) return { hit: false, reason: 'forced' };
    const record = await this.readRecord(job);
    const dir = this.entryDir(key.key);
    let index: EntryIndex | undefined;
    try {
      index = JSON.parse(await readFile(path.join(dir, 'index.json'), 'utf8')) as EntryIndex;
    } catch (e) {
      if (existsSync(dir)) {
        await rm(dir, { recursive: true, force: true });
        return { hit: false, reason: 'corrupt entry', detail: `index.json unreadable: ${(e as Error).message}` };
      }
    }
    if (index) {
      if (index.key !== key.key || index.id !== job.id || !Array.isArray(index.files)) {
        await rm(dir, { recursive: true, force: true });
        return { hit: false, reason: 'corrupt entry', detail: 'index.json does not describe this entry' };
      }
      // The artifact in outDir is what this entry holds (same key, unchanged since we wrote it): nothing to read.
      const upToDate = opts.artifactDir !== undefined && record?.output !== undefined && record.output.key === key.key
        && record.output.dir === opts.artifactDir && (await stampMatches(record.output));
      if (upToDate) return { hit: true, files: [], upToDate };
      // Reading the entry: every file is checked against its sha256.
      const files: ArtifactFile[] = [];
      for (const f of index.files) {
        let data: Uint8Array;
        try {
          data = new Uint8Array(await readFile(path.join(dir, 'files', f.path)));
        } catch {
          await rm(dir, { recursive: true, force: true });
          return { hit: false, reason: 'corrupt entry', detail: `${f.path} is missing` };
        }
        if (data.byteLength !== f.bytes || sha256(data) !== f.sha256) {
          await rm(dir, { recursive: true, force: true });
          return { hit: false, reason: 'corrupt entry', detail: `${f.path} does not match its sha256` };
        }
        files.push({ path: f.path, data });
      }
      return { hit: true, files, upToDate };
    }
    if (!record) return { hit: false, reason: 'no cache entry' };
    const p = record.parts;
    if (p.model !== key.parts.model) return { hit: false, reason: 'model changed' };
    if (p.config !== key.parts.config) return { hit: false, reason: 'config changed' };
    if (p.toolchain !== key.parts.toolchain) return { hit: false, reason: 'toolchain changed' };
    if (p.compiler !== key.parts.compiler) return { hit: false, reason: 'compiler changed' };
    return { hit: false, reason: 'no cache entry' };
  }

  /** Stores a built artifact under its key (atomically) and makes it the job's current entry. */
  async store(job: PlannedJob, key: CacheKey, files: readonly ArtifactFile[]): Promise<void> {
    const final = this.entryDir(key.key);
    if (!existsSync(path.join(final, 'index.json'))) {
      const tmp = path.join(this.dir, 'entries', `.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
      try {
        const recs: CacheFileRecord[] = [];
        for (const f of files) {
          const p = path.join(tmp, 'files', f.path);
          await mkdir(path.dirname(p), { recursive: true });
          await writeFile(p, f.data);
          recs.push({ path: f.path, sha256: sha256(f.data), bytes: f.data.byteLength });
        }
        const index: EntryIndex = { format: 1, key: key.key, id: job.id, parts: key.parts, files: recs };
        await mkdir(tmp, { recursive: true });
        await writeFile(path.join(tmp, 'index.json'), JSON.stringify(index, null, 1));
        await rm(final, { recursive: true, force: true });
        await rename(tmp, final);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    }
    await this.updateRecord(job, key, undefined);
  }

  /** Records what is now at the artifact's final path (so the next hit can skip rewriting it). */
  async markWritten(job: PlannedJob, key: CacheKey, artifactDir: string): Promise<void> {
    const files = await listFiles(artifactDir);
    const stampFiles = [];
    for (const f of files) {
      const s = await stat(path.join(artifactDir, f));
      stampFiles.push({ path: f, size: s.size, mtimeMs: s.mtimeMs });
    }
    await this.updateRecord(job, key, { dir: artifactDir, key: key.key, files: stampFiles });
  }

  private async updateRecord(job: PlannedJob, key: CacheKey, output: OutputStamp | undefined): Promise<void> {
    const old = await this.readRecord(job);
    const history = [key.key, ...(old?.history ?? []).filter((k) => k !== key.key)];
    const keep = history.slice(0, HISTORY);
    for (const dropped of history.slice(HISTORY)) await rm(this.entryDir(dropped), { recursive: true, force: true });
    const keepOutput = output ?? (old?.output && old.output.key === key.key ? old.output : undefined);
    const rec: JobRecord = { format: 1, id: job.id, key: key.key, parts: key.parts, history: keep, ...(keepOutput ? { output: keepOutput } : {}) };
    const p = this.recordPath(job);
    await mkdir(path.dirname(p), { recursive: true });
    const tmp = `${p}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify(rec, null, 1));
    await rename(tmp, p);
  }
}

async function stampMatches(out: OutputStamp): Promise<boolean> {
  const artifactDir = out.dir;
  try {
    const files = await listFiles(artifactDir);
    if (files.length !== out.files.length) return false;
    const byPath = new Map(out.files.map((f) => [f.path, f]));
    for (const f of files) {
      const want = byPath.get(f);
      if (!want) return false;
      const s = await stat(path.join(artifactDir, f));
      if (s.size !== want.size || s.mtimeMs !== want.mtimeMs) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** Relative paths (with '/') of all files under dir, sorted. */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string, rel: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(d, e.name), r);
      else out.push(r);
    }
  };
  await walk(dir, '');
  return out.sort();
}
