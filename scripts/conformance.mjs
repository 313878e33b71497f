#!/usr/bin/env node
/**
 * `npm run conformance -- --target cpu|webgpu|cuda [--suite DIR] [--filter GLOB]... [--jobs N] [--json FILE]
 *  [--md FILE] [--min PCT] [--work DIR] [--timeout S]`
 * Runs a folder of ONNX node tests through the relax CLI and prints a per-op table. Exit 0 when the pass rate
 * is at least --min (default 0), 1 when it is under, 2 for usage errors or when nothing could be built.
 */
import { availableParallelism, tmpdir } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO } from './conformance/dist.mjs';
import { formatMarkdown, formatText, jsonReport, pct, runConformance } from './conformance/main.mjs';

const USAGE = `Usage: npm run conformance -- --target cpu|webgpu|cuda [options]

Builds every test of a suite of ONNX node tests with \`relax build\`, runs them with \`relax run --batch\` and
compares the outputs with the expected ones (|a-e| <= 1e-7 + 1e-3*|e|; ints and bools exact).

Options:
  --target T       the relax target (kind or tag), required
  --suite DIR      suite folder (default ../shared/conformance/onnx-node beside the repo)
  --filter GLOB    keep tests whose name or op matches (repeatable)
  --jobs N         build threads and run processes (default: the number of CPUs)
  --json FILE      write a JSON report
  --md FILE        write a markdown report
  --min PCT        exit 1 when fewer than PCT % of the tests pass
  --max-failed N   exit 1 when more than N tests fail (crash, run error, mismatch); rejections don't count
  --work DIR       build folder, kept between runs for the build cache (default: <tmp>/relax-conformance-<target>)
  --timeout S      seconds one test may run before it counts as hung (default 120)
  --build-only     build and report rejections, run nothing (tests that built count as failed: not run)
  --run-only       run what an earlier run built into --work (e.g. on another machine; build.json there says
                   what was built), with the tests read from --suite
  -h, --help       show this help`;

function usage(msg) {
  process.stderr.write(`conformance: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      target: { type: 'string' }, suite: { type: 'string' }, filter: { type: 'string', multiple: true },
      jobs: { type: 'string' }, json: { type: 'string' }, md: { type: 'string' }, min: { type: 'string' }, 'max-failed': { type: 'string' },
      work: { type: 'string' }, timeout: { type: 'string' },
      'build-only': { type: 'boolean' }, 'run-only': { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
} catch (e) {
  usage(e.message);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (!values.target) usage('--target is required');
if (values['build-only'] && values['run-only']) usage('--build-only and --run-only exclude each other');
const num = (v, flag, { int = false, min = 0 } = {}) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (int && !Number.isInteger(n))) usage(`${flag} expects a ${int ? 'whole ' : ''}number ≥ ${min}, got '${v}'`);
  return n;
};
const jobs = num(values.jobs, '--jobs', { int: true, min: 1 }) ?? availableParallelism();
const minPct = num(values.min, '--min');
const maxFailed = num(values['max-failed'], '--max-failed', { int: true });
if (minPct !== undefined && minPct > 100) usage(`--min is a percentage (0-100), got ${minPct}`);
const timeoutS = num(values.timeout, '--timeout', { min: 1 }) ?? 120;
const suite = path.resolve(values.suite ?? path.join(REPO, '../shared/conformance/onnx-node'));
const workDir = path.resolve(values.work ?? path.join(tmpdir(), `relax-conformance-${values.target.replace(/[^A-Za-z0-9_.-]/g, '_')}`));

let run;
try {
  run = await runConformance({
    target: values.target, suite, filters: values.filter ?? [], jobs, workDir, timeoutMs: timeoutS * 1000,
    buildOnly: values['build-only'] === true, runOnly: values['run-only'] === true,
    log: (s) => process.stderr.write(`conformance: ${s}\n`),
  });
} catch (e) {
  process.stderr.write(`conformance: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
}
const { results, summary, meta } = run;
process.stdout.write(`${formatText(summary, results, meta)}\n`);
const write = (file, text) => {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, text);
  process.stderr.write(`conformance: wrote ${file}\n`);
};
if (values.json) write(values.json, `${JSON.stringify(jsonReport(summary, results, meta), null, 2)}\n`);
if (values.md) write(values.md, formatMarkdown(summary, results, meta));
const rate = pct(summary.totals.passed, summary.totals.tests);
const exact = summary.totals.tests === 0 ? 0 : (100 * summary.totals.passed) / summary.totals.tests;
if (minPct !== undefined && exact < minPct) {
  process.stdout.write(`\nFAIL: pass rate ${rate}% is under --min ${minPct}%\n`);
  process.exit(1);
}
if (maxFailed !== undefined && summary.totals.failed > maxFailed) {
  process.stdout.write(`\nFAIL: ${summary.totals.failed} tests failed, more than --max-failed ${maxFailed}\n`);
  process.exit(1);
}
if (minPct !== undefined) process.stdout.write(`\nOK: pass rate ${rate}% ≥ --min ${minPct}%\n`);
