import { RelaxError } from '../diagnostics/index.js';

export const USAGE = `Usage: relax <command> [options]

Commands:
  build      Build every model × target in the config
             [--config F] [--json] [--jobs N] [--filter PATTERN]... [--force] [--watch]
  run DIR    Run a built artifact: --input NAME=FILE.pb ... [--out OUTDIR] [--device cpu|webgpu|cuda]
  pipeline   Show the pipeline a target resolves to: --target T [--config F] [--json]

Options:
  --help, -h     Show this help
  --version, -v  Show the relax version
`;

export function usageError(message: string): RelaxError {
  return new RelaxError('RLX_USAGE', message, undefined, 'Run `relax --help` for the commands and options.');
}
