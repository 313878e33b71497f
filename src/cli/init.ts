/**
 * `relax init [DIR] [--force]`: scaffolds a project from the package's templates/default/ folder (a
 * relax.config.ts, an example ONNX model, a .gitignore) and adds `build`/`dev` scripts to package.json (created
 * when missing, merged otherwise). Never overwrites a file or a different script without --force (exit 2, naming
 * them). A `gitignore` template file is written as `.gitignore` (npm drops dotfiles named .gitignore from
 * packages) and is kept as it is when one exists.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_FILES } from '../config/load.js';
import { VERSION } from '../version.js';
import { bool, parse } from './args.js';
import { EXIT_OK, UsageError, reportError } from './errors.js';
import { line, type CliIO } from './io.js';

export const INIT_USAGE = `Usage: relax init [DIR] [options]

Scaffolds a relax project in DIR (default: the current folder): relax.config.ts, models/mlp.onnx (a tiny
example model), .gitignore, and package.json scripts "build" (relax build) and "dev" (relax build --watch).
An existing package.json keeps everything else; existing files are never overwritten without --force.

Options:
      --force         overwrite existing files and scripts
  -h, --help          show this help`;

/** The scripts init adds to package.json. */
export const INIT_SCRIPTS: Readonly<Record<string, string>> = { build: 'relax build', dev: 'relax build --watch' };

const TEMPLATE_DIR = fileURLToPath(new URL('../../templates/default/', import.meta.url));
const RENAMES: Readonly<Record<string, string>> = { gitignore: '.gitignore' };
/** Template files that are left alone when present (not a conflict). */
const KEEP_IF_PRESENT = new Set(['.gitignore']);

interface TemplateFile {
  /** Path in the project, '/'-separated. */
  readonly rel: string;
  readonly bytes: Uint8Array;
}

/** What init will do in a folder: computed first, so a refusal writes nothing. */
export interface InitPlan {
  readonly dir: string;
  readonly files: readonly TemplateFile[];
  /** Files and keys that exist and would be replaced (`package.json (scripts.build)` for a key). */
  readonly conflicts: readonly string[];
  /** Template files left alone because the project has them. */
  readonly kept: readonly string[];
  /** Other config files that relax.config.ts would sit beside (relax.config.ts takes precedence over them). */
  readonly otherConfigs: readonly string[];
  /** The package.json text to write and what changed in it. */
  readonly packageJson: { readonly text: string; readonly created: boolean; readonly changes: readonly string[] };
}

