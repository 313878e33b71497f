/**
 * Whether a bundle made by scripts/bundle.mjs still matches the compiled modules it was made from. Its manifest
 * lists each module (path relative to dist/) with size, mtime and sha256. A module whose size and mtime match is
 * taken as unchanged; one whose mtime differs (a copy through tar or `npm pack`, which do not keep it to the
 * millisecond) is compared by its sha256. A missing manifest, bundle or module means "not current": the caller
 * then loads the plain modules, which are slower to load but never stale.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fs } from './builtins.js';
import { sha256 } from './scheduler/hash.js';
import { readJson } from './scheduler/stamp.js';

interface Manifest {
  readonly inputs?: readonly { readonly path: string; readonly size: number; readonly mtimeMs: number; readonly sha256?: string }[];
}

/** `root`: the folder the manifest's paths are relative to (dist/). */
export function bundleIsCurrent(bundle: string, manifestFile: string, root: string): boolean {
  const manifest = readJson<Manifest>(manifestFile);
  if (!manifest?.inputs?.length || !fs.existsSync(bundle)) return false;
  for (const i of manifest.inputs) {
    const file = path.join(root, i.path);
    const s = fs.statSync(file, { throwIfNoEntry: false });
    if (!s || s.size !== i.size) return false;
    if (s.mtimeMs === i.mtimeMs) continue;
    if (!i.sha256 || sha256(fs.readFileSync(file)) !== i.sha256) return false;
  }
  return true;
}

/**
 * The module bin/relax.js loads (`root`: dist/, where this module is when bin/relax.js imports it; the CLI bundle
 * inlines this module elsewhere, but only calls bundleIsCurrent): dist/bundle/cli.js (the CLI in a few files, packages of the config and plan steps
 * inlined) while current, else dist/cli/index.js. Both export `main`.
 */
export function cliEntry(root: string = path.dirname(fileURLToPath(import.meta.url))): string {
  const bundle = path.join(root, 'bundle', 'cli.js');
  return bundleIsCurrent(bundle, path.join(root, 'bundle', 'cli.json'), root) ? bundle : path.join(root, 'cli', 'index.js');
}
