/** Output for people (TTY progress, plain lines in CI/pipes) and machines (NDJSON with `--json`). */
import { formatDiagnostic, type Diagnostic } from '../diagnostics/index.js';
import type { BuildEvent } from '../scheduler/events.js';

export function isInteractive(): boolean {
  return Boolean(process.stderr.isTTY) && !process.env.CI;
}

/** One JSON object per line on stdout; the event name is in `event`. */
export function printJsonEvent(e: BuildEvent): void {
  const { type, ...rest } = e;
  process.stdout.write(`${JSON.stringify({ event: type, ...rest })}\n`);
}

export function printDiagnostic(d: Diagnostic): void {
  process.stderr.write(`${formatDiagnostic(d)}\n`);
}

const fmtMs = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`);

/** Human build log: one line per finished job, then a summary with cache hits and the slowest jobs. */
export function humanListener(): (e: BuildEvent) => void {
  const tty = isInteractive();
  const done: { id: string; ms: number }[] = [];
  return (e) => {
    switch (e.type) {
      case 'build-start': process.stderr.write(`relax: ${e.jobs.length} job${e.jobs.length === 1 ? '' : 's'} on ${e.threads} thread${e.threads === 1 ? '' : 's'}\n`); break;
      case 'job-start': if (tty) process.stderr.write(`  … ${e.model}:${e.target}\r`); break;
      case 'job-done': {
        done.push({ id: `${e.model}:${e.target}`, ms: e.ms });
        const why = e.cached ? 'cached' : `built (${e.reason ?? 'rebuilt'})`;
        process.stderr.write(`  ✓ ${e.model}:${e.target} ${why} in ${fmtMs(e.ms)} → ${e.dir}\n`);
        for (const w of e.warnings) process.stderr.write(`    ${formatDiagnostic(w).replace(/\n/g, '\n    ')}\n`);
        break;
      }
      case 'job-error':
        process.stderr.write(`  ✗ ${e.model}:${e.target} failed\n    ${formatDiagnostic({ code: e.code, severity: 'error', message: e.message, ...(e.where ? { where: e.where } : {}), ...(e.hint ? { hint: e.hint } : {}) }).replace(/\n/g, '\n    ')}\n`);
        break;
      case 'build-error':
        printDiagnostic({ code: e.code, severity: 'error', message: e.message, ...(e.where ? { where: e.where } : {}), ...(e.hint ? { hint: e.hint } : {}) });
        break;
      case 'build-done': {
        const slow = [...done].sort((a, b) => b.ms - a.ms).slice(0, 3).filter((j) => j.ms > 0);
        process.stderr.write(`relax: ${e.built} built, ${e.cached} cached, ${e.failed} failed in ${fmtMs(e.ms)}${slow.length ? `; slowest: ${slow.map((j) => `${j.id} ${fmtMs(j.ms)}`).join(', ')}` : ''}\n`);
        done.length = 0;
        break;
      }
      case 'watch-ready': process.stderr.write(`relax: watching ${e.files.length} file${e.files.length === 1 ? '' : 's'} (Ctrl-C to stop)\n`); break;
      case 'rebuild-start': process.stderr.write(`relax: ${e.changed.join(', ')} changed; rebuilding ${e.jobs.length} job${e.jobs.length === 1 ? '' : 's'}\n`); break;
    }
  };
}
