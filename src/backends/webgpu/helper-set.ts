/**
 * Which WGSL helper functions a module needs: every `rlx_<name>(` call in the generated code pulls in that helper
 * (and, transitively, the helpers it calls), from the general helpers (./wgsl-helpers.ts), the 64-bit integer
 * emulation (./wgsl-int64.ts) and the 16-bit float emulation (./wgsl-float16.ts). WGSL module-scope
 * declarations may come in any order.
 */
import { WGSL_FLOAT16_HELPERS } from './wgsl-float16.js';
import { WGSL_HELPERS } from './wgsl-helpers.js';
import { WGSL_INT64_HELPERS } from './wgsl-int64.js';

export const ALL_WGSL_HELPERS: Readonly<Record<string, string>> = { ...WGSL_HELPERS, ...WGSL_INT64_HELPERS, ...WGSL_FLOAT16_HELPERS };

const CALL = /\b(rlx_[A-Za-z0-9_]+)\(/g;

/** Names of the helpers `code` calls, with the helpers they call, sorted. */
export function helpersUsedBy(code: string): string[] {
  const found = new Set<string>();
  const scan = (text: string): void => {
    for (const m of text.matchAll(CALL)) {
      const name = m[1]!;
      if (found.has(name) || ALL_WGSL_HELPERS[name] === undefined) continue;
      found.add(name);
      scan(ALL_WGSL_HELPERS[name]!);
    }
  };
  scan(code);
  return [...found].sort();
}
