/** Turns zod issues into (key path, message) pairs a person can act on: one problem per line, unions untangled. */
import type { z } from 'zod';

export interface ConfigProblem {
  /** `models.bert.targets[1].kind`; empty for the config as a whole. */
  readonly keyPath: string;
  readonly message: string;
}

type Issue = z.core.$ZodIssue;
type PathSeg = PropertyKey;

const CONFIG_KEYS = ['outDir', 'cacheDir', 'models', 'targets', 'pipeline'];
const MODEL_KEYS = ['source', 'targets', 'pipeline', 'bind'];
const TARGET_KEYS = ['kind', 'tag', 'name', 'arch', 'maxThreadsPerBlock', 'maxSharedMemoryBytes', 'warpSize', 'shaderF16', 'maxStorageBuffersPerStage', 'pipeline'];

export function formatKeyPath(path: readonly PathSeg[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else {
      const key = String(seg);
      s += /^[A-Za-z_$][\w$]*$/.test(key) ? (s ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
    }
  }
  return s;
}

export function problemsFromIssues(issues: readonly Issue[]): ConfigProblem[] {
  const out: { path: PathSeg[]; message: string }[] = [];
  for (const iss of issues) collect(iss, [], out);
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  for (const p of out) {
    const problem = { keyPath: formatKeyPath(p.path), message: p.message };
    const k = `${problem.keyPath}\0${problem.message}`;
    if (!seen.has(k)) {
      seen.add(k);
      problems.push(problem);
    }
  }
  return problems;
}

function collect(iss: Issue, base: PathSeg[], out: { path: PathSeg[]; message: string }[]): void {
  const path = [...base, ...(iss.path as PathSeg[])];
  if (iss.code === 'invalid_union' && 'errors' in iss && Array.isArray(iss.errors) && iss.errors.length > 0) {
    const branches = iss.errors as Issue[][];
    // A branch whose only complaint is "wrong type here" did not match the input's shape: the other branch is
    // the one the user meant. When every branch is a type mismatch, the last (object) branch has the message.
    const meant = branches.filter((b) => !b.every((i) => i.code === 'invalid_type' && i.path.length === 0));
    const pick = meant.length === 0
      ? branches[branches.length - 1]!
      : meant.reduce((best, b) => (depth(b) > depth(best) ? b : best));
    for (const i of pick) collect(i, path, out);
    return;
  }
  if (iss.code === 'unrecognized_keys') {
    const expected = expectedKeys(path);
    for (const key of iss.keys) {
      const hint = expected ? ` (expected one of: ${expected.join(', ')}${suggest(key, expected)})` : '';
      out.push({ path: [...path, key], message: `unknown key ${JSON.stringify(key)}${hint}` });
    }
    return;
  }
  out.push({ path, message: iss.message });
}

function depth(b: readonly Issue[]): number {
  return Math.max(...b.map((i) => i.path.length + (i.code === 'invalid_type' ? 0 : 0.5)));
}

function expectedKeys(path: readonly PathSeg[]): string[] | undefined {
  if (path.length === 0) return CONFIG_KEYS;
  if (path.length === 2 && path[0] === 'models') return MODEL_KEYS;
  if (typeof path[path.length - 1] === 'number' && path[path.length - 2] === 'targets') return TARGET_KEYS;
  return undefined;
}

function suggest(key: string, expected: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const e of expected) {
    const d = editDistance(key.toLowerCase(), e.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = e;
    }
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(best.length / 3)) ? `; did you mean ${JSON.stringify(best)}?` : '';
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
