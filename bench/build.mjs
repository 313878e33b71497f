#!/usr/bin/env node
// Build benchmarks for relax, through the real CLI (`node bin/relax.js`, so dist/ must be built: `npm run
// build:ts`; `npm run bench:build` does both). Needs nothing beyond this repo's dependencies and no network.
//
//   (a) cold   one process per model × target (fresh cache): wall time, job time, or the failure it reports
//   (b) noop   whole-process `relax build` with everything cached, p50/p95 over --runs runs
//   (c) edit   rebuild after rewriting one model with a new doc_string (bytes change, computation does not)
//   (d) watch  `relax build --watch --json`: model edit → job-done event and a new manifest.json, over --edits
//   (e) scale  a cold `--force` build of ≥ --min-jobs jobs (built jobs of (a) plus copies of the edit model)
//              with --jobs 1,2,4,8,16: time, speedup and parallel efficiency T1 / (N · TN); each of --scale-reps
//              rounds builds every --jobs once (so that a drifting host weighs on all alike)
//
// Usage: node bench/build.mjs [--out FILE.json] [--md FILE.md] [--models DIR] [--only cold,noop,edit,watch,scale]
//          [--model-list mlp,mobilenet_v2,...] [--targets cpu,webgpu,cuda] [--cuda-arch sm_90] [--runs 20]
//          [--edits 20] [--rebuilds 10] [--jobs-list 1,2,4,8,16] [--threads-list 16,8] [--min-jobs 24] [--scale-reps 1]
//          [--profile-dir DIR] (scale: each build's `--profile`)
//          [--timeout SECONDS] [--keep] [--cli PATH] (another relax's bin/relax.js, e.g. an earlier version)
//        node bench/build.mjs --from FILE.json [--md FILE.md]   (re-render the tables of an earlier run)
// Models that fail to build are recorded with the error relax reports; the script goes on.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ALL = ['cold', 'noop', 'edit', 'watch', 'scale'];

