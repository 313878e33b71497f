/**
 * Build output. tty: a live status line plus one line per finished job; plain: one line per finished job (CI,
 * pipes); json: one event per line on stdout and nothing else there (errors also go to stderr for people).
 */
import path from 'node:path';
import type { styleText } from 'node:util';
import { util } from '../builtins.js';
import { formatDiagnostic } from '../diagnostics/index.js';
import type { BuildEvent, JobDoneEvent } from '../scheduler/events.js';
import { line, type CliIO, type OutputMode } from './io.js';

type Style = Parameters<typeof styleText>[0];

export interface Reporter {
  (e: BuildEvent): void;
  /** Removes the status line (before the process ends or other output). */
  finish(): void;
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

export interface ReporterOptions {
  /** Say why each job was rebuilt or reused (also for cache hits). */
  readonly explain?: boolean;
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}

export function createReporter(io: CliIO, mode: OutputMode, opts: ReporterOptions = {}): Reporter {
  if (mode === 'json') {
    const r = ((e: BuildEvent) => {
      const { type, ...rest } = e;
      line(io.stdout, JSON.stringify({ event: type, ...rest })); // the CLI contract names the field `event`
      if (e.type === 'job-error') line(io.stderr, `${e.model}:${e.target} failed\n${indent(formatDiagnostic(diag(e)))}`);
      if (e.type === 'build-error') line(io.stderr, formatDiagnostic(diag(e)));
    }) as Reporter;
    r.finish = () => undefined;
    return r;
  }

  const tty = mode === 'tty';
  const color = (s: Style, t: string): string => (tty && !io.env.NO_COLOR ? util.styleText(s, t) : t);
  const rel = (p: string): string => {
    const r = path.relative(io.cwd, p);
    return r && !r.startsWith('..') ? r : p;
  };
  let total = 0;
  let finished = 0;
  const running = new Set<string>();
  let statusShown = false;
  let done: JobDoneEvent[] = [];
  let watching = false;

  const clearStatus = (): void => {
    if (statusShown) io.stdout.write('\r\x1b[K');
    statusShown = false;
  };
  const drawStatus = (): void => {
    if (!tty || running.size === 0) return;
    const names = [...running];
    const shown = names.slice(0, 3).join(', ') + (names.length > 3 ? ` +${names.length - 3}` : '');
    io.stdout.write(`\r\x1b[K${color('dim', `[${finished}/${total}] compiling ${shown}`)}`);
    statusShown = true;
  };
  const print = (s: string): void => {
    clearStatus();
    line(io.stdout, s);
  };

  const r = ((e: BuildEvent) => {
    switch (e.type) {
      case 'build-start':
        total = e.jobs.length;
        finished = 0;
        done = [];
        running.clear();
        print(`relax: ${e.jobs.length} job${e.jobs.length === 1 ? '' : 's'} on ${e.threads} thread${e.threads === 1 ? '' : 's'}${e.config ? ` (${rel(e.config)})` : ''}`);
        break;
      case 'job-start':
        running.add(`${e.model}:${e.target}`);
        break;
      case 'job-done': {
        running.delete(`${e.model}:${e.target}`);
        finished++;
        done.push(e);
        const what = e.cached ? color('dim', opts.explain ? `cached (${e.reason})` : 'cached') : `built (${e.reason})`;
        print(`${color('green', '✓')} ${e.model}:${e.target}  ${what}  ${formatMs(e.ms)}  ${color('dim', rel(e.dir))}`);
        for (const w of e.warnings) print(indent(formatDiagnostic(w)));
        break;
      }
      case 'job-error':
        running.delete(`${e.model}:${e.target}`);
        finished++;
        print(`${color('red', '✗')} ${e.model}:${e.target}  ${color('red', e.code)}  ${formatMs(e.ms)}${opts.explain && e.reason ? `  (compiled: ${e.reason})` : ''}`);
        print(indent(formatDiagnostic(diag(e))));
        for (const d of e.diagnostics.slice(1)) print(indent(formatDiagnostic(d)));
        break;
      case 'build-done': {
        const total = e.built + e.cached + e.failed;
        const parts = [`${e.built} built`, `${e.cached} cached`, e.failed ? color('red', `${e.failed} failed`) : '0 failed'];
        const hits = total > 0 ? ` (cache hits ${e.cached}/${total})` : '';
        const head = e.failed ? color('red', 'relax: build finished with errors:') : color('green', 'relax: done:');
        const when = watching ? color('dim', ` at ${new Date().toTimeString().slice(0, 8)}`) : '';
        print(`${head} ${parts.join(', ')}${hits} in ${formatMs(e.ms)}${when}`);
        const slow = (e.slowest ?? done.map((d) => ({ id: `${d.model}:${d.target}`, ms: d.ms })).sort((a, b) => b.ms - a.ms).slice(0, 3));
        if (total > 1 && slow.length > 0) print(`  slowest: ${slow.map((d) => `${d.id} ${formatMs(d.ms)}`).join(', ')}`);
        const built = done.filter((d) => !d.cached).sort((a, b) => b.ms - a.ms);
        const passes = built[0]?.passes.slice().sort((a, b) => b.ms - a.ms).slice(0, 3) ?? [];
        if (passes.length > 0) print(`  slowest passes (${built[0]!.model}:${built[0]!.target}): ${passes.map((p) => `${p.pass} ${formatMs(p.ms)}`).join(', ')}`);
        break;
      }
      case 'build-error':
        print(formatDiagnostic(diag(e)));
        break;
      case 'watch-ready':
        watching = true;
        print(color('cyan', `relax: watching ${e.files.length} file${e.files.length === 1 ? '' : 's'} (Ctrl-C to stop)`));
        break;
      case 'rebuild-start':
        print(color('cyan', `relax: ${e.changed.map(rel).join(', ')} changed; rebuilding ${e.jobs.join(', ')}`));
        break;
    }
    drawStatus();
  }) as Reporter;
  r.finish = clearStatus;
  return r;
}

function diag(e: { code: string; message: string; where?: import('../diagnostics/index.js').Location; hint?: string }) {
  return { code: e.code, severity: 'error' as const, message: e.message, ...(e.where ? { where: e.where } : {}), ...(e.hint ? { hint: e.hint } : {}) };
}

function indent(s: string): string {
  return s.split('\n').map((l) => `    ${l}`).join('\n');
}
