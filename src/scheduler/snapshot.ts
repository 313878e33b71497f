/**
 * The plan snapshot: what loading and planning the config produced (plain data: resolved targets, pipelines,
 * config hashes), saved after a full load and reused while the config file, the local files it imports and relax
 * itself are unchanged (by stat stamp). It lets a no-op build skip evaluating the config (jiti, zod, the
 * pipeline registry) entirely. Configs are assumed to be a function of their files: a config that reads
 * environment variables or other files at load time should be rebuilt with --force when those change.
 *
 * Stored at `<dir of the config>/node_modules/.cache/relax/plans/<config file name>[+<filters>].json` (or under
 * `--cache-dir`); the file holds the exact request (cwd, config, filters) and is used only for that request. The config is discovered here the cheap way (the same search places as config/load.ts,
 * package.json#relax first, up to the nearest package.json); a different answer from the real loader only means
 * the snapshot is not found.
 */
import path from 'node:path';
import type { PlannedJob } from './plan.js';
import { isFile, readJson, statStamp, writeJsonAtomic } from './stamp.js';
import { fs } from '../builtins.js';

const { readFileSync } = fs;

const CONFIG_FILES = ['relax.config.ts', 'relax.config.mts', 'relax.config.js', 'relax.config.mjs', 'relax.config.cjs', 'relax.config.json'];

export interface SnapshotConfig {
  readonly file?: string;
  readonly outDir: string;
  readonly cacheDir: string;
  readonly cacheMaxBytes: number;
}

export interface PlanSnapshot {
  readonly format: 2;
  readonly relax: string;
  readonly cwd: string;
  readonly request: string;
  readonly deps: Readonly<Record<string, string | null>>;
  readonly config: SnapshotConfig;
  readonly jobs: readonly PlannedJob[];
}

/** The config file the loader would find (cheaply), or undefined. */
export function discoverConfig(cwd: string, explicit?: string): string | undefined {
  if (explicit) return path.resolve(cwd, explicit);
  let dir = path.resolve(cwd);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    const hasPkg = isFile(pkg);
    if (hasPkg) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { relax?: unknown }).relax !== undefined) return pkg;
      } catch { /* not ours to judge */ }
    }
    for (const f of CONFIG_FILES) if (isFile(path.join(dir, f))) return path.join(dir, f);
    const up = path.dirname(dir);
    if (hasPkg || up === dir) return undefined;
    dir = up;
  }
}

export interface SnapshotRequest {
  readonly cwd: string;
  readonly config?: string;
  readonly filter?: readonly string[];
  readonly cacheDir?: string;
}

function requestId(req: SnapshotRequest, configFile: string): string {
  return JSON.stringify([path.resolve(req.cwd), configFile, [...(req.filter ?? [])]]);
}

/**
 * A readable file name for the request (no hashing: a no-op build loads no crypto). Two requests that map to the
 * same name (other cwd, filters that differ only in punctuation) take turns: the one found is checked against the
 * request it holds.
 */
export function snapshotFile(req: SnapshotRequest, configFile: string): string {
  const base = req.cacheDir ? path.resolve(req.cwd, req.cacheDir) : path.join(path.dirname(configFile), 'node_modules', '.cache', 'relax');
  const filter = (req.filter ?? []).join('+').replace(/[^A-Za-z0-9._+-]+/g, '_').slice(0, 80);
  return path.join(base, 'plans', `${path.basename(configFile)}${filter ? `+${filter}` : ''}.json`);
}

/** The snapshot for this request (whose config discovery found `file`) when it is still valid, else undefined. */
export function readSnapshot(req: SnapshotRequest, file: string | undefined, relax: string): PlanSnapshot | undefined {
  if (!file) return undefined;
  const snap = readJson<PlanSnapshot>(snapshotFile(req, file));
  if (!snap || snap.format !== 2 || snap.relax !== relax || snap.request !== requestId(req, file) || snap.config.file !== file) return undefined;
  for (const [p, stamp] of Object.entries(snap.deps)) if (statStamp(p) !== stamp) return undefined;
  return snap;
}

/** Stamps of the config's files, taken before it is loaded (so an edit during the load invalidates the snapshot). */
export function stampDeps(deps: readonly string[]): Record<string, string | null> {
  return Object.fromEntries(deps.map((d) => [d, statStamp(d)]));
}

export async function writeSnapshot(req: SnapshotRequest, relax: string, config: SnapshotConfig, deps: Readonly<Record<string, string | null>>, jobs: readonly PlannedJob[]): Promise<void> {
  if (!config.file) return;
  const snap: PlanSnapshot = {
    format: 2,
    relax,
    cwd: path.resolve(req.cwd),
    request: requestId(req, config.file),
    deps,
    config,
    jobs,
  };
  await writeJsonAtomic(snapshotFile(req, config.file), snap).catch(() => undefined);
}
