/** CLI entry: `main(argv)` returns the exit code. User mistakes print a diagnostic, never a stack trace. */
import { isRelaxError, toDiagnostic } from '../diagnostics/index.js';
import { VERSION } from '../version.js';
import { buildCommand } from './build.js';
import { printDiagnostic } from './output.js';
import { pipelineCommand } from './pipeline.js';
import { runCommand } from './run.js';
import { USAGE, usageError } from './usage.js';

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = { build: buildCommand, run: runCommand, pipeline: pipelineCommand };

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') { process.stdout.write(USAGE); return cmd ? 0 : 2; }
  if (cmd === '--version' || cmd === '-v') { process.stdout.write(`${VERSION}\n`); return 0; }
  const command = COMMANDS[cmd];
  try {
    if (!command) throw usageError(`unknown command '${cmd}'`);
    if (rest.includes('--help') || rest.includes('-h')) { process.stdout.write(USAGE); return 0; }
    return await command(rest);
  } catch (e) {
    printDiagnostic(toDiagnostic(e));
    if (!isRelaxError(e) && process.env.RELAX_DEBUG) process.stderr.write(`${(e as Error).stack}\n`);
    if (!isRelaxError(e)) return 1;
    const code = e.diagnostic.code;
    return code.startsWith('RLX_CONFIG') || code === 'RLX_USAGE' || code.startsWith('RLX_PIPELINE') || code === 'RLX_MODEL_NOT_FOUND' ? 2 : 1;
  }
}
