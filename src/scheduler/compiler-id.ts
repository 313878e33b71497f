/**
 * The compiler's identity for cache keys: not just the package version but a hash of relax's own code (every
 * .js/.ts file under dist/ or src/, whichever this module runs from), so editing or rebuilding relax invalidates
 * artifacts. Computed once per process; across processes it is memoised in `<cacheDir>/compiler.json` keyed by
 * the files' paths, sizes and mtimes (kept as text, not hashed), so a no-op build stats the files but reads and
 * hashes none of them.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VERSION } from '../version.js';
import { readJson, writeJsonAtomic } from './stamp.js';
import { crypto, fs } from '../builtins.js';

const { readdirSync, readFileSync, statSync } = fs;

interface Memo {
  readonly stamp: string;
  readonly id: string;
}

/** The code root: dist/ (or src/ under tests). */
export function codeRoot(): string {
  return path.dirname(path.dirname(fileURLToPath(import.meta.url)));
}

/** Code files under root, as paths relative to it with '/' (sorted). */
function codeFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(dir, e.name), r);
      else if (/\.(m?js|ts|json|wgsl)$/.test(e.name) && !e.name.endsWith('.d.ts')) out.push(r);
    }
  };
  walk(root, '');
  return out.sort();
}

let memo: Promise<string> | undefined;

/** `relax@<version>+<sha256 prefix of the code>`. */
export function compilerIdentity(memoFile?: string): Promise<string> {
  memo ??= (async () => {
    const root = codeRoot();
    const files = codeFiles(root);
    const stats = files.map((f) => {
      const s = statSync(path.join(root, f));
      return `${f}:${s.size}:${s.mtimeMs}`;
    });
    const stamp = `${VERSION}\n${stats.join('\n')}`;
    const saved = memoFile ? readJson<Memo>(memoFile) : undefined;
    if (saved && saved.stamp === stamp && typeof saved.id === 'string') return saved.id;
    const h = crypto().createHash('sha256');
    for (const f of files) h.update(`${f}\0`).update(readFileSync(path.join(root, f))).update('\0');
    const id = `relax@${VERSION}+${h.digest('hex').slice(0, 16)}`;
    if (memoFile) await writeJsonAtomic(memoFile, { stamp, id } satisfies Memo).catch(() => undefined);
    return id;
  })();
  return memo;
}

/** For tests. */
export function resetCompilerIdentity(): void {
  memo = undefined;
}
