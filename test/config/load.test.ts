import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { quickTransform } from '../../src/config/transpile.js';
import { isRelaxError, type Diagnostic } from '../../src/diagnostics/index.js';
import { project } from '../scheduler/helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
const proj = (files: Record<string, string>) => {
  const p = project(files);
  cleanups.push(p.cleanup);
  return p;
};

async function diag(p: Promise<unknown>): Promise<Diagnostic> {
  try {
    await p;
  } catch (e) {
    if (isRelaxError(e)) return e.diagnostic;
    throw e;
  }
  throw new Error('expected a RelaxError');
}

describe('config discovery', () => {
  const cases: [string, string][] = [
    ['relax.config.ts', `import { defineConfig } from 'relax';\nconst outDir: string = 'build';\nexport default defineConfig({ outDir, models: { m: './m.onnx' }, targets: ['cuda'] });\n`],
    ['relax.config.mts', `import { defineConfig } from 'relax';\nexport default defineConfig({ outDir: 'build', models: { m: './m.onnx' }, targets: ['cuda'] as const });\n`],
    ['relax.config.mjs', `export default { outDir: 'build', models: { m: './m.onnx' }, targets: ['cuda'] };\n`],
    ['relax.config.js', `export default { outDir: 'build', models: { m: './m.onnx' }, targets: ['cuda'] };\n`],
    ['relax.config.cjs', `module.exports = { outDir: 'build', models: { m: './m.onnx' }, targets: ['cuda'] };\n`],
    ['relax.config.json', JSON.stringify({ outDir: 'build', models: { m: './m.onnx' }, targets: ['cuda'] })],
  ];
  for (const [file, text] of cases) {
    it(`finds and loads ${file} from a subfolder`, async () => {
      const p = proj({ [file]: text, 'm.onnx': 'x', 'sub/deeper/.keep': '' });
      const cfg = await loadConfig({ cwd: path.join(p.dir, 'sub/deeper') });
      expect(cfg.file).toBe(path.join(p.dir, file));
      expect(cfg.outDir).toBe(path.join(p.dir, 'build'));
      expect(cfg.cacheDir).toBe(path.join(p.dir, 'node_modules/.cache/relax'));
      expect(cfg.models).toHaveLength(1);
      expect(cfg.models[0]).toMatchObject({ name: 'm', source: './m.onnx', path: path.join(p.dir, 'm.onnx'), keyPath: 'models.m' });
      expect(cfg.models[0]!.targets.map((t) => t.target)).toEqual([expect.objectContaining({ kind: 'cuda', name: 'cuda', keys: ['cuda', 'gpu'] })]);
    });
  }

  it('reads package.json#relax', async () => {
    const p = proj({ 'm.onnx': 'x' });
    p.write('package.json', JSON.stringify({ name: 'x', relax: { models: { m: './m.onnx' } } }));
    const cfg = await loadConfig({ cwd: p.dir });
    expect(cfg.file).toBe(path.join(p.dir, 'package.json'));
    expect(cfg.models[0]!.targets.map((t) => t.target.name)).toEqual(['cpu']);
    expect(cfg.pipeline).toBe('default');
    p.write('package.json', JSON.stringify({ name: 'x', relax: { models: { m: 3 } } }));
    const d = await diag(loadConfig({ cwd: p.dir }));
    expect(d).toMatchObject({ code: 'RLX_CONFIG_INVALID', where: { keyPath: 'relax.models.m' } });
  });

  it('loads an explicit --config file relative to cwd; paths are relative to the config file', async () => {
    const p = proj({ 'configs/relax.json': JSON.stringify({ models: { m: '../models/m.onnx' }, outDir: 'out' }), 'models/m.onnx': 'x' });
    const cfg = await loadConfig({ cwd: p.dir, configFile: 'configs/relax.json' });
    expect(cfg.models[0]!.path).toBe(path.join(p.dir, 'models/m.onnx'));
    expect(cfg.outDir).toBe(path.join(p.dir, 'configs/out'));
  });

  it('loads TS configs through both transpiles: sucrase for plain TS, Babel for import.meta and top-level await', async () => {
    const plain = `import type { RelaxConfig } from 'relax';\nimport { names, Kind } from './models';\nconst cfg: RelaxConfig = { models: Object.fromEntries(names.map((n) => [n, \`./\${n}.onnx\`])), targets: [Kind.Gpu] };\nexport default cfg;\n`;
    const local = `export enum Kind { Gpu = 'cuda' }\nexport interface Unused { a: number }\nexport const names: readonly string[] = ['a', 'b'];\n`;
    expect(quickTransform({ source: plain, filename: 'relax.config.ts', ts: true })?.code).toMatch(/require\('\.\/models'\)/);
    expect(quickTransform({ source: `export default { dir: import.meta.url };`, filename: 'relax.config.ts', ts: true })).toBeUndefined();
    expect(quickTransform({ source: `const x = await Promise.resolve(1);\nexport default x;`, filename: 'relax.config.ts', ts: true })).toBeUndefined();
    const a = proj({ 'relax.config.ts': plain, 'models.ts': local });
    const ca = await loadConfig({ cwd: a.dir });
    expect(ca.models.map((m) => m.name)).toEqual(['a', 'b']);
    expect(ca.targets.map((t) => t.target.kind)).toEqual(['cuda']);
    const b = proj({ 'relax.config.ts': `const here: string = new URL('.', import.meta.url).pathname;\nconst names = await Promise.resolve(['c']);\nexport default { models: Object.fromEntries(names.map((n) => [n, here + n + '.onnx'])) };\n` });
    const cb = await loadConfig({ cwd: b.dir });
    expect(cb.models.map((m) => [m.name, m.path])).toEqual([['c', path.join(b.dir, 'c.onnx')]]);
  });

  it('sees edits to a TS config on reload (no module cache)', async () => {
    const p = proj({ 'relax.config.ts': `export default { models: { a: './a.onnx' } };` });
    expect((await loadConfig({ cwd: p.dir })).models.map((m) => m.name)).toEqual(['a']);
    p.write('relax.config.ts', `export default { models: { b: './b.onnx' } };`);
    expect((await loadConfig({ cwd: p.dir })).models.map((m) => m.name)).toEqual(['b']);
  });
});

