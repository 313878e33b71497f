/**
 * Config discovery and loading. Discovery is cosmiconfig's (`relax.config.{ts,mts,js,mjs,cjs,json}` and
 * `package.json#relax`, from cwd up to the project root); JS and TS configs are evaluated through jiti, which
 * transpiles TypeScript itself (TypeScript 7 has no JS API) and never caches, so watch mode sees edits.
 * `import { defineConfig } from 'relax'` inside a config resolves to define.ts through a jiti alias, wherever
 * the config lives (the package self-reference only works inside this repo, and only once dist/ is built).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
import { RelaxError, isRelaxError } from '../diagnostics/index.js';
import type { BoundInput } from '../compiler/job.js';
import type { PipelineFn } from '../compiler/pipeline/resolve.js';
import type { Target } from '../formats/manifest.js';
import { configSchema, type PipelineEntry, type TargetEntry } from './schema.js';
import { formatKeyPath, problemsFromIssues } from './issues.js';
import { resolveTarget } from './targets.js';
import { quickTransform } from './transpile.js';

export const CONFIG_FILES = [
  'relax.config.ts', 'relax.config.mts', 'relax.config.js', 'relax.config.mjs', 'relax.config.cjs', 'relax.config.json',
] as const;

/** A target as the config placed it: resolved data plus where it was written and its own pipeline (if any). */
export interface TargetSpec {
  readonly target: Target;
  readonly pipeline?: PipelineEntry;
  readonly keyPath: string;
}

export interface ModelSpec {
  readonly name: string;
  /** As written in the config (relative to the config file). */
  readonly source: string;
  /** Absolute path of the ONNX file. */
  readonly path: string;
  readonly targets: readonly TargetSpec[];
  readonly pipeline?: PipelineEntry;
  /** Graph inputs bound to TensorProto files at build time (paths made absolute), in the order written. */
  readonly bind?: readonly BoundInput[];
  /** `models.<name>` (or `models.<name>.source` for the file itself). */
  readonly keyPath: string;
}

export interface LoadedConfig {
  /** Absolute path of the config file (`package.json` for package.json#relax); undefined for built-in defaults. */
  readonly file?: string;
  /** Directory all config paths are relative to. */
  readonly dir: string;
  readonly outDir: string;
  readonly cacheDir: string;
  /** Cache size cap (bytes); undefined: the scheduler's default (2 GiB). */
  readonly cacheMaxBytes?: number;
  readonly models: readonly ModelSpec[];
  /** Top-level targets (what models without their own `targets` build for). */
  readonly targets: readonly TargetSpec[];
  readonly pipeline: PipelineEntry;
}

export interface LoadOptions {
  /** Where discovery starts; default process.cwd(). */
  readonly cwd?: string;
  /** An explicit config file (`--config`), relative to cwd. */
  readonly configFile?: string;
}

/** How a config file is shown in diagnostics: relative to cwd when inside it. */
export function displayPath(file: string, cwd: string = process.cwd()): string {
  const rel = path.relative(cwd, file);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : file;
}

// Written from the parent folder so that it resolves the same from dist/config/ and from the CLI bundle (dist/bundle/).
function defineModulePath(): string {
  const js = fileURLToPath(new URL('../config/define.js', import.meta.url));
  return existsSync(js) ? js : fileURLToPath(new URL('../config/define.ts', import.meta.url));
}

/**
 * jiti through require: it is CommonJS, and an ES import of it first runs Node's CommonJS export scan over its
 * ~400 KB file (cjs-module-lexer, ~20 ms of a cold build's critical path).
 */
function loadJiti(): typeof import('jiti') {
  return createRequire(import.meta.url)('jiti') as typeof import('jiti');
}

const loadWithJiti: Loader = async (filepath) => {
  const define = defineModulePath();
  const options = {
    moduleCache: false,
    // Transpiled configs are kept by content hash beside the default build cache: evaluating a TS config then
    // skips the transpile on the next cold or --force build.
    fsCache: path.join(path.dirname(filepath), 'node_modules', '.cache', 'relax', 'jiti'),
    interopDefault: true,
    alias: { relax: define, 'relax/config': define },
  };
  // jiti's own transform (Babel, ~300 ms to load) only for sources that need it (transpile.ts).
  const { createJiti } = loadJiti();
  const babel = createJiti(import.meta.url, options);
  const jiti = createJiti(import.meta.url, { ...options, transform: (o) => quickTransform(o) ?? { code: babel.transform(o) } });
  const mod = await jiti.import<unknown>(filepath, { default: true });
  return mod;
};

function explorer() {
  return cosmiconfig('relax', {
    searchStrategy: 'project',
    searchPlaces: ['package.json', ...CONFIG_FILES],
    cache: false,
    loaders: {
      '.ts': loadWithJiti, '.mts': loadWithJiti, '.cts': loadWithJiti,
      '.js': loadWithJiti, '.mjs': loadWithJiti, '.cjs': loadWithJiti,
      '.json': defaultLoaders['.json'],
    },
  });
}

/** Finds the config file without loading it (null when there is none). */
export async function findConfigFile(cwd: string = process.cwd()): Promise<string | null> {
  // cosmiconfig's search loads what it finds (it must, to skip a package.json without `relax`); a broken config
  // still counts as found.
  try {
    const r = await explorer().search(cwd);
    return r?.filepath ?? null;
  } catch (e) {
    const fp = (e as { filepath?: unknown }).filepath;
    if (typeof fp === 'string') return fp;
    throw e;
  }
}

