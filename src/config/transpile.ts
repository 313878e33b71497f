/**
 * A quick transpile of config modules for jiti: TypeScript and ES modules to CommonJS with sucrase (~40 ms to
 * load and run, against ~300 ms for jiti's Babel), so a cold build does not spend a third of a second on its
 * config. Sucrase strips types and rewrites imports and exports; it does not rewrite `import.meta` or top-level
 * `await`, so a source that uses either (or that sucrase cannot parse) goes to jiti's own transform instead.
 */
import type { TransformOptions, TransformResult } from 'jiti';
// A static import, so that the CLI bundle (scripts/bundle.mjs) inlines sucrase: this module loads only with the
// config loader, on the path that evaluates a config.
import { transform } from 'sucrase';

/** Sources that need Babel: `import.meta`, or an `await` that may be at the top level. */
const NEEDS_BABEL = /\bimport\s*\.\s*meta\b|\bawait\b/;

/** The CommonJS code of a config module, or undefined to let jiti's own transform handle it. */
export function quickTransform(opts: TransformOptions): TransformResult | undefined {
  if (NEEDS_BABEL.test(opts.source) || opts.jsx) return undefined;
  try {
    const ts = opts.ts ?? /\.[cm]?tsx?$/.test(opts.filename ?? '');
    const { code } = transform(opts.source, {
      transforms: ts ? ['typescript', 'imports'] : ['imports'],
      ...(opts.filename ? { filePath: opts.filename } : {}),
      // Node runs modern syntax as written: only types and module syntax are rewritten.
      disableESTransforms: true,
    });
    return { code };
  } catch {
    return undefined;
  }
}
