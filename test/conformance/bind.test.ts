/**
 * `bind` (graph inputs fixed at build time): config validation and key paths, plan-time file checks, the cache
 * key, the importer (bound inputs become constants like initializers) and compile-time diagnostics.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/compiler/compile.js';
import { importOnnx } from '../../src/compiler/frontend/onnx/import.js';
import { resolvePipeline } from '../../src/compiler/pipeline/resolve.js';
import { validateConfig } from '../../src/config/load.js';
import { resolveTarget } from '../../src/config/targets.js';
import { thrown } from '../thrown.js';
import { encodeTensorProto } from '../../src/formats/tensor-proto.js';
import { fromTyped, toNumbers } from '../../src/formats/tensor.js';
import { computeCacheKey } from '../../src/scheduler/cache.js';
import { planJobs } from '../../src/scheduler/plan.js';
import { buildModel } from '../frontend/onnx-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'relax-bind-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const model = buildModel({
  opset: 17,
  nodes: [{ op: 'Reshape', inputs: ['data', 'shape'], outputs: ['out'] }],
  inputs: [{ name: 'data', dtype: 'float32', dims: ['n', 6] }, { name: 'shape', dtype: 'int64', dims: [2] }],
  outputs: [{ name: 'out', dtype: 'float32' }],
});
writeFileSync(join(dir, 'net.onnx'), model);
const shape = (v: number[]) => fromTyped('int64', [v.length], new BigInt64Array(v.map(BigInt)));
writeFileSync(join(dir, 'shape.pb'), encodeTensorProto(shape([-1, 3]), 'shape'));
writeFileSync(join(dir, 'not-a-tensor.pb'), new Uint8Array([0xff, 0xff, 0xff, 0x0f, 0x07]));

const configFile = join(dir, 'relax.config.json');
const config = (bind: unknown) => validateConfig({ models: { net: { source: './net.onnx', bind } } }, configFile, dir);

describe('bind in the config', () => {
  it('resolves paths relative to the config and records each entry\'s key path', () => {
    const c = config({ shape: './shape.pb', 'odd.name': 'shape.pb' });
    expect(c.models[0]!.bind).toEqual([
      { name: 'shape', source: './shape.pb', path: join(dir, 'shape.pb'), keyPath: 'models.net.bind.shape' },
      { name: 'odd.name', source: 'shape.pb', path: join(dir, 'shape.pb'), keyPath: 'models.net.bind["odd.name"]' },
    ]);
    expect(validateConfig({ models: { net: './net.onnx' } }, configFile, dir).models[0]!.bind).toBeUndefined();
  });

  it('rejects values that are not paths, naming the key path; suggests `bind` for a typo', () => {
    const d = thrown(() => config({ shape: 3 }));
    expect(d.code).toBe('RLX_CONFIG_INVALID');
    expect(d.where?.keyPath).toBe('models.net.bind.shape');
    expect(d.message).toContain('expected the path of an onnx.TensorProto (.pb) file, got number 3');
    const typo = thrown(() => validateConfig({ models: { net: { source: './net.onnx', bnd: {} } } }, configFile, dir));
    expect(typo.message).toContain('did you mean "bind"?');
  });

  it('a missing bind file is a plan-time diagnostic at its key path', () => {
    const d = thrown(() => planJobs(config({ shape: './missing.pb' }), { cwd: dir }));
    expect(d.code).toBe('RLX_BIND_NOT_FOUND');
    expect(d.where).toMatchObject({ keyPath: 'models.net.bind.shape', model: 'net' });
    expect(d.message).toContain("input 'shape'");
  });

  it('the bound file\'s bytes and the bind entries are part of the cache key', async () => {
    const env = { toolchains: {} as never, compiler: 'test' };
    const [plain] = planJobs(validateConfig({ models: { net: './net.onnx' } }, configFile, dir), { cwd: dir });
    const [bound] = planJobs(config({ shape: './shape.pb' }), { cwd: dir });
    const k0 = await computeCacheKey(plain!, env);
    const k1 = await computeCacheKey(bound!, env);
    expect(k1.paths).toContain(join(dir, 'shape.pb'));
    expect(k1.key).not.toBe(k0.key);
    expect(Object.keys(k1.inputs.files)).toContain('shape.pb (bound to shape)');
    writeFileSync(join(dir, 'shape2.pb'), encodeTensorProto(shape([-1, 2]), 'shape'));
    const [bound2] = planJobs(config({ shape: './shape2.pb' }), { cwd: dir });
    const k2 = await computeCacheKey(bound2!, env);
    expect(k2.key).not.toBe(k1.key);
    expect(k2.inputs.files['shape2.pb (bound to shape)']).not.toBe(k1.inputs.files['shape.pb (bound to shape)']);
  });
});

describe('bind in the importer', () => {
  const opts = { modelPath: join(dir, 'net.onnx'), modelName: 'net' };

  it('a bound input is a constant, like an initializer, and no longer a parameter', () => {
    expect(() => importOnnx(model, opts)).toThrow(/not known at build time/);
    const mod = importOnnx(model, { ...opts, bind: { shape: shape([-1, 3]) } });
    const main = mod.functions.main!;
    expect(main.k === 'graph_func' && main.params.map((p) => p.name)).toEqual(['data']);
    // Reshape consumed the shape at import time: the output shape is [n*6/3, 3].
    const b = main.k === 'graph_func' ? main.blocks[0]!.bindings.at(-1)! : undefined;
    expect(b?.sinfo.k === 'tensor' && b.sinfo.shape.length).toBe(2);
    expect(JSON.stringify(b?.sinfo)).toContain('"value":3');
  });

  it('names the key path when the name is not a graph input, or the tensor does not fit the input', () => {
    const unknown = thrown(() => importOnnx(model, { ...opts, bind: { shap: shape([-1, 3]) }, bindKeyPaths: { shap: 'models.net.bind.shap' } }));
    expect(unknown).toMatchObject({ code: 'RLX_BIND_UNKNOWN_INPUT', where: { keyPath: 'models.net.bind.shap' } });
    expect(unknown.hint).toContain("'data', 'shape'");
    const dtype = thrown(() => importOnnx(model, { ...opts, bind: { shape: fromTyped('float32', [2], new Float32Array([1, 2])) } }));
    expect(dtype.code).toBe('RLX_BIND_MISMATCH');
    expect(dtype.message).toContain('int64');
    const dims = thrown(() => importOnnx(model, { ...opts, bind: { shape: shape([6]) } }));
    expect(dims.message).toContain('has shape [2], but the bound tensor has shape [1]');
    // A bound input with a symbolic dim takes the tensor's shape.
    const mod = importOnnx(model, { ...opts, bind: { data: fromTyped('float32', [1, 6], new Float32Array(6)), shape: shape([3, 2]) } });
    expect(Object.values(mod.constants).map((t) => toNumbers(t).length).sort()).toEqual([6]);
  });
});

describe('bind at compile time', () => {
  const target = resolveTarget('cpu');
  const job = (source: string) => ({
    model: 'net', modelPath: join(dir, 'net.onnx'), modelSource: './net.onnx', target, pipeline: resolvePipeline(target, 'default'), tmpDir: dir,
    configFile: 'relax.config.json', bind: [{ name: 'shape', path: join(dir, source), source: `./${source}`, keyPath: 'models.net.bind.shape' }],
  });

  it('a file that is not a TensorProto is RLX_BIND_INVALID at the key path', async () => {
    const r = await compile(job('not-a-tensor.pb'));
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]).toMatchObject({ code: 'RLX_BIND_INVALID', where: { keyPath: 'models.net.bind.shape', configFile: 'relax.config.json', model: 'net' } });
    expect(r.diagnostics[0]!.message).toContain("./not-a-tensor.pb, bound to input 'shape', is not a readable onnx.TensorProto");
  });

  it('unknown input names carry the config file and key path through compile', async () => {
    const j = job('shape.pb');
    const r = await compile({ ...j, bind: [{ ...j.bind[0]!, name: 'shap', keyPath: 'models.net.bind.shap' }] });
    expect(r.diagnostics[0]).toMatchObject({ code: 'RLX_BIND_UNKNOWN_INPUT', where: { keyPath: 'models.net.bind.shap', configFile: 'relax.config.json' } });
  });
});