/** Discovers (or takes `configFile`), loads and validates the config. Throws RelaxError with RLX_CONFIG_* codes. */
export async function loadConfig(opts: LoadOptions = {}): Promise<LoadedConfig> {
  const cwd = path.resolve(opts.cwd ?? process.cwd());
  let raw: unknown;
  let file: string;
  try {
    if (opts.configFile) {
      file = path.resolve(cwd, opts.configFile);
      if (!existsSync(file)) {
        throw new RelaxError('RLX_CONFIG_NOT_FOUND', `config file ${opts.configFile} does not exist (looked at ${file})`,
          { configFile: opts.configFile }, 'Check the path given to --config.');
      }
      const r = await explorer().load(file);
      raw = r?.config;
      if (r?.isEmpty) raw = undefined;
    } else {
      const r = await explorer().search(cwd);
      if (!r) {
        throw new RelaxError('RLX_CONFIG_NOT_FOUND', `no relax config found in ${cwd} or its parents up to the project root`,
          undefined,
          `Create relax.config.ts (export default defineConfig({ models: { mymodel: './model.onnx' } })), add a "relax" key to package.json, or pass --config FILE. Looked for: ${CONFIG_FILES.join(', ')}, package.json#relax.`);
      }
      file = r.filepath;
      raw = r.isEmpty ? undefined : r.config;
    }
  } catch (e) {
    if (isRelaxError(e)) throw e;
    const failed = (e as { filepath?: unknown }).filepath;
    const where = typeof failed === 'string' ? failed : opts.configFile ? path.resolve(cwd, opts.configFile) : cwd;
    throw new RelaxError('RLX_CONFIG_LOAD_FAILED', `could not load ${displayPath(where, cwd)}: ${errorMessage(e)}`,
      { configFile: displayPath(where, cwd) }, 'Fix the error in the config file; it must evaluate without throwing.');
  }
  return validateConfig(raw, file, cwd);
}

/** Validates an already-evaluated config value as if it came from `file`. */
export function validateConfig(raw: unknown, file: string, cwd: string = process.cwd()): LoadedConfig {
  const shown = displayPath(file, cwd);
  const isPkg = path.basename(file) === 'package.json';
  if (raw === undefined || raw === null) {
    throw new RelaxError('RLX_CONFIG_INVALID', `${shown} is empty: expected a config object with \`models\``,
      { configFile: shown }, 'export default defineConfig({ models: { mymodel: "./model.onnx" } })');
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = problemsFromIssues(parsed.error.issues);
    const first = problems[0] ?? { keyPath: '', message: 'invalid config' };
    const prefix = isPkg ? 'relax' : '';
    const kp = (k: string) => (prefix ? (k ? (k.startsWith('[') ? `${prefix}${k}` : `${prefix}.${k}`) : prefix) : k);
    const more = problems.slice(1).map((p) => `\n  also at ${kp(p.keyPath) || '(top level)'}: ${p.message}`).join('');
    throw new RelaxError('RLX_CONFIG_INVALID', `${shown}: ${kp(first.keyPath) || '(top level)'}: ${first.message}${more}`,
      { configFile: shown, ...(kp(first.keyPath) ? { keyPath: kp(first.keyPath) } : {}) });
  }
  const cfg = parsed.data;
  const dir = path.dirname(file);
  const topTargets = cfg.targets.map((t, i) => targetSpec(t, `targets[${i}]`));
  const models: ModelSpec[] = Object.entries(cfg.models).map(([name, entry]) => {
    const keyPath = `models.${name}`;
    const source = typeof entry === 'string' ? entry : entry.source;
    const own = typeof entry === 'string' ? undefined : entry.targets;
    return {
      name,
      source,
      path: path.resolve(dir, source),
      targets: own ? own.map((t, i) => targetSpec(t, `${keyPath}.targets[${i}]`)) : topTargets,
      ...(typeof entry !== 'string' && entry.pipeline !== undefined ? { pipeline: entry.pipeline as PipelineEntry } : {}),
      ...(typeof entry !== 'string' && entry.bind !== undefined && Object.keys(entry.bind).length > 0
        ? { bind: Object.entries(entry.bind).map(([input, source]): BoundInput => ({
          name: input, source, path: path.resolve(dir, source), keyPath: formatKeyPath(['models', name, 'bind', input]),
        })) }
        : {}),
      keyPath,
    };
  });
  return {
    file,
    dir,
    outDir: path.resolve(dir, cfg.outDir),
    cacheDir: path.resolve(dir, cfg.cacheDir),
    ...(cfg.cacheMaxBytes !== undefined ? { cacheMaxBytes: cfg.cacheMaxBytes } : {}),
    models,
    targets: topTargets,
    pipeline: cfg.pipeline as PipelineEntry,
  };
}

/** The config used when there is no config file (e.g. `relax pipeline --target cuda` in an empty folder). */
export function defaultConfig(cwd: string = process.cwd()): LoadedConfig {
  return {
    dir: cwd,
    outDir: path.resolve(cwd, 'dist'),
    cacheDir: path.resolve(cwd, 'node_modules/.cache/relax'),
    models: [],
    targets: [targetSpec('cpu', 'targets[0]')],
    pipeline: 'default',
  };
}

function targetSpec(entry: TargetEntry, keyPath: string): TargetSpec {
  if (typeof entry === 'string') return { target: resolveTarget(entry), keyPath };
  const { pipeline, ...rest } = entry;
  return { target: resolveTarget(rest), keyPath, ...(pipeline !== undefined ? { pipeline: pipeline as string | PipelineFn } : {}) };
}

function errorMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.trim();
}