async function templateFiles(root: string, sub = ''): Promise<TemplateFile[]> {
  const out: TemplateFile[] = [];
  const entries = (await readdir(path.join(root, sub), { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...await templateFiles(root, rel));
    else if (e.isFile()) {
      const base = path.posix.basename(rel);
      const target = RENAMES[base] ? path.posix.join(path.posix.dirname(rel), RENAMES[base]!).replace(/^\.\//, '') : rel;
      out.push({ rel: target, bytes: new Uint8Array(await readFile(path.join(root, rel))) });
    }
  }
  return out;
}

function packageName(dir: string): string {
  const name = path.basename(dir).toLowerCase().replace(/[^a-z0-9._~-]+/g, '-').replace(/^[._-]+|-+$/g, '');
  return name || 'relax-project';
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function planPackageJson(dir: string, existing: string | undefined, force: boolean, conflicts: string[]): InitPlan['packageJson'] {
  const changes: string[] = [];
  let pkg: Json;
  let indent: string | number = 2;
  if (existing === undefined) {
    pkg = { name: packageName(dir), version: '0.1.0', private: true };
  } else {
    try {
      const parsed: unknown = JSON.parse(existing);
      if (!isObject(parsed)) throw new Error('not a JSON object');
      pkg = parsed;
    } catch (e) {
      throw new UsageError(`cannot update package.json in ${dir}: ${e instanceof Error ? e.message : String(e)}; fix it or remove it, then run relax init again`);
    }
    indent = /^\{\s*\n([ \t]+)"/.exec(existing)?.[1] ?? 2;
  }
  if (pkg.scripts !== undefined && !isObject(pkg.scripts)) throw new UsageError('package.json "scripts" is not an object; fix it, then run relax init again');
  const scripts: Json = { ...(pkg.scripts as Json | undefined) };
  for (const [k, v] of Object.entries(INIT_SCRIPTS)) {
    if (scripts[k] === v) continue;
    if (scripts[k] !== undefined) {
      if (!force) conflicts.push(`package.json (scripts.${k}: ${JSON.stringify(scripts[k])})`);
    }
    scripts[k] = v;
    changes.push(`scripts.${k}`);
  }
  pkg = { ...pkg, scripts };
  if (pkg.relax !== undefined) {
    // package.json#relax is found before relax.config.ts: the scaffolded config would be ignored.
    if (!force) conflicts.push('package.json ("relax" config key)');
    const { relax: _dropped, ...rest } = pkg;
    pkg = rest;
    changes.push('removed the "relax" key');
  }
  const declares = (k: string) => isObject(pkg[k]) && (pkg[k] as Json).relax !== undefined;
  if (pkg.name !== 'relax' && !declares('dependencies') && !declares('devDependencies')) {
    pkg = { ...pkg, devDependencies: { ...(isObject(pkg.devDependencies) ? pkg.devDependencies : {}), relax: `^${VERSION}` } };
    changes.push('devDependencies.relax');
  }
  return { text: `${JSON.stringify(pkg, null, indent)}\n`, created: existing === undefined, changes };
}

/** Plans a scaffold of `dir` (absolute) without writing anything. */
export async function planInit(dir: string, opts: { force?: boolean; templateDir?: string } = {}): Promise<InitPlan> {
  const force = opts.force === true;
  const all = await templateFiles(opts.templateDir ?? TEMPLATE_DIR);
  const conflicts: string[] = [];
  const kept: string[] = [];
  const files: TemplateFile[] = [];
  for (const f of all) {
    const exists = existsSync(path.join(dir, f.rel));
    if (exists && KEEP_IF_PRESENT.has(f.rel)) { kept.push(f.rel); continue; }
    if (exists && !force) conflicts.push(f.rel);
    files.push(f);
  }
  const otherConfigs = CONFIG_FILES.filter((c) => !all.some((f) => f.rel === c) && existsSync(path.join(dir, c)));
  if (!force) conflicts.push(...otherConfigs);
  const pkgFile = path.join(dir, 'package.json');
  const existing = existsSync(pkgFile) ? await readFile(pkgFile, 'utf8') : undefined;
  const packageJson = planPackageJson(dir, existing, force, conflicts);
  return { dir, files, conflicts, kept, otherConfigs, packageJson };
}

/** Writes a plan that has no conflicts (or was made with force). */
export async function applyInit(plan: InitPlan): Promise<void> {
  for (const f of plan.files) {
    const file = path.join(plan.dir, f.rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, f.bytes);
  }
  if (plan.packageJson.changes.length || plan.packageJson.created) await writeFile(path.join(plan.dir, 'package.json'), plan.packageJson.text);
}

export async function initCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values, positionals } = parse(argv, {
    force: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, INIT_USAGE, true);
  if (bool(values.help)) {
    io.stdout.write(`${INIT_USAGE}\n`);
    return EXIT_OK;
  }
  try {
    if (positionals.length > 1) throw new UsageError(`init takes one folder, got ${positionals.length}`, INIT_USAGE);
    const dir = path.resolve(io.cwd, positionals[0] ?? '.');
    const rel = path.relative(io.cwd, dir);
    const shown = rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? dir : rel;
    const plan = await planInit(dir, { force: bool(values.force) });
    if (plan.conflicts.length) {
      throw new UsageError(`init would overwrite in ${shown}: ${plan.conflicts.join(', ')}. Nothing was written; pass --force to overwrite them.`);
    }
    await mkdir(dir, { recursive: true });
    await applyInit(plan);
    line(io.stdout, `relax: scaffolded ${shown === '.' ? 'the current folder' : shown}`);
    for (const f of plan.files) line(io.stdout, `  created  ${f.rel}`);
    const pj = plan.packageJson;
    if (pj.created) line(io.stdout, `  created  package.json (${pj.changes.join(', ')})`);
    else if (pj.changes.length) line(io.stdout, `  updated  package.json (${pj.changes.join(', ')})`);
    for (const k of plan.kept) line(io.stdout, `  kept     ${k} (exists)`);
    for (const c of plan.otherConfigs) line(io.stdout, `  note     ${c} is still there; relax.config.ts takes precedence over it`);
    line(io.stdout);
    line(io.stdout, 'Next:');
    if (shown !== '.') line(io.stdout, `  cd ${/\s/.test(shown) ? JSON.stringify(shown) : shown}`);
    if (pj.changes.includes('devDependencies.relax')) line(io.stdout, '  npm install          # installs relax');
    line(io.stdout, '  npm run build        # relax build: dist/mlp/cpu and dist/mlp/webgpu');
    line(io.stdout, '  npm run dev          # relax build --watch: rebuilds what an edit affects');
    return EXIT_OK;
  } catch (e) {
    return reportError(io, e);
  }
}