const { values: opt } = parseArgs({
  options: {
    out: { type: 'string' },
    md: { type: 'string' },
    models: { type: 'string', default: path.resolve(ROOT, '../shared/models') },
    only: { type: 'string', default: ALL.join(',') },
    'model-list': { type: 'string', default: 'mlp,mobilenet_v2,squeezenet1_1,gpt2_tiny,bert_small' },
    'edit-model': { type: 'string', default: 'mlp' },
    targets: { type: 'string', default: 'cpu,webgpu,cuda' },
    'cuda-arch': { type: 'string', default: 'sm_90' },
    runs: { type: 'string', default: '20' },
    edits: { type: 'string', default: '20' },
    rebuilds: { type: 'string', default: '10' },
    'jobs-list': { type: 'string', default: '1,2,4,8,16' },
    'threads-list': { type: 'string' },
    'profile-dir': { type: 'string' },
    'min-jobs': { type: 'string', default: '24' },
    'scale-reps': { type: 'string', default: '1' },
    timeout: { type: 'string', default: '900' },
    keep: { type: 'boolean', default: false },
    from: { type: 'string' },
    cli: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
// --cli: another relax's bin/relax.js (an earlier version, for a ratio in the same run).
const CLI = opt.cli ? path.resolve(opt.cli) : path.join(ROOT, 'bin/relax.js');
if (opt.help) {
  const src = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
  console.log(src.slice(0, src.findIndex((l) => !l.startsWith('//'))).map((l) => l.slice(3)).join('\n'));
  process.exit(0);
}
const list = (s) => s.split(',').map((x) => x.trim()).filter(Boolean);
const int = (s, name) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} expects a positive integer, got '${s}'`);
  return n;
};
const only = new Set(list(opt.only));
for (const o of only) if (!ALL.includes(o)) throw new Error(`--only: unknown benchmark '${o}' (known: ${ALL.join(', ')})`);
// A --model-list entry is a folder under --models (e.g. onnx-light/resnet50); the model is named by its last part.
const MODEL_DIRS = new Map(list(opt['model-list']).map((m) => [path.basename(m), m]));
const MODELS = [...MODEL_DIRS.keys()];
const TARGETS = list(opt.targets);
const EDIT_MODEL = opt['edit-model'];
const TIMEOUT_MS = int(opt.timeout, 'timeout') * 1000;
if (!existsSync(path.join(ROOT, 'dist/cli/index.js'))) throw new Error('dist/ is not built: run `npm run build:ts` first');
const { onnxType } = await import(path.join(ROOT, 'dist/compiler/frontend/onnx/schema.js'));

const env = { ...process.env, EGL_PLATFORM: process.env.EGL_PLATFORM ?? 'surfaceless' };
delete env.CI; // plain output either way (--json), but keep the CLI from any CI-only behaviour
const tmpDirs = [];
const log = (s) => process.stderr.write(`${s}\n`);

// ---------------------------------------------------------------- helpers

const round = (x, d = 1) => (x === undefined || x === null || Number.isNaN(x) ? null : Math.round(x * 10 ** d) / 10 ** d);
function pct(xs, p) {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}
const stats = (xs) => ({ n: xs.length, p50: round(pct(xs, 50)), p95: round(pct(xs, 95)), min: round(xs.length ? Math.min(...xs) : null), max: round(xs.length ? Math.max(...xs) : null), raw: xs.map((x) => round(x)) });
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');
const firstLine = (cmd, args) => {
  try {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) return null;
    return (r.stdout || r.stderr).trim().split('\n');
  } catch {
    return null;
  }
};

function targetEntry(t) {
  return t === 'cuda' ? { kind: 'cuda', arch: opt['cuda-arch'] } : t;
}

/** A throwaway project folder (a package.json stops config discovery there). */
function project(label) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `relax-bench-${label}-`));
  tmpDirs.push(dir);
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `bench-${label}`, private: true }));
  return dir;
}

/** Writes relax.config.ts with `models` = { name: { source, targets } } (absolute sources). */
function writeConfig(dir, models) {
  const entries = Object.fromEntries(Object.entries(models).map(([name, m]) => [name, { source: m.source, targets: m.targets.map(targetEntry) }]));
  writeFileSync(path.join(dir, 'relax.config.ts'),
    `import { defineConfig } from 'relax';\nexport default defineConfig(${JSON.stringify({ outDir: 'dist', cacheDir: '.relax-cache', models: entries, targets: ['cpu'] }, null, 2)});\n`);
}

/** Copies a model folder's model.onnx and external data files (not its test data) into dir/models/<as>/. */
function copyModel(name, dir, as = name) {
  const src = path.join(opt.models, MODEL_DIRS.get(name) ?? name);
  const dst = path.join(dir, 'models', as);
  mkdirSync(dst, { recursive: true });
  for (const f of readdirSync(src)) {
    const p = path.join(src, f);
    if (statSync(p).isFile()) cpSync(p, path.join(dst, f));
  }
  return path.join(dst, 'model.onnx');
}

/** The model rewritten with a new doc_string: different bytes, same graph and weights. */
function withDocString(file, doc) {
  const T = onnxType('ModelProto');
  const m = T.decode(readFileSync(file));
  m.doc_string = doc;
  return T.encode(m).finish();
}

/** Runs the CLI to completion; `events` are the NDJSON lines of --json. */
function relax(args, cwd, timeoutMs = TIMEOUT_MS, childEnv = env) {
  return nodeProcess([CLI, ...args], cwd, timeoutMs, childEnv);
}

/** Runs node with `argv` to completion, timed from spawn to close, the same way for relax and for bare node. */
function nodeProcess(argv, cwd, timeoutMs = TIMEOUT_MS, childEnv = env) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, argv, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    // NDJSON events are parsed as they arrive; `at` is when (ms since spawn), for job timelines.
    const events = [];
    const take = (final) => {
      const lines = out.split('\n');
      out = final ? '' : lines.pop();
      for (const l of lines) {
        if (!l.startsWith('{')) continue;
        try { events.push({ ...JSON.parse(l), at: round(performance.now() - t0) }); } catch { /* not an event */ }
      }
    };
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.stdout.on('data', (d) => { out += d; take(false); });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => {
      clearTimeout(timer);
      const wall = performance.now() - t0;
      take(true);
      resolve({ code, wall, events, stderr: err, timedOut });
    });
  });
}

const doneOf = (r) => r.events.find((e) => e.event === 'build-done');
const jobsOf = (r, kind) => r.events.filter((e) => e.event === kind);

// ---------------------------------------------------------------- machine

function machine() {
  const cpus = os.cpus();
  const cc = firstLine(process.env.CC ?? 'cc', ['--version']);
  const nvcc = firstLine(process.env.NVCC ?? 'nvcc', ['--version']) ?? firstLine('/usr/local/cuda/bin/nvcc', ['--version']);
  const gpus = firstLine('nvidia-smi', ['-L']);
  const git = firstLine('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return {
    date: new Date().toISOString(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    availableParallelism: os.availableParallelism(),
    memGiB: round(os.totalmem() / 2 ** 30, 1),
    loadAvgAtStart: os.loadavg().map((x) => round(x, 2)),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    relax: `${pkg.version}${git ? ` (${git[0]})` : ''}`,
    cc: cc?.[0] ?? 'not found',
    nvcc: nvcc ? nvcc[nvcc.length - 1] : 'not found',
    gpus: gpus ?? [],
  };
}

// ---------------------------------------------------------------- (a) cold

async function cold() {
  const rows = [];
  for (const model of MODELS) {
    const source = path.join(opt.models, MODEL_DIRS.get(model), 'model.onnx');
    for (const target of TARGETS) {
      if (!existsSync(source)) { rows.push({ model, target, status: 'missing', message: `${source} not found` }); continue; }
      const dir = project(`cold-${model}-${target}`);
      writeConfig(dir, { [model]: { source, targets: [target] } });
      const r = await relax(['build', '--json', '--jobs', '1'], dir);
      const done = jobsOf(r, 'job-done')[0];
      const error = jobsOf(r, 'job-error')[0] ?? r.events.find((e) => e.event === 'build-error');
      const row = { model, target, wallMs: round(r.wall), jobMs: round(done?.ms ?? error?.ms) };
      if (r.timedOut) Object.assign(row, { status: 'timeout', message: `no result in ${TIMEOUT_MS / 1000} s` });
      else if (done && r.code === 0) {
        const man = JSON.parse(readFileSync(path.join(done.dir, 'manifest.json'), 'utf8'));
        const bytes = readdirSync(done.dir).reduce((s, f) => s + statSync(path.join(done.dir, f)).size, 0);
        Object.assign(row, { status: 'built', kernels: man.kernels?.length ?? null, artifactBytes: bytes });
      } else Object.assign(row, { status: 'failed', code: error?.code ?? `exit ${r.code}`, message: (error?.message ?? r.stderr.trim().split('\n')[0] ?? '').slice(0, 200) });
      log(`cold ${model}:${target} ${row.status} ${row.wallMs} ms${row.code ? ` ${row.code}` : ''}`);
      rows.push(row);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

/** What builds today: from (a) when it ran, else every listed model on every target (failures show as such). */
function builtJobs(coldRows) {
  if (coldRows) return coldRows.filter((r) => r.status === 'built').map((r) => ({ model: r.model, target: r.target }));
  return MODELS.flatMap((model) => TARGETS.map((target) => ({ model, target })));
}

/** A project holding copies of the built models (so edits never touch the shared originals). */
function builtProject(label, jobs) {
  const dir = project(label);
  const models = {};
  for (const j of jobs) {
    models[j.model] ??= { source: copyModel(j.model, dir), targets: [] };
    models[j.model].targets.push(j.target);
  }
  writeConfig(dir, models);
  return { dir, models, jobs: jobs.length };
}

// ---------------------------------------------------------------- (b) no-op and (c) edit

async function noopAndEdit(jobs, doNoop, doEdit) {
  if (!jobs.length) return { noop: { skipped: 'nothing builds' }, edit: { skipped: 'nothing builds' } };
  const p = builtProject('noop', jobs);
  const first = await relax(['build', '--json'], p.dir);
  if (first.code !== 0) return { noop: { error: `initial build exited ${first.code}: ${first.stderr.slice(0, 200)}` }, edit: { error: 'initial build failed' } };
  const result = {};
  if (doNoop) {
    // Bare `node -e 0` is timed alongside (interleaved, spawned the same way): node's own start-up is the floor
    // under any CLI. NODE_EXTRA_CA_CERTS makes node parse a CA bundle at every start-up (~40 ms on Node 20); where
    // the environment sets it, both are also timed without it.
    const envs = [['as set', env]];
    if (env.NODE_EXTRA_CA_CERTS) {
      const without = { ...env };
      delete without.NODE_EXTRA_CA_CERTS;
      envs.push(['without NODE_EXTRA_CA_CERTS', without]);
    }
    const walls = envs.map(() => []);
    const bare = envs.map(() => []);
    let allCached = true;
    for (let i = 0; i < int(opt.runs, 'runs'); i++) {
      for (const [k, [, e]] of envs.entries()) {
        const r = await relax(['build', '--json'], p.dir, TIMEOUT_MS, e);
        const d = doneOf(r);
        if (r.code !== 0 || !d || d.built !== 0 || d.cached !== p.jobs) allCached = false;
        walls[k].push(r.wall);
        bare[k].push((await nodeProcess(['-e', '0'], p.dir, TIMEOUT_MS, e)).wall);
      }
    }
    const series = envs.map(([name], k) => ({ env: name, wallMs: stats(walls[k]), bareNodeMs: stats(bare[k]) }));
    result.noop = { jobs: p.jobs, allCached, wallMs: series[0].wallMs, bareNodeMs: series[0].bareNodeMs, series, nodeExtraCaCerts: env.NODE_EXTRA_CA_CERTS ?? null };
    for (const s of series) log(`noop (${s.env}) p50 ${s.wallMs.p50} ms p95 ${s.wallMs.p95} ms; bare node p50 ${s.bareNodeMs.p50} ms (${p.jobs} jobs, all cached: ${allCached})`);
  }
  if (doEdit && p.models[EDIT_MODEL]) {
    const file = p.models[EDIT_MODEL].source;
    const walls = [];
    const jobMs = [];
    let exact = true;
    for (let i = 0; i < int(opt.rebuilds, 'rebuilds'); i++) {
      writeFileSync(file, withDocString(file, `relax bench edit ${i} ${Date.now()}`));
      const r = await relax(['build', '--json'], p.dir);
      const d = doneOf(r);
      const rebuilt = jobsOf(r, 'job-done').filter((e) => !e.cached);
      if (r.code !== 0 || !d || d.built !== p.models[EDIT_MODEL].targets.length || d.cached !== p.jobs - d.built || rebuilt.some((e) => e.model !== EDIT_MODEL)) exact = false;
      walls.push(r.wall);
      jobMs.push(...rebuilt.map((e) => e.ms));
    }
    result.edit = { model: EDIT_MODEL, rebuiltPerEdit: p.models[EDIT_MODEL].targets.length, jobs: p.jobs, onlyEditedRebuilt: exact, wallMs: stats(walls), jobMs: stats(jobMs) };
    log(`edit p50 ${result.edit.wallMs.p50} ms p95 ${result.edit.wallMs.p95} ms (exact: ${exact})`);
  } else if (doEdit) result.edit = { skipped: `${EDIT_MODEL} does not build` };
  return result;
}

// ---------------------------------------------------------------- (d) watch

async function watchBench() {
  const p = builtProject('watch', [{ model: EDIT_MODEL, target: 'cpu' }]);
  const file = p.models[EDIT_MODEL].source;
  const manifest = path.join(p.dir, 'dist', EDIT_MODEL, 'cpu', 'manifest.json');
  const child = spawn(process.execPath, [CLI, 'build', '--watch', '--json'], { cwd: p.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const waiters = [];
  const seen = [];
  let buf = '';
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      let e;
      try { e = JSON.parse(l); } catch { continue; }
      e.at = performance.now();
      seen.push(e);
      for (const w of [...waiters]) if (w.match(e)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(e); }
    }
  });
  const next = (match, ms) => new Promise((resolve) => {
    const found = seen.find(match);
    if (found) return resolve(found);
    const w = { match, resolve };
    waiters.push(w);
    setTimeout(() => { const i = waiters.indexOf(w); if (i >= 0) { waiters.splice(i, 1); resolve(null); } }, ms);
  });
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const stamp = () => { try { const s = statSync(manifest); return `${s.ino}:${s.mtimeMs}:${sha256(manifest)}`; } catch { return null; } };
  try {
    const ready = await next((e) => e.event === 'build-done', 120_000);
    if (!ready) return { error: `watch never finished its first build: ${stderr.slice(0, 300)}` };
    await sleep(300);
    const latency = [];
    const eventLatency = [];
    const failures = [];
    const n = int(opt.edits, 'edits');
    for (let i = 0; i < n; i++) {
      const before = stamp();
      seen.length = 0;
      const t0 = performance.now();
      writeFileSync(file, withDocString(file, `relax bench watch edit ${i} ${Date.now()}`));
      const done = await next((e) => e.event === 'job-done' && e.model === EDIT_MODEL && e.cached === false, 60_000);
      if (!done) { failures.push(`edit ${i}: no job-done within 60 s`); continue; }
      let changedAt = stamp() !== before ? performance.now() : null;
      while (changedAt === null && performance.now() - t0 < 10_000) {
        await sleep(1);
        if (stamp() !== before) changedAt = performance.now();
      }
      if (changedAt === null) { failures.push(`edit ${i}: manifest.json did not change`); continue; }
      eventLatency.push(done.at - t0);
      latency.push(Math.max(done.at, changedAt) - t0);
      await next((e) => e.event === 'build-done', 10_000);
      await sleep(250); // let the watcher settle, so edits are not coalesced
    }
    const r = { model: EDIT_MODEL, target: 'cpu', edits: n, latencyMs: stats(latency), eventLatencyMs: stats(eventLatency), failures };
    log(`watch p50 ${r.latencyMs.p50} ms p95 ${r.latencyMs.p95} ms (${failures.length} failures)`);
    return r;
  } finally {
    child.kill('SIGINT');
    await new Promise((res) => { if (child.exitCode !== null) res(); else { child.once('close', res); setTimeout(() => { child.kill('SIGKILL'); res(); }, 5000); } });
  }
}

// ---------------------------------------------------------------- (e) scaling

async function scale(coldRows) {
  const base = builtJobs(coldRows);
  const minJobs = int(opt['min-jobs'], 'min-jobs');
  const editTargets = base.filter((j) => j.model === EDIT_MODEL).map((j) => j.target);
  if (!editTargets.length) return { skipped: `${EDIT_MODEL} does not build; no copies to add` };
  const { dir, models } = builtProject('scale', base);
  let jobs = base.length;
  for (let c = 1; jobs < minJobs; c++) {
    const name = `${EDIT_MODEL}_copy${String(c).padStart(2, '0')}`;
    const src = copyModel(EDIT_MODEL, dir, name);
    writeFileSync(src, withDocString(src, `copy ${c}`));
    models[name] = { source: src, targets: editTargets };
    jobs += editTargets.length;
  }
  writeConfig(dir, models);
  const rows = [];
  // Each --jobs N runs with every --threads T of --threads-list that is ≤ N (default: relax's own choice).
  const threadsList = opt['threads-list'] ? list(opt['threads-list']).map((s) => int(s, 'threads-list')) : [undefined];
  const variants = list(opt['jobs-list']).map((s) => int(s, 'jobs-list'))
    .flatMap((n) => [...new Set(threadsList.map((t) => (t === undefined ? undefined : Math.min(t, n))))].map((t) => ({ n, t })));
  if (opt['profile-dir']) mkdirSync(opt['profile-dir'], { recursive: true });
  // Rounds: each measures every variant once, so that a host that drifts over the run (device hosts did, by up to
  // 20 % within minutes) weighs on all variants alike; per-round efficiencies pair each TN with that round's T1.
  const acc = variants.map(() => ({ walls: [], ok: true, threads: null, longest: null, jobSumMs: 0, timeline: [], exitMs: [], errors: [] }));
  const reps = int(opt['scale-reps'], 'scale-reps');
  for (let rep = 0; rep < reps; rep++) {
    for (const [i, { n, t }] of variants.entries()) {
      const a = acc[i];
      // Fully cold: no build cache, no artifacts, no plan snapshot or transpiled config (node_modules/.cache).
      for (const d of ['.relax-cache', 'dist', 'node_modules']) rmSync(path.join(dir, d), { recursive: true, force: true });
      const profile = opt['profile-dir'] ? path.resolve(opt['profile-dir'], `scale-j${n}${t ? `-t${t}` : ''}-r${rep}.json`) : undefined;
      const r = await relax(['build', '--json', '--force', '--jobs', String(n), ...(t ? ['--threads', String(t)] : []), ...(profile ? ['--profile', profile] : [])], dir);
      const d = doneOf(r);
      a.threads = r.events.find((e) => e.event === 'build-start')?.threads ?? null;
      if (r.code !== 0 || !d || d.built !== jobs) a.ok = false;
      a.walls.push(r.wall);
      // From build-done (the summary printed) to the process gone: shutting down threads and spawners.
      if (d) a.exitMs.push(round(r.wall - d.at));
      // Each job's own time (from when a thread took it): the longest bounds the wall time from below.
      for (const e of jobsOf(r, 'job-done')) {
        a.jobSumMs += e.ms;
        if (!a.longest || e.ms > a.longest.ms) a.longest = { id: `${e.model}:${e.target}`, ms: round(e.ms) };
      }
      for (const e of jobsOf(r, 'job-error')) a.errors.push(`${e.model}:${e.target} ${e.code}`);
      // When each job ran (ms since spawn; start = when a thread took it), longest first.
      a.timeline = jobsOf(r, 'job-done').map((e) => ({ id: `${e.model}:${e.target}`, start: round(e.at - e.ms), end: e.at, queuedMs: e.queuedMs ?? null, phases: e.phases ?? null })).sort((x, y) => (y.end - y.start) - (x.end - x.start));
      log(`scale round ${rep + 1}/${reps} --jobs ${n}${t ? ` --threads ${t}` : ''}: ${round(r.wall)} ms`);
    }
  }
  const t1Walls = acc[variants.findIndex((v) => v.n === 1)]?.walls;
  for (const [i, { n, t }] of variants.entries()) {
    const a = acc[i];
    const roundEff = t1Walls ? a.walls.map((w, k) => round(t1Walls[k] / (n * w), 2)) : null;
    rows.push({ jobsFlag: n, threadsFlag: t ?? null, threads: a.threads, ok: a.ok, wallMs: round(pct(a.walls, 50)), raw: a.walls.map((w) => round(w)), roundEfficiency: roundEff, exitMs: a.exitMs, longestJob: a.longest, jobSumMs: round(a.jobSumMs), errors: a.errors, timeline: a.timeline });
    log(`scale --jobs ${n}${t ? ` --threads ${t}` : ''}: ${rows.at(-1).wallMs} ms (${a.ok ? 'ok' : 'FAILED'})`);
  }
  const t1 = rows.find((r) => r.jobsFlag === 1)?.wallMs;
  for (const r of rows) {
    r.speedup = t1 ? round(t1 / r.wallMs, 2) : null;
    r.efficiency = t1 ? round(t1 / (r.jobsFlag * r.wallMs), 2) : null;
  }
  return { jobs, composition: Object.fromEntries(Object.entries(models).map(([n, m]) => [n, m.targets])), rows };
}

// ---------------------------------------------------------------- report

function markdown(r) {
  const m = r.machine;
  const out = [];
  out.push(`Machine: ${m.cpuModel}, ${m.cores} cores (availableParallelism ${m.availableParallelism}), ${m.memGiB} GiB, ${m.platform}; node ${m.node}; relax ${m.relax}; cc: ${m.cc}; nvcc: ${m.nvcc}${m.gpus.length ? `; GPUs: ${m.gpus.join(', ')}` : ''}. Load average (1, 5, 15 min) at start ${m.loadAvgAtStart.join(', ')}, at end ${m.loadAvgAtEnd.join(', ')}. Date: ${m.date}.`);
  if (r.cold) {
    out.push('', '### (a) Cold build, one process per model × target (`--jobs 1`, empty cache)', '', '| model | target | status | wall ms | job ms | kernels | artifact bytes | error |', '| --- | --- | --- | ---: | ---: | ---: | ---: | --- |');
    for (const c of r.cold) out.push(`| ${c.model} | ${c.target} | ${c.status} | ${c.wallMs ?? ''} | ${c.jobMs ?? ''} | ${c.kernels ?? ''} | ${c.artifactBytes ?? ''} | ${c.code ? `${c.code}: ${String(c.message).replaceAll('|', '\\|')}` : (c.message ?? '')} |`);
  }
  const dist = (s) => (s ? `${s.p50} | ${s.p95} | ${s.min} | ${s.max} | ${s.n}` : '');
  if (r.noop || r.edit || r.watch) {
    out.push('', '### (b) no-op rebuild, (c) rebuild after an edit, (d) watch latency', '', '| benchmark | what | p50 ms | p95 ms | min ms | max ms | n |', '| --- | --- | ---: | ---: | ---: | ---: | ---: |');
    if (r.noop?.series) {
      for (const s of r.noop.series) {
        out.push(`| (b) no-op \`relax build\`, whole process, env ${s.env} | ${r.noop.jobs} jobs, all cached: ${r.noop.allCached} | ${dist(s.wallMs)} |`);
        out.push(`| (b) bare \`node -e 0\`, env ${s.env} | node's own start-up and exit, timed alongside | ${dist(s.bareNodeMs)} |`);
      }
    } else if (r.noop?.wallMs) out.push(`| (b) no-op \`relax build\`, whole process | ${r.noop.jobs} jobs, all cached: ${r.noop.allCached} | ${dist(r.noop.wallMs)} |`);
    else if (r.noop) out.push(`| (b) no-op | ${r.noop.skipped ?? r.noop.error} | | | | | |`);
    if (r.edit?.wallMs) {
      out.push(`| (c) edit ${r.edit.model}, whole process | ${r.edit.rebuiltPerEdit} of ${r.edit.jobs} jobs rebuilt (only those: ${r.edit.onlyEditedRebuilt}) | ${dist(r.edit.wallMs)} |`);
      out.push(`| (c) edit ${r.edit.model}, per rebuilt job | job-done ms | ${dist(r.edit.jobMs)} |`);
    } else if (r.edit) out.push(`| (c) edit | ${r.edit.skipped ?? r.edit.error} | | | | | |`);
    if (r.watch?.latencyMs) {
      out.push(`| (d) watch ${r.watch.model}:cpu, edit → artifacts written | job-done and a new manifest.json${r.watch.failures.length ? `; ${r.watch.failures.length} failures` : ''} | ${dist(r.watch.latencyMs)} |`);
      out.push(`| (d) watch, edit → job-done event | | ${dist(r.watch.eventLatencyMs)} |`);
    } else if (r.watch) out.push(`| (d) watch | ${r.watch.error ?? r.watch.skipped} | | | | | |`);
  }
  if (r.scale?.rows) {
    out.push('', `### (e) Cold-build scaling: ${r.scale.jobs} jobs (\`--force\`, empty cache)`, '', `Jobs: ${Object.entries(r.scale.composition).map(([n, t]) => `${n} × {${t.join(', ')}}`).join(', ')}.`, '', '| --jobs | threads | wall ms | speedup | efficiency T1/(N·TN) | per round | all built | longest job (own ms) | sum of job ms | raw ms |', '| ---: | ---: | ---: | ---: | ---: | --- | --- | --- | ---: | --- |');
    for (const s of r.scale.rows) out.push(`| ${s.jobsFlag} | ${s.threads ?? ''} | ${s.wallMs} | ${s.speedup} | ${s.efficiency} | ${s.roundEfficiency?.join(', ') ?? ''} | ${s.ok}${s.errors?.length ? ` (${s.errors.join(', ')})` : ''} | ${s.longestJob ? `${s.longestJob.id} ${s.longestJob.ms}` : ''} | ${s.jobSumMs ?? ''} | ${s.raw.join(', ')} |`);
  } else if (r.scale) out.push('', `### (e) scaling: ${r.scale.skipped}`);
  const raw = [...(r.noop?.series ?? [{ env: '', wallMs: r.noop?.wallMs }]).flatMap((s) => [[`(b) no-op wall${s.env ? `, env ${s.env}` : ''}`, s.wallMs], ...(s.bareNodeMs ? [[`(b) bare node, env ${s.env}`, s.bareNodeMs]] : [])]), ['(c) edit wall', r.edit?.wallMs], ['(c) edit job', r.edit?.jobMs], ['(d) watch edit → artifacts', r.watch?.latencyMs], ['(d) watch edit → event', r.watch?.eventLatencyMs]].filter(([, s]) => s?.raw);
  if (raw.length) out.push('', 'Raw ms, in run order:', '', ...raw.map(([k, s]) => `- ${k}: ${s.raw.join(', ')}`));
  return out.join('\n');
}

