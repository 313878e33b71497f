/** How commands end: usage errors, diagnostics (never a stack for RelaxError), internal errors (ask for a report). */
import { formatDiagnostic, isRelaxError, type Diagnostic } from '../diagnostics/index.js';
import { line, type CliIO } from './io.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** A command-line mistake: printed with the command's usage, exit 2. */
export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Codes that mean the user must fix the command line or the config (exit 2) rather than a model/job (exit 1). */
export function isConfigCode(code: string): boolean {
  return code.startsWith('RLX_CONFIG_') || code.startsWith('RLX_PIPELINE_') || code === 'RLX_MODEL_NOT_FOUND'
    || code === 'RLX_FILTER_NO_MATCH' || code === 'RLX_RUN_BAD_INPUT' || code === 'RLX_USAGE';
}

export function printDiagnostic(io: CliIO, d: Diagnostic): void {
  line(io.stderr, formatDiagnostic(d));
}

/** Prints any error a command threw and returns the exit code. With `json`, also writes a build-error event. */
export function reportError(io: CliIO, e: unknown, json = false): number {
  if (e instanceof UsageError) {
    line(io.stderr, `relax: ${e.message}`);
    if (e.usage) line(io.stderr, e.usage);
    if (json) line(io.stdout, JSON.stringify({ event: 'build-error', code: 'RLX_USAGE', message: e.message }));
    return EXIT_USAGE;
  }
  if (isRelaxError(e)) {
    const d = e.diagnostic;
    printDiagnostic(io, d);
    if (json) line(io.stdout, JSON.stringify({ event: 'build-error', code: d.code, message: d.message, ...(d.where ? { where: d.where } : {}), ...(d.hint ? { hint: d.hint } : {}) }));
    return isConfigCode(d.code) ? EXIT_USAGE : EXIT_FAILED;
  }
  const message = e instanceof Error ? e.message : String(e);
  line(io.stderr, `relax: internal error: ${message}`);
  line(io.stderr, 'This is a bug in relax. Please report it with the command, the config and (if you can) the model; run with RELAX_DEBUG=1 for a stack trace.');
  if (io.env.RELAX_DEBUG && e instanceof Error && e.stack) line(io.stderr, e.stack);
  if (json) line(io.stdout, JSON.stringify({ event: 'build-error', code: 'RLX_INTERNAL', message: `internal error: ${message}` }));
  return EXIT_FAILED;
}
