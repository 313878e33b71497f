/**
 * The files a config depends on: the config itself plus every local module it imports, transitively (relative
 * `import`/`export ... from`/`import()`/`require()` specifiers, resolved with the usual extensions). Watch mode
 * watches them; the plan snapshot is valid only while none of them changed. Package imports are not followed.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])(\.{1,2}\/[^'"]+)\1/g;
const EXTS = ['', '.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '/index.ts', '/index.js'];

function resolveLocal(from: string, spec: string): string | undefined {
  const base = path.resolve(path.dirname(from), spec);
  const candidates = [...EXTS.map((e) => base + e)];
  // TypeScript-style `./x.js` that is really `./x.ts`.
  const m = /\.(m|c)?js$/.exec(base);
  if (m) candidates.push(base.slice(0, -m[0].length) + `.${m[1] ?? ''}ts`);
  for (const c of candidates) {
    try {
      if (statSync(c, { throwIfNoEntry: false })?.isFile()) return c;
    } catch { /* next */ }
  }
  return undefined;
}

/** The config file and the local files it imports (absolute paths, config first, then sorted). */
export function configDependencies(configFile: string): string[] {
  const seen = new Set<string>();
  const visit = (f: string): void => {
    if (seen.has(f) || seen.size > 200) return;
    seen.add(f);
    if (f.endsWith('.json') || !existsSync(f)) return;
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      return;
    }
    for (const m of text.matchAll(SPECIFIER)) {
      const dep = resolveLocal(f, m[2]!);
      if (dep) visit(dep);
    }
  };
  visit(configFile);
  const [first, ...rest] = [...seen];
  return [first!, ...rest.sort()];
}
