/**
 * Drives the public relax CLI: one `relax build --json` for the whole suite, then `relax run --batch --json`
 * processes (one per job slot). A batch process that dies or hangs costs only the set it was running: the
 * runner records that set as a crash and starts a new process for the rest.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI } from './dist.mjs';

/** Runs the CLI, calling onEvent for every JSON line on stdout. Resolves with the exit code (or signal). */
function relax(args, { cwd, env, onEvent, onSpawn }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    onSpawn?.(child);
    let buf = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const lineText = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!lineText.startsWith('{')) continue;
        try {
          onEvent(JSON.parse(lineText));
        } catch {
          // Not one of our events.
        }
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (c) => { stderr = (stderr + c).slice(-20_000); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
}

/**
 * `relax build --json --config FILE --jobs N`. Returns Map model → { ok: true, dir } | { ok: false, code, message, hint }
 * and the exit code. Exit 2 (usage/config errors) is thrown: nothing was built.
 */
export async function buildAll(configFile, { jobs, env, onProgress }) {
  const results = new Map();
  const r = await relax(['build', '--json', '--config', configFile, '--jobs', String(jobs)], {
    cwd: path.dirname(configFile), env,
    onEvent(e) {
      if (e.event === 'job-done') results.set(e.model, { ok: true, dir: e.dir, ms: e.ms, cached: e.cached });
      else if (e.event === 'job-error') results.set(e.model, { ok: false, code: e.code, message: e.message, hint: e.hint, ms: e.ms });
      else if (e.event === 'build-error') results.set('\0build', { ok: false, code: e.code, message: e.message });
      if (e.event === 'job-done' || e.event === 'job-error') onProgress?.(results.size);
    },
  });
  if (r.code === 2 || results.has('\0build')) {
    const err = results.get('\0build');
    throw new Error(`relax build failed before building: ${err ? `${err.code}: ${err.message}` : r.stderr.trim().split('\n').slice(-5).join('\n')}`);
  }
  return results;
}

/**
 * Runs sets ({ key, dir, inputs: {name: file}, out }) through `relax run --batch --json`, `slots` processes at
 * a time. Calls onResult(set, { ok, ms?, outputs?, code?, message? }) once per set.
 */
export async function runAll(sets, { slots, env, workDir, timeoutMs, onResult }) {
  const chunks = Array.from({ length: Math.max(1, Math.min(slots, sets.length)) }, () => []);
  sets.forEach((s, i) => chunks[i % chunks.length].push(s));
  await Promise.all(chunks.map((chunk, slot) => runChunk(chunk, slot, { env, workDir, timeoutMs, onResult })));
}

async function runChunk(chunk, slot, { env, workDir, timeoutMs, onResult }) {
  let rest = chunk;
  let attempt = 0;
  while (rest.length > 0) {
    const file = path.join(workDir, `batch-${slot}-${attempt++}.jsonl`);
    writeFileSync(file, rest.map((s) => JSON.stringify({ dir: s.dir, inputs: s.inputs, out: s.out })).join('\n') + '\n');
    const done = new Set();
    let current = -1;
    let timer;
    let child;
    let timedOut = false;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => { timedOut = true; child?.kill('SIGKILL'); }, timeoutMs);
    };
    const r = await relax(['run', '--batch', file, '--json'], {
      cwd: workDir, env,
      onSpawn(c) { child = c; arm(); },
      onEvent(e) {
        if (typeof e.index !== 'number' || !rest[e.index]) return;
        if (e.event === 'run-start') { current = e.index; arm(); }
        else if (e.event === 'run-done') {
          done.add(e.index);
          onResult(rest[e.index], { ok: true, ms: e.ms, outputs: e.outputs });
        } else if (e.event === 'run-error') {
          done.add(e.index);
          onResult(rest[e.index], { ok: false, code: e.code, message: e.message });
        }
      },
    });
    clearTimeout(timer);
    if (done.size === rest.length) return;
    // The process ended early: the set it was running crashed it (or hung); the others are run again.
    const why = timedOut ? `timed out after ${timeoutMs / 1000} s` : r.signal ? `the process was killed by ${r.signal}` : `the process exited with code ${r.code}`;
    const tail = r.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    const crashed = current >= 0 && !done.has(current) ? current : rest.findIndex((_, i) => !done.has(i));
    onResult(rest[crashed], { ok: false, code: timedOut ? 'TIMEOUT' : 'CRASH', message: `relax run ${why}${tail ? `: ${tail}` : ''}` });
    done.add(crashed);
    rest = rest.filter((_, i) => !done.has(i));
  }
}