if (opt.from) {
  const md = markdown(JSON.parse(readFileSync(opt.from, 'utf8')));
  if (opt.md) writeFileSync(opt.md, `${md}\n`);
  console.log(md);
  process.exit(0);
}

const results = { machine: machine(), options: { argv: process.argv.slice(2), models: opt.models, modelList: MODELS, targets: TARGETS, cudaArch: opt['cuda-arch'], only: [...only] } };
log(`relax bench on ${results.machine.cpuModel} × ${results.machine.cores}, node ${results.machine.node}`);
try {
  if (only.has('cold')) results.cold = await cold();
  const jobs = builtJobs(results.cold);
  if (only.has('noop') || only.has('edit')) Object.assign(results, await noopAndEdit(jobs, only.has('noop'), only.has('edit')));
  if (only.has('watch')) results.watch = jobs.some((j) => j.model === EDIT_MODEL && j.target === 'cpu') ? await watchBench() : { skipped: `${EDIT_MODEL}:cpu does not build` };
  if (only.has('scale')) results.scale = await scale(results.cold);
} finally {
  if (!opt.keep) for (const d of tmpDirs) rmSync(d, { recursive: true, force: true });
}
results.machine.loadAvgAtEnd = os.loadavg().map((x) => round(x, 2));
const md = markdown(results);
if (opt.out) writeFileSync(opt.out, `${JSON.stringify(results, null, 2)}\n`);
if (opt.md) writeFileSync(opt.md, `${md}\n`);
console.log(md);
