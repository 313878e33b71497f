/** The top-level help text. Each command has its own (`relax <command> --help`). */
export const USAGE = `Usage: relax <command> [options]

Commands:
  build              compile every model x target in the config (incremental, cached)
                     [--config F] [--json] [--jobs N] [--filter GLOB]... [--force] [--watch] [--explain]
                     [--cache-dir DIR]
  run DIR            run a built artifact on TensorProto inputs
                     --input NAME=FILE.pb ... [--out OUTDIR] [--device cpu|webgpu|cuda]
  cache prune|clean  shrink the build cache to its size cap, or remove it [--json] [--cache-dir DIR] [--config F]
  run --batch FILE   run many (dir, inputs, out) sets in one process [--device D] [--json]
  pipeline           show which pipeline a target resolves to, why, and its passes
                     --target T [--model M] [--config F] [--json]
  init [DIR]         scaffold relax.config.ts, an example model and package.json scripts
                     [--force]

Options:
  -h, --help         show help (also: relax <command> --help)
  -v, --version      print the relax version

Config: relax.config.{ts,mts,js,mjs,cjs,json} or package.json#relax, found from the current folder upwards.`;
