/**
 * relax inside a Turborepo monorepo, with the real `turbo` binary (devDependency): a temporary npm-workspaces
 * repo with packages/a and packages/b, each with its own relax.config.ts, a small model and `build: relax build`
 * (this checkout's relax through a node_modules symlink; dist/ built by `npm test`). turbo.json is the one the
 * README's "Monorepos" section documents. Telemetry and the update check are off; there is no remote cache.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exampleMlp } from '../../src/cli/example-model.js';
import { encodeTensorProto } from '../../src/formats/tensor-proto.js';
import { fromTyped } from '../../src/formats/tensor.js';

const ROOT = resolve(__dirname, '../..');
const CLI = join(ROOT, 'bin/relax.js');
const TURBO = join(ROOT, 'node_modules/.bin/turbo');

/** The turbo.json of the README's "Monorepos" section. */
export const TURBO_JSON = {
  $schema: 'https://turborepo.com/schema.json',
  tasks: {
    build: {
      inputs: ['relax.config.*', 'models/**', 'package.json'],
      outputs: ['dist/**'],
      env: ['CC', 'NVCC', 'CUDA_HOME', 'CUDA_PATH'],
      passThroughEnv: ['EGL_PLATFORM', 'RELAX_WEBGPU_FLAGS'],
    },
  },
};

const PACKAGES = [
  { name: 'a', model: (doc?: string) => exampleMlp({ seed: 1, ...(doc ? { docString: doc } : {}) }) },
  { name: 'b', model: () => exampleMlp({ seed: 2, hidden: 24 }) },
] as const;

function turboEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // No remote cache: drop every TURBO_* setting the outer environment may carry (tokens, teams, APIs).
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TURBO_')) env[k] = v;
  return { ...env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', TURBO_NO_UPDATE_NOTIFIER: '1', EGL_PLATFORM: 'surfaceless' };
}

function npmVersion(): string {
  const r = spawnSync('npm', ['--version'], { encoding: 'utf8' });
  return r.status === 0 && /^\d+\.\d+\.\d+/.test(r.stdout.trim()) ? r.stdout.trim() : '10.0.0';
}

function makeRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'relax-turbo-'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'mono', private: true, workspaces: ['packages/*'], packageManager: `npm@${npmVersion()}` }, null, 2));
  writeFileSync(join(dir, 'turbo.json'), JSON.stringify(TURBO_JSON, null, 2));
  // What `npm install` of a `relax` dependency would leave: the package and its bin, here pointing at this checkout.
  mkdirSync(join(dir, 'node_modules/.bin'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules/relax'), 'dir');
  symlinkSync('../relax/bin/relax.js', join(dir, 'node_modules/.bin/relax'));
  for (const p of PACKAGES) {
    const pkg = join(dir, 'packages', p.name);
    mkdirSync(join(pkg, 'models'), { recursive: true });
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: p.name, version: '1.0.0', private: true, scripts: { build: 'relax build' }, devDependencies: { relax: `file:${ROOT}` } }, null, 2));
    writeFileSync(join(pkg, 'relax.config.ts'), `import { defineConfig } from 'relax';\nexport default defineConfig({ models: { ${p.name}: 'models/mlp.onnx' }, targets: ['cpu'] });\n`);
    writeFileSync(join(pkg, 'models/mlp.onnx'), p.model());
    writeFileSync(join(pkg, 'README.md'), `# ${p.name}\n`);
  }
  return dir;
}

interface TaskSummary { taskId: string; cache: { status: string; local: boolean; remote: boolean }; inputs: Record<string, string> }

function turbo(dir: string, ...extra: string[]) {
  const before = new Set(existsSync(join(dir, '.turbo/runs')) ? readdirSync(join(dir, '.turbo/runs')) : []);
  const r = spawnSync(TURBO, ['run', 'build', '--summarize', '--cache=local:rw', ...extra], { cwd: dir, env: turboEnv(), encoding: 'utf8', timeout: 120_000 });
  const log = `${r.stdout}\n${r.stderr}`;
  const runs = existsSync(join(dir, '.turbo/runs')) ? readdirSync(join(dir, '.turbo/runs')).filter((f) => !before.has(f)) : [];
  const summary = runs.length === 1
    ? JSON.parse(readFileSync(join(dir, '.turbo/runs', runs[0]!), 'utf8')) as { execution: { cached: number; attempted: number; exitCode: number }; tasks: TaskSummary[] }
    : undefined;
  const status = (pkg: string) => summary?.tasks.find((t) => t.taskId === `${pkg}#build`)?.cache.status;
  return { code: r.status, log, summary, status };
}

