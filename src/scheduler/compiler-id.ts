/**
 * The compiler's identity for cache keys: not just the package version but a hash of relax's own code (every
 * .js/.ts file under dist/ or src/, whichever this module runs from), so editing or rebuilding relax invalidates
 * artifacts. Computed once per process; across processes it is memoised in `<cacheDir>/compiler.json` keyed by
 * the files' paths, sizes and mtimes, so a no-op build stats the files but reads none of them.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJson, writeJsonAtomic } from './stamp.js';
import { compilerVersion } from './toolchains.js';

interface Memo {
  readonly stamp: string;
  readonly id: string;
}

/** The code root: dist/ (or src/ under tests). */
export function codeRoot(): string {
  return path.dirname(path.dirname(fileURLToPath(import.meta.url)));
}

function codeFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(m?js|ts|json|wgsl)$/.test(e.name) && !e.name.endsWith('.d.ts') && !e.name.endsWith('.map')) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

let memo: Promise<string> | undefined;

/** `relax@<version>+<sha256 prefix of the code>`. */
export function compilerIdentity(memoFile?: string): Promise<string> {
  memo ??= (async () => {
    const root = codeRoot();
    const files = codeFiles(root);
    const stats = files.map((f) => {
      const s = statSync(f);
      return `${path.relative(root, f)}:${s.size}:${s.mtimeMs}`;
    });
    const stamp = createHash('sha256').update(`${compilerVersion()}\n${stats.join('\n')}`).digest('hex');
    const saved = memoFile ? await readJson<Memo>(memoFile) : undefined;
    if (saved && saved.stamp === stamp && typeof saved.id === 'string') return saved.id;
    const h = createHash('sha256');
    for (const f of files) h.update(`${path.relative(root, f)}\0`).update(readFileSync(f)).update('\0');
    const id = `relax@${compilerVersion()}+${h.digest('hex').slice(0, 16)}`;
    if (memoFile) await writeJsonAtomic(memoFile, { stamp, id } satisfies Memo).catch(() => undefined);
    return id;
  })();
  return memo;
}

/** For tests. */
export function resetCompilerIdentity(): void {
  memo = undefined;
}
