/** `relax cache prune|clean [--json] [--cache-dir DIR] [--config F]`: the build cache's size cap by hand, or removal. */
import path from 'node:path';
import { bool, parse, str } from './args.js';
import { EXIT_OK, UsageError, reportError } from './errors.js';
import { line, type CliIO } from './io.js';
import { formatBytes } from './output.js';

export const CACHE_USAGE = `Usage: relax cache <prune|clean> [options]

  prune   evict least recently used cache entries until the cache fits cacheMaxBytes (default 2 GiB)
  clean   remove the whole cache folder

Options:
  -c, --config FILE     the config whose cacheDir/cacheMaxBytes to use (default: discovered)
      --cache-dir DIR   the cache folder (overrides the config)
      --max-bytes N     prune to this size instead of cacheMaxBytes
      --json            one JSON object on stdout
  -h, --help            show this help`;

export async function cacheCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values: raw, positionals } = parse(argv, {
    config: { type: 'string', short: 'c' },
    'cache-dir': { type: 'string' },
    'max-bytes': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, CACHE_USAGE, true);
  if (bool(raw.help)) {
    line(io.stdout, CACHE_USAGE);
    return EXIT_OK;
  }
  const json = bool(raw.json);
  try {
    const [action, ...extra] = positionals;
    if ((action !== 'prune' && action !== 'clean') || extra.length > 0) {
      throw new UsageError(action ? `unknown cache action '${[action, ...extra].join(' ')}'` : 'expected an action: prune or clean', CACHE_USAGE);
    }
    const maxText = str(raw['max-bytes']);
    if (maxText !== undefined && !/^\d+$/.test(maxText)) throw new UsageError(`--max-bytes expects a number of bytes, got '${maxText}'`, CACHE_USAGE);
    const { cacheDir, maxBytes } = await resolveCache(io, str(raw.config), str(raw['cache-dir']), maxText === undefined ? undefined : Number(maxText));
    const { pruneCache, cleanCache } = await import('../scheduler/prune.js');
    if (action === 'clean') {
      const removedBytes = await cleanCache(cacheDir);
      if (json) line(io.stdout, JSON.stringify({ event: 'cache-clean', cacheDir, removedBytes }));
      else line(io.stdout, `relax: removed ${path.relative(io.cwd, cacheDir) || cacheDir} (${formatBytes(removedBytes)})`);
      return EXIT_OK;
    }
    const r = await pruneCache(cacheDir, maxBytes);
    if (json) line(io.stdout, JSON.stringify({ event: 'cache-prune', cacheDir, ...r }));
    else line(io.stdout, `relax: cache ${formatBytes(r.before)} -> ${formatBytes(r.after)} (cap ${formatBytes(r.maxBytes)}; ${r.removed} item${r.removed === 1 ? '' : 's'} evicted)`);
    return EXIT_OK;
  } catch (e) {
    return reportError(io, e, json);
  }
}

async function resolveCache(io: CliIO, config: string | undefined, cacheDir: string | undefined, maxBytes: number | undefined): Promise<{ cacheDir: string; maxBytes: number }> {
  const { DEFAULT_CACHE_MAX_BYTES } = await import('../scheduler/prune.js');
  if (cacheDir && maxBytes !== undefined) return { cacheDir: path.resolve(io.cwd, cacheDir), maxBytes };
  const { loadConfig, defaultConfig } = await import('../config/load.js');
  let loaded;
  try {
    loaded = await loadConfig({ cwd: io.cwd, ...(config ? { configFile: config } : {}) });
  } catch (e) {
    if (config) throw e;
    loaded = defaultConfig(io.cwd); // no config: the default cache folder of the current directory
  }
  return {
    cacheDir: cacheDir ? path.resolve(io.cwd, cacheDir) : loaded.cacheDir,
    maxBytes: maxBytes ?? loaded.cacheMaxBytes ?? DEFAULT_CACHE_MAX_BYTES,
  };
}