describe('config errors', () => {
  it('RLX_CONFIG_NOT_FOUND when there is no config up to the project root', async () => {
    const p = proj({});
    const d = await diag(loadConfig({ cwd: p.dir }));
    expect(d.code).toBe('RLX_CONFIG_NOT_FOUND');
    expect(d.hint).toContain('relax.config.ts');
    expect((await diag(loadConfig({ cwd: p.dir, configFile: 'nope.ts' }))).code).toBe('RLX_CONFIG_NOT_FOUND');
  });

  it('RLX_CONFIG_LOAD_FAILED for a syntax error or a throwing config: message, no stack', async () => {
    const p = proj({ 'relax.config.ts': `export default { models: { a: './a.onnx' ` });
    const d = await diag(loadConfig({ cwd: p.dir }));
    expect(d.code).toBe('RLX_CONFIG_LOAD_FAILED');
    expect(d.where?.configFile).toBe('relax.config.ts');
    expect(d.message).toMatch(/^could not load relax\.config\.ts: /);
    expect(d.message).not.toMatch(/\n\s+at /);
    p.write('relax.config.ts', `throw new Error('no models today');\nexport default {};`);
    const d2 = await diag(loadConfig({ cwd: p.dir }));
    expect(d2).toMatchObject({ code: 'RLX_CONFIG_LOAD_FAILED', message: 'could not load relax.config.ts: no models today' });
  });

  it('RLX_CONFIG_LOAD_FAILED for broken JSON', async () => {
    const p = proj({ 'relax.config.json': '{ "models": ' });
    const d = await diag(loadConfig({ cwd: p.dir }));
    expect(d.code).toBe('RLX_CONFIG_LOAD_FAILED');
    expect(d.where?.configFile).toBe('relax.config.json');
  });

  const invalid = (raw: unknown) => {
    try {
      validateConfig(raw, '/proj/relax.config.ts', '/proj');
    } catch (e) {
      if (isRelaxError(e)) return e.diagnostic;
      throw e;
    }
    throw new Error('expected RLX_CONFIG_INVALID');
  };

  it('names the file, the key path and what was expected', () => {
    const d = invalid({ models: { bert: { source: './b.onnx', targets: ['cpu', { kind: 'tpu' }] } } });
    expect(d.code).toBe('RLX_CONFIG_INVALID');
    expect(d.where).toEqual({ configFile: 'relax.config.ts', keyPath: 'models.bert.targets[1].kind' });
    expect(d.message).toBe('relax.config.ts: models.bert.targets[1].kind: expected a target kind ("cpu", "cuda", "webgpu"), got "tpu"');
  });

  it.each([
    [{ models: { m: './m.onnx' }, targets: ['cpx'] }, 'targets[0]', /expected a target kind or tag \("cpu", "cuda", "webgpu", "nvidia\/h100".*got "cpx"/],
    [{ models: { m: 42 } }, 'models.m', /expected a path to an \.onnx file or \{ source, targets\?, pipeline\?, bind\? \}, got number 42/],
    [{ models: { m: { source: './m.onnx', target: ['cpu'] } } }, 'models.m.target', /unknown key "target" \(expected one of: source, targets, pipeline, bind; did you mean "targets"\?\)/],
    [{ models: { m: './m.onnx' }, outdir: 'x' }, 'outdir', /unknown key "outdir".*did you mean "outDir"/],
    [{ models: {} }, 'models', /expected at least one model/],
    [{}, 'models', /expected `models`/],
    [{ models: { '../evil': './m.onnx' } }, 'models["../evil"]', /must be usable as a folder name/],
    [{ models: { m: './m.onnx' }, targets: ['cuda', 'nvidia/h100'] }, 'targets[1]', /target name "cuda" is already used by entry \[0\].*give one of them a `name`/],
    [{ models: { m: './m.onnx' }, targets: [{ kind: 'cuda', name: 'a/b' }] }, 'targets[0].name', /folder name/],
    [{ models: { m: './m.onnx' }, targets: [{ name: 'x' }] }, 'targets[0].kind', /needs a kind .* or a tag/],
    [{ models: { m: './m.onnx' }, targets: [{ kind: 'cpu', tag: 'nvidia/h100' }] }, 'targets[0].kind', /tag "nvidia\/h100" is a cuda target, but kind is "cpu"/],
    [{ models: { m: './m.onnx' }, targets: [{ kind: 'cuda', maxThreadsPerBlock: 'lots' }] }, 'targets[0].maxThreadsPerBlock', /expected maxThreadsPerBlock \(a positive integer\), got "lots"/],
    [{ models: { m: './m.onnx' }, pipeline: 'fast' }, 'pipeline', /expected a pipeline name \("default", "generic", "cuda", "webgpu"\) or a function over the stages, got "fast"/],
    [{ models: { m: { source: './m.onnx', pipeline: 3 } } }, 'models.m.pipeline', /or a function over the stages, got number 3/],
    ['nope', undefined, /expected the config to be an object/],
  ])('%j -> %s', (raw, keyPath, message) => {
    const d = invalid(raw);
    expect(d.code).toBe('RLX_CONFIG_INVALID');
    expect(d.where?.keyPath).toBe(keyPath);
    expect(d.message).toMatch(message);
  });

  it('lists further problems after the first', () => {
    const d = invalid({ models: { m: './m.onnx' }, targets: ['cpx'], outDir: 3 });
    expect(d.message.split('\n')).toHaveLength(2);
    expect(d.message).toMatch(/also at (outDir|targets\[0\]): /);
  });
});
