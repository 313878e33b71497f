/**
 * Atomic artifact writes. Files go to `<outDir>/.relax-tmp-<pid>-<random>/` first; the finished folder is then
 * renamed to `<outDir>/<model>/<target>`. An existing artifact is first renamed aside (`.relax-old-...`) and
 * removed after the new one is in place, so the final path only ever holds a complete artifact (a killed build
 * leaves at worst a temp folder, cleaned by the next build). Bytes are written as given: no timestamps added.
 */
import path from 'node:path';
import { RelaxError } from '../diagnostics/index.js';
import type { ArtifactFile } from '../compiler/job.js';
import { uniqueSuffix } from './stamp.js';
import { fsp } from '../builtins.js';

const TMP_PREFIX = '.relax-tmp-';
const OLD_PREFIX = '.relax-old-';

export function artifactDir(outDir: string, model: string, target: string): string {
  return path.join(outDir, model, target);
}

/** Artifact file paths must stay inside the artifact folder. */
export function checkArtifactPaths(files: readonly ArtifactFile[], where: { model: string; target: string }): void {
  const seen = new Set<string>();
  for (const f of files) {
    const norm = path.posix.normalize(f.path);
    if (!f.path || path.isAbsolute(f.path) || f.path.includes('\\') || norm.startsWith('../') || norm === '..' || norm === '.' || norm !== f.path) {
      throw new RelaxError('RLX_ARTIFACT_BAD_PATH', `the compiler returned an artifact file with an unsafe path '${f.path}'`, where,
        'This is a bug in relax. Please report it.');
    }
    if (seen.has(norm)) {
      throw new RelaxError('RLX_ARTIFACT_BAD_PATH', `the compiler returned two artifact files named '${f.path}'`, where, 'This is a bug in relax. Please report it.');
    }
    seen.add(norm);
  }
}

/** Writes the artifact atomically; returns the final directory. */
export async function writeArtifact(outDir: string, model: string, target: string, files: readonly ArtifactFile[]): Promise<string> {
  checkArtifactPaths(files, { model, target });
  const final = artifactDir(outDir, model, target);
  const tmp = path.join(outDir, `${TMP_PREFIX}${uniqueSuffix()}`);
  await fsp().mkdir(tmp, { recursive: true });
  try {
    for (const f of files) {
      const p = path.join(tmp, f.path);
      await fsp().mkdir(path.dirname(p), { recursive: true });
      await fsp().writeFile(p, f.data);
    }
    await fsp().mkdir(path.dirname(final), { recursive: true });
    try {
      await fsp().rename(tmp, final);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'EISDIR' && code !== 'ENOTDIR' && code !== 'EPERM') throw e;
      const old = path.join(outDir, `${OLD_PREFIX}${uniqueSuffix()}`);
      await fsp().rename(final, old);
      try {
        await fsp().rename(tmp, final);
      } catch (e2) {
        await fsp().rename(old, final).catch(() => undefined);
        throw e2;
      }
      await fsp().rm(old, { recursive: true, force: true });
    }
  } finally {
    await fsp().rm(tmp, { recursive: true, force: true });
  }
  return final;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temp/old folders left by builds that were killed (their process is gone). */
export function cleanStaleTemps(outDir: string): Promise<string[]> {
  return removeDeadTemps(outDir, [TMP_PREFIX, OLD_PREFIX]);
}

/** Removes entries of `dir` named `<prefix><pid>-...` whose process no longer runs. */
export async function removeDeadTemps(dir: string, prefixes: readonly string[]): Promise<string[]> {
  let names: string[];
  try {
    names = await fsp().readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const n of names) {
    const prefix = prefixes.find((p) => n.startsWith(p));
    if (!prefix) continue;
    const pid = Number(n.slice(prefix.length).split('-')[0]);
    if (Number.isInteger(pid) && pid > 0 && alive(pid)) continue;
    await fsp().rm(path.join(dir, n), { recursive: true, force: true });
    removed.push(n);
  }
  return removed;
}
