import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildEvent } from '../../src/scheduler/events.js';

export const FIXTURE_WORKER = fileURLToPath(new URL('./fixtures/worker.mjs', import.meta.url));

/** A throwaway project folder: files given as relative path -> contents. */
export function project(files: Record<string, string>): { dir: string; write(rel: string, text: string): void; cleanup(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relax-test-'));
  // A package.json stops config discovery at this folder.
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fixture', private: true }));
  const write = (rel: string, text: string): void => {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, text);
  };
  for (const [rel, text] of Object.entries(files)) write(rel, text);
  return { dir, write, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function collector(): { events: BuildEvent[]; on: (e: BuildEvent) => void; of<T extends BuildEvent['type']>(t: T): Extract<BuildEvent, { type: T }>[] } {
  const events: BuildEvent[] = [];
  return {
    events,
    on: (e) => events.push(e),
    of: (t) => events.filter((e) => e.type === t) as never,
  };
}
