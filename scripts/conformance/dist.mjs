/** The built relax (dist/) and its CLI, which the conformance runner drives. `npm run conformance` builds dist first. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../../bin/relax.js', import.meta.url));

const DIST = new URL('../../dist/', import.meta.url);

/** Imports a module of the built relax; a clear message when dist/ is missing. */
export async function distModule(rel) {
  const url = new URL(rel, DIST);
  if (!existsSync(fileURLToPath(url))) {
    throw new Error(`dist/${rel} is missing: build relax first (npm run build:ts), or use npm run conformance`);
  }
  return import(url.href);
}
