/** What the real-model e2e tests share: running the CLI from dist/, reading TensorProto files, comparing outputs. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { decodeTensorProto } from '../../src/formats/tensor-proto.js';
import { toNumbers, type HostTensor } from '../../src/formats/tensor.js';
import { REPO } from '../shared-dir.js';

const CLI = join(REPO, 'bin/relax.js');
/** The environment the CLI runs with (Dawn's GL backend needs EGL_PLATFORM on headless machines). */
export const env = { ...process.env, EGL_PLATFORM: 'surfaceless' };
process.env.EGL_PLATFORM ??= 'surfaceless';

/** `node bin/relax.js ...` to completion (15 min at most), with its output and wall time. */
export function relax(args: string[], cwd: string) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: 900_000, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, log: r.stdout + r.stderr, ms: performance.now() - t0 };
}

export const readPb = (f: string): HostTensor => decodeTensorProto(readFileSync(f)).tensor;

/**
 * |a − e| ≤ atol + rtol·|e| elementwise (NaN fails), shapes equal, and the reference is not all zeros. With
 * `scaleAware`, also the largest error at most rtol × the largest |e| (outputs far below atol, such as
 * mobilenet_v2's ~1e-9 random-weight ones, are then really checked).
 */
export function expectClose(
  a: HostTensor, e: { shape: readonly number[]; values: ArrayLike<number> },
  { rtol = 1e-3, atol = 1e-4, scaleAware = false }: { rtol?: number; atol?: number; scaleAware?: boolean } = {},
): void {
  expect(a.shape).toEqual([...e.shape]);
  const x = toNumbers(a), y = e.values;
  expect(x.length).toBe(y.length);
  let bad = 0, maxErr = 0, maxRef = 0;
  for (let i = 0; i < y.length; i++) {
    const d = Math.abs(x[i]! - y[i]!);
    if (!(d <= atol + rtol * Math.abs(y[i]!))) bad++;
    maxErr = Math.max(maxErr, Number.isNaN(d) ? Infinity : d);
    maxRef = Math.max(maxRef, Math.abs(y[i]!));
  }
  expect(bad, `${bad} of ${y.length} elements off (max error ${maxErr})`).toBe(0);
  expect(maxRef).toBeGreaterThan(0);
  if (scaleAware) expect(maxErr, `max error ${maxErr} vs max |expected| ${maxRef}`).toBeLessThanOrEqual(rtol * maxRef);
}