function relaxRun(artifact: string, input: string, out: string) {
  return spawnSync(process.execPath, [CLI, 'run', artifact, '--input', `x=${input}`, '--out', out], { encoding: 'utf8', env: { ...process.env, EGL_PLATFORM: 'surfaceless' }, timeout: 60_000 });
}

const hasTurbo = existsSync(TURBO);
const repos: string[] = [];
afterAll(() => {
  for (const d of repos) rmSync(d, { recursive: true, force: true });
});

describe.runIf(hasTurbo || process.env.CI)('turbo run build in an npm-workspaces monorepo', () => {
  const dir = hasTurbo ? makeRepo() : '';
  repos.push(dir);
  const artifact = (p: string) => join(dir, 'packages', p, 'dist', p, 'cpu');
  const firstOutputs: Record<string, Buffer> = {};
  const firstManifests: Record<string, Buffer> = {};

  it('the first run builds both packages (cache misses, relax ran)', () => {
    const r = turbo(dir);
    expect(r.code, r.log).toBe(0);
    expect(r.summary?.execution).toMatchObject({ attempted: 2, cached: 0, exitCode: 0 });
    const x = new Float32Array(2 * 16).map((_, i) => Math.cos(i * 0.7) * 3);
    writeFileSync(join(dir, 'x.pb'), encodeTensorProto(fromTyped('float32', [2, 16], x), 'x'));
    for (const p of PACKAGES) {
      expect(r.status(p.name)).toBe('MISS');
      expect(r.log).toContain(`${p.name}:build: ✓ ${p.name}:cpu  built`);
      expect(existsSync(join(artifact(p.name), 'kernels.so'))).toBe(true);
      // The task's inputs are exactly what turbo.json declares.
      expect(Object.keys(r.summary!.tasks.find((t) => t.taskId === `${p.name}#build`)!.inputs).sort()).toEqual(['models/mlp.onnx', 'package.json', 'relax.config.ts']);
      firstManifests[p.name] = readFileSync(join(artifact(p.name), 'manifest.json'));
      const run = relaxRun(artifact(p.name), join(dir, 'x.pb'), join(dir, `out-first-${p.name}`));
      expect(run.status, run.stderr).toBe(0);
      firstOutputs[p.name] = readFileSync(join(dir, `out-first-${p.name}/output_0.pb`));
    }
    expect(firstOutputs.a!.equals(firstOutputs.b!)).toBe(false);
  }, 120_000);

  it('the second run is a full turbo cache hit; a file outside the inputs does not change that', () => {
    writeFileSync(join(dir, 'packages/a/README.md'), '# a, edited\n');
    const r = turbo(dir);
    expect(r.code, r.log).toBe(0);
    expect(r.log).toContain('FULL TURBO');
    expect(r.log).toMatch(/Cached:\s+2 cached, 2 total/);
    expect(r.summary?.execution).toMatchObject({ attempted: 2, cached: 2 });
    for (const p of PACKAGES) expect(r.status(p.name)).toBe('HIT');
  }, 120_000);

  it('with the outDirs deleted, turbo restores them from its cache without running relax; the restored artifacts run and match', () => {
    for (const p of PACKAGES) rmSync(join(dir, 'packages', p.name, 'dist'), { recursive: true });
    const r = turbo(dir, '--output-logs=hash-only');
    expect(r.code, r.log).toBe(0);
    expect(r.log).toContain('FULL TURBO');
    for (const p of PACKAGES) {
      expect(r.status(p.name)).toBe('HIT');
      expect(r.log).toContain(`${p.name}:build: cache hit, suppressing logs`);
      expect(statSync(join(artifact(p.name), 'kernels.so')).size).toBeGreaterThan(0);
      expect(readFileSync(join(artifact(p.name), 'manifest.json')).equals(firstManifests[p.name]!)).toBe(true);
      const run = relaxRun(artifact(p.name), join(dir, 'x.pb'), join(dir, `out-restored-${p.name}`));
      expect(run.status, run.stderr).toBe(0);
      expect(readFileSync(join(dir, `out-restored-${p.name}/output_0.pb`)).equals(firstOutputs[p.name]!)).toBe(true);
    }
  }, 120_000);

  it('editing one package\'s model rebuilds that package only', () => {
    writeFileSync(join(dir, 'packages/a/models/mlp.onnx'), PACKAGES[0].model('edited'));
    const r = turbo(dir);
    expect(r.code, r.log).toBe(0);
    expect(r.status('a')).toBe('MISS');
    expect(r.status('b')).toBe('HIT');
    expect(r.log).toMatch(/Cached:\s+1 cached, 2 total/);
    expect(r.log).toContain('a:build: ✓ a:cpu  built');
  }, 120_000);
});

if (!hasTurbo && !process.env.CI) console.warn('skipped turbo e2e: node_modules/.bin/turbo is not installed (npm install)');
