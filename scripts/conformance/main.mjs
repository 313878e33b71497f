/**
 * The conformance runner: suite → one relax config → `relax build --json` → `relax run --batch` → compare →
 * report. Everything goes through the public CLI; dist/ is used only to read models and TensorProto files.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildAll, runAll } from './cli.mjs';
import { compareTensors } from './compare.mjs';
import { distModule } from './dist.mjs';
import { formatMarkdown, formatText, jsonReport, pct, summarize } from './report.mjs';
import { readSuite } from './suite.mjs';

/**
 * Build-time diagnostics that mean relax itself broke (a crash, or code it generated that does not compile):
 * failures, not rejections. Every other RLX_* diagnostic at build time is a rejection.
 */
export const CRASH_CODES = new Set(['RLX_INTERNAL', 'RLX_WORKER_CRASHED', 'RLX_IR_MALFORMED', 'RLX_TOOLCHAIN_FAILED', 'RLX_WGSL_INVALID']);

/**
 * @param {{ target: string, suite: string, filters: string[], jobs: number, workDir: string, timeoutMs: number,
 *   buildOnly?: boolean, runOnly?: boolean, log?: (s: string) => void }} opts
 */
export async function runConformance(opts) {
  const log = opts.log ?? (() => {});
  const [{ loadOnnx }, { CONVERTERS }, tp, tensor, version] = await Promise.all([
    distModule('compiler/frontend/onnx/load.js'),
    distModule('compiler/frontend/onnx/converters/index.js'),
    distModule('formats/tensor-proto.js'),
    distModule('formats/tensor.js'),
    distModule('version.js'),
  ]);
  const tests = readSuite(opts.suite, opts.filters, { loadOnnx, CONVERTERS });
  if (tests.length === 0) throw new Error(`no test in ${opts.suite} matches ${opts.filters.length ? opts.filters.join(' ') : '(all)'}`);
  const env = { ...process.env, EGL_PLATFORM: process.env.EGL_PLATFORM ?? 'surfaceless' };

  mkdirSync(opts.workDir, { recursive: true });
  const outRoot = path.join(opts.workDir, 'out');
  rmSync(outRoot, { recursive: true, force: true });
  const configFile = path.join(opts.workDir, 'relax.config.json');
  const models = {};
  for (const t of tests) models[t.test] = Object.keys(t.bind).length > 0 ? { source: t.model, bind: t.bind } : t.model;
  writeFileSync(configFile, `${JSON.stringify({ outDir: 'dist', cacheDir: 'cache', targets: [opts.target], models }, null, 2)}\n`);

  /** @type {Map<string, import('./report.mjs').TestResult>} */
  const results = new Map();
  const base = (t) => ({ test: t.test, op: t.op, ...(t.opset !== undefined ? { opset: t.opset } : {}), bound: Object.keys(t.bind) });
  const fail = (t, stage, code, message) => results.set(t.test, { ...base(t), status: 'fail', stage, ...(code ? { code } : {}), message });

  const buildFile = path.join(opts.workDir, 'build.json');
  const t0 = performance.now();
  let built;
  if (opts.runOnly) {
    // Artifacts built earlier (maybe on another machine) into this work folder: dirs are relative to it.
    let saved;
    try {
      saved = JSON.parse(readFileSync(buildFile, 'utf8'));
    } catch {
      throw new Error(`--run-only needs ${buildFile} from an earlier run with this --work folder`);
    }
    if (saved.target !== opts.target) throw new Error(`${buildFile} was built for ${saved.target}, not ${opts.target}`);
    built = new Map(Object.entries(saved.results).map(([k, v]) => [k, v.ok ? { ...v, dir: path.resolve(opts.workDir, v.dir) } : v]));
    log(`running the artifacts built earlier in ${opts.workDir}`);
  } else {
    log(`building ${tests.length} tests for ${opts.target} (relax build --json --jobs ${opts.jobs}) in ${opts.workDir}`);
    built = await buildAll(configFile, { jobs: opts.jobs, env });
    const saved = Object.fromEntries([...built].map(([k, v]) => [k, v.ok ? { ...v, dir: path.relative(opts.workDir, v.dir) } : v]));
    writeFileSync(buildFile, `${JSON.stringify({ target: opts.target, results: saved }, null, 1)}\n`);
  }
  const buildMs = Math.round(performance.now() - t0);

  const sets = [];
  for (const t of tests) {
    const b = built.get(t.test);
    if (!b) { fail(t, 'build', 'NOT_BUILT', 'relax build reported neither job-done nor job-error for this test'); continue; }
    if (!b.ok) {
      if (CRASH_CODES.has(b.code)) fail(t, 'build', b.code, b.message);
      else results.set(t.test, { ...base(t), status: 'rejected', stage: 'build', code: b.code, message: b.message });
      continue;
    }
    let manifest;
    try {
      manifest = JSON.parse(readFileSync(path.join(b.dir, 'manifest.json'), 'utf8'));
    } catch (e) {
      fail(t, 'build', 'NO_MANIFEST', `built, but ${b.dir}/manifest.json is unreadable`);
      continue;
    }
    if (manifest.inputs.length !== t.runInputs.length) {
      fail(t, 'run', 'INPUTS', `the artifact has ${manifest.inputs.length} input(s), the test feeds ${t.runInputs.length}`);
      continue;
    }
    const missing = t.runInputs.find((x) => !x.file);
    if (missing) { fail(t, 'run', 'NO_DATA', `no data file for input '${missing.name}'`); continue; }
    const inputs = {};
    manifest.inputs.forEach((m, i) => { inputs[m.name] = t.runInputs[i].file; });
    sets.push({ test: t, dir: b.dir, inputs, out: path.join(outRoot, t.test) });
  }
  const ok = tests.filter((t) => built.get(t.test)?.ok).length;
  log(`built ${ok} of ${tests.length} in ${(buildMs / 1000).toFixed(1)} s; running ${sets.length} (relax run --batch, ${opts.jobs} process(es))`);

  const t1 = performance.now();
  if (opts.buildOnly) for (const set of sets) fail(set.test, 'run', 'NOT_RUN', 'not run (--build-only)');
  else await runAll(sets, {
    slots: opts.jobs, env, workDir: opts.workDir, timeoutMs: opts.timeoutMs,
    onResult(set, r) {
      const t = set.test;
      if (!r.ok) { fail(t, 'run', r.code, r.message); return; }
      if (r.outputs.length !== t.outputs.length) {
        fail(t, 'compare', 'OUTPUTS', `${r.outputs.length} output(s), expected ${t.outputs.length}`);
        return;
      }
      for (let j = 0; j < t.outputs.length; j++) {
        let expected, actual;
        try {
          expected = tp.decodeTensorProto(new Uint8Array(readFileSync(t.outputs[j]))).tensor;
        } catch (e) {
          fail(t, 'compare', 'EXPECTED', `cannot read expected output ${j} as a TensorProto: ${e.message}`);
          return;
        }
        try {
          actual = tp.decodeTensorProto(new Uint8Array(readFileSync(r.outputs[j].file))).tensor;
        } catch (e) {
          fail(t, 'compare', 'OUTPUT', `cannot read output ${j} written by relax run: ${e.message}`);
          return;
        }
        const err = compareTensors(actual, expected, tensor.toNumbers);
        if (err) {
          fail(t, 'compare', 'MISMATCH', `output ${j} (${r.outputs[j].name}): ${err}`);
          return;
        }
      }
      results.set(t.test, { ...base(t), status: 'pass' });
    },
  });
  const runMs = Math.round(performance.now() - t1);
  log(`ran ${sets.length} in ${(runMs / 1000).toFixed(1)} s`);

  const ordered = tests.map((t) => results.get(t.test) ?? { ...base(t), status: 'fail', stage: 'run', code: 'NO_RESULT', message: 'no result' });
  const summary = summarize(ordered);
  const meta = {
    target: opts.target,
    suite: opts.suite,
    version: version.VERSION,
    date: new Date().toISOString(),
    jobs: opts.jobs,
    buildMs, runMs,
  };
  return { results: ordered, summary, meta };
}

export { formatMarkdown, formatText, jsonReport, pct };
