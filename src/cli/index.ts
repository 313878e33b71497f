/**
 * CLI entry: `main(argv, io?)` returns the exit code (bin/relax.js sets process.exitCode).
 * 0 success, 1 a job (or run) failed, 2 usage or config error. RelaxErrors print as diagnostics, never stacks.
 */
import { compilerVersion } from '../scheduler/toolchains.js';
import { buildCommand } from './build.js';
import { EXIT_OK, EXIT_USAGE, UsageError, reportError } from './errors.js';
import { initCommand } from './init.js';
import { defaultIO, line, type CliIO } from './io.js';
import { pipelineCommand } from './pipeline.js';
import { runCommand } from './run.js';
import { USAGE } from './usage.js';

export type { CliIO } from './io.js';

const COMMANDS: Readonly<Record<string, (argv: readonly string[], io: CliIO) => Promise<number>>> = {
  build: buildCommand,
  run: runCommand,
  pipeline: pipelineCommand,
  init: initCommand,
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
      line(ctx.stdout, compilerVersion());
      return EXIT_OK;
    }
    const command = COMMANDS[cmd];
    if (!command) throw new UsageError(`unknown command '${cmd}'`, USAGE);
    return await command(rest, ctx);
  } catch (e) {
    return reportError(ctx, e);
  }
}
