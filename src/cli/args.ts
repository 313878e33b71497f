/** node:util parseArgs with errors turned into UsageError (exit 2). */
import type { ParseArgsConfig } from 'node:util';
import { util } from '../builtins.js';
import { UsageError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** The parsed values (typed loosely: each command reads its own flags) and positionals. */
export interface Parsed {
  readonly values: Record<string, string | boolean | string[] | boolean[] | undefined>;
  readonly positionals: string[];
}

export function parse(argv: readonly string[], options: Options, usage: string, allowPositionals = false): Parsed {
  try {
    const r = util.parseArgs({ args: [...argv], options, allowPositionals, strict: true });
    return { values: r.values as Parsed['values'], positionals: r.positionals };
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(msg, usage);
  }
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
export const bool = (v: unknown): boolean => v === true;

export function positiveInt(value: string | undefined, flag: string, usage: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} expects a positive integer, got '${value}'`, usage);
  return Number(value);
}
