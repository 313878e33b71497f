/**
 * CLI entry: `main(argv, io?)` returns the exit code (bin/relax.js sets process.exitCode).
 * 0 success, 1 a job (or run) failed, 2 usage or config error. RelaxErrors print as diagnostics, never stacks.
 */
import { VERSION } from '../version.js';
import { EXIT_OK, EXIT_USAGE, UsageError, reportError } from './errors.js';
import { defaultIO, line, type CliIO } from './io.js';
import { USAGE } from './usage.js';

export type { CliIO } from './io.js';

type Command = (argv: readonly string[], io: CliIO) => Promise<number>;

/** Commands are imported on use: `relax build` never loads the runtime, `relax run` never loads the scheduler. */
const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  build: async () => (await import('./build.js')).buildCommand,
  run: async () => (await import('./run.js')).runCommand,
  pipeline: async () => (await import('./pipeline.js')).pipelineCommand,
  cache: async () => (await import('./cache.js')).cacheCommand,
  init: async () => (await import('./init.js')).initCommand,
};

export async function main(argv: readonly string[], io: Partial<CliIO> = {}): Promise<number> {
  const ctx: CliIO = { ...defaultIO(), ...io };
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined) {
      line(ctx.stderr, USAGE);
      return EXIT_USAGE;
    }
    if (cmd === '--help' || cmd === '-h' || cmd === 'help') {
      line(ctx.stdout, USAGE);
      return EXIT_OK;
    }
    if (cmd === '--version' || cmd === '-v') {
      line(ctx.stdout, VERSION);
      return EXIT_OK;
    }
    const load = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
    if (!load) throw new UsageError(`unknown command '${cmd}'`, USAGE);
    return await (await load())(rest, ctx);
  } catch (e) {
    return reportError(ctx, e);
  }
}
