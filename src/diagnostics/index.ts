/**
 * One diagnostic type for the compiler and the build tool. A diagnostic is plain data: it crosses the
 * worker boundary as-is and is printed by the CLI. User mistakes are diagnostics, never stack traces.
 */
export interface Location {
  /** Config file and key path, e.g. `models.mlp.targets[1]`. */
  configFile?: string;
  keyPath?: string;
  /** Model file (as written in the config, relative to the config file). */
  modelFile?: string;
  model?: string;
  target?: string;
  /** ONNX node name and op type. */
  node?: string;
  op?: string;
  opset?: number;
  /** Kernel (TIR function) name. */
  kernel?: string;
  pass?: string;
}

export interface Diagnostic {
  /** Stable code, e.g. `RLX_CONFIG_INVALID`. Never changes meaning once published. */
  code: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  where?: Location;
  hint?: string;
}

/** An error that carries a diagnostic; thrown inside the compiler, caught at job and command boundaries. */
export class RelaxError extends Error {
  readonly diagnostic: Diagnostic;
  constructor(code: string, message: string, where?: Location, hint?: string) {
    super(message);
    this.name = 'RelaxError';
    this.diagnostic = { code, severity: 'error', message, ...(where ? { where } : {}), ...(hint ? { hint } : {}) };
  }
}

export function isRelaxError(e: unknown): e is RelaxError {
  return e instanceof Error && (e as RelaxError).diagnostic !== undefined && e.name === 'RelaxError';
}

/** Adds location facts to a RelaxError as it travels up (inner facts win). */
export function withLocation<T>(where: Location, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isRelaxError(e)) {
      e.diagnostic.where = { ...where, ...e.diagnostic.where };
    }
    throw e;
  }
}

/** Turns anything thrown into a diagnostic. Unexpected errors keep their message but are marked internal. */
export function toDiagnostic(e: unknown, where?: Location): Diagnostic {
  if (isRelaxError(e)) return { ...e.diagnostic, where: { ...where, ...e.diagnostic.where } };
  const message = e instanceof Error ? e.message : String(e);
  return {
    code: 'RLX_INTERNAL',
    severity: 'error',
    message: `internal compiler error: ${message}`,
    ...(where ? { where } : {}),
    hint: 'This is a bug in relax. Please report it with the model and config that triggered it.',
  };
}

export function formatLocation(w: Location | undefined): string {
  if (!w) return '';
  const parts: string[] = [];
  if (w.configFile) parts.push(w.keyPath ? `${w.configFile} at ${w.keyPath}` : w.configFile);
  else if (w.keyPath) parts.push(`config key ${w.keyPath}`);
  if (w.model) parts.push(`model ${w.model}${w.modelFile ? ` (${w.modelFile})` : ''}`);
  else if (w.modelFile) parts.push(`model file ${w.modelFile}`);
  if (w.target) parts.push(`target ${w.target}`);
  if (w.node !== undefined || w.op) parts.push(`node ${w.node ? `'${w.node}'` : '(unnamed)'}${w.op ? ` op ${w.op}${w.opset ? `@${w.opset}` : ''}` : ''}`);
  if (w.kernel) parts.push(`kernel ${w.kernel}`);
  if (w.pass) parts.push(`pass ${w.pass}`);
  return parts.join(', ');
}

/** Human-readable one-or-more-line rendering used by the CLI. */
export function formatDiagnostic(d: Diagnostic): string {
  const loc = formatLocation(d.where);
  let s = `${d.severity} ${d.code}: ${d.message}`;
  if (loc) s += `\n  at ${loc}`;
  if (d.hint) s += `\n  hint: ${d.hint}`;
  return s;
}
