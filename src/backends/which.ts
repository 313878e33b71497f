/** PATH lookup of executables (no child_process: the scheduler's no-op path uses it to stamp toolchains). */
import { delimiter, isAbsolute, join } from 'node:path';
import { fs } from '../builtins.js';

const { accessSync, constants, statSync } = fs;

/** Absolute path of an executable found on PATH (or in `extraDirs`), or null. */
export function findExecutable(name: string, extraDirs: readonly string[] = []): string | null {
  const candidates = isAbsolute(name) ? [name]
    : [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), ...extraDirs].map((d) => join(d, name));
  for (const c of candidates) {
    // Most PATH entries do not hold the tool: a stat that does not throw rules those out cheaply.
    if (!statSync(c, { throwIfNoEntry: false })) continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch { /* keep looking */ }
  }
  return null;
}
