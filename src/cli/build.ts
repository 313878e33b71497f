/** `relax build [--config F] [--json] [--jobs N] [--threads N] [--filter P]... [--force] [--watch] [--explain] [--cache-dir D] [--profile F]` */
import { bool, parse, positiveInt, str, strs } from './args.js';
import { EXIT_FAILED, EXIT_OK, reportError, UsageError } from './errors.js';
import { outputMode, type CliIO } from './io.js';
import { createReporter } from './output.js';

export const BUILD_USAGE = `Usage: relax build [options]

Compiles every model x target in the config into <outDir>/<model>/<target>/.

Options:
  -c, --config FILE     use this config file instead of discovering one
  -f, --filter GLOB     only jobs whose model or model:target matches (repeatable; also comma-separated)
  -j, --jobs N          jobs compiled at once, and toolchain runs at once (default: available parallelism)
      --threads N       worker threads running the compiler (default: one per job compiled at once)
      --profile FILE    write where the build's time went (Chrome trace events: open in ui.perfetto.dev)
      --force           ignore the cache and rebuild every selected job
  -w, --watch           rebuild affected jobs when the config, a file it imports or a model changes
      --explain         say why each job was rebuilt or reused
      --cache-dir DIR   build cache folder (default: the config's cacheDir, node_modules/.cache/relax)
      --json            NDJSON events on stdout (human messages on stderr)
  -h, --help            show this help

Exit codes: 0 all jobs built, 1 some job failed (the others are still written), 2 usage or config error.`;

export async function buildCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values: raw } = parse(argv, {
    config: { type: 'string', short: 'c' },
    filter: { type: 'string', short: 'f', multiple: true },
    jobs: { type: 'string', short: 'j' },
    threads: { type: 'string' },
    profile: { type: 'string' },
    force: { type: 'boolean' },
    watch: { type: 'boolean', short: 'w' },
    explain: { type: 'boolean' },
    'cache-dir': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, BUILD_USAGE);
  if (bool(raw.help)) {
    io.stdout.write(`${BUILD_USAGE}\n`);
    return EXIT_OK;
  }
  const json = bool(raw.json);
  const filter = strs(raw.filter).flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean);
  const cacheDir = str(raw['cache-dir']);
  const config = str(raw.config);
  const report = createReporter(io, outputMode(io, json), { explain: bool(raw.explain) });
  try {
    const jobs = positiveInt(str(raw.jobs), '--jobs', BUILD_USAGE);
    const threads = positiveInt(str(raw.threads), '--threads', BUILD_USAGE);
    const profile = str(raw.profile);
    if (profile && bool(raw.watch)) throw new UsageError('--profile profiles one build; it cannot be combined with --watch', BUILD_USAGE);
    const opts = {
      cwd: io.cwd,
      ...(config ? { config } : {}),
      ...(filter.length ? { filter } : {}),
      ...(bool(raw.force) ? { force: true } : {}),
      ...(jobs ? { jobs } : {}),
      ...(threads ? { threads } : {}),
      ...(cacheDir ? { cacheDir } : {}),
      ...(io.workerModule ? { workerModule: io.workerModule } : {}),
      onEvent: report,
    };
    if (bool(raw.watch)) {
      const { watch } = await import('../scheduler/watch.js');
      const handle = await watch(opts);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        if (io.signal) {
          if (io.signal.aborted) return resolve();
          io.signal.addEventListener('abort', stop, { once: true });
        } else {
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        }
      });
      await handle.close();
      report.finish();
      return EXIT_OK;
    }
    const { build } = await import('../scheduler/build.js');
    const summary = await build({ ...opts, ...(profile ? { profile } : {}) });
    report.finish();
    return summary.ok ? EXIT_OK : EXIT_FAILED;
  } catch (e) {
    report.finish();
    return reportError(io, e, json);
  }
}
