import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { StageSpec } from '../../src/compiler/pipeline/registry.js';
import { isRelaxError } from '../../src/diagnostics/index.js';
import { planJobs } from '../../src/scheduler/plan.js';

const cfg = (raw: unknown) => validateConfig(raw, '/proj/relax.config.ts', '/proj');
const plan = (raw: unknown, filter?: string[]) => planJobs(cfg(raw), { cwd: '/proj', checkFiles: false, ...(filter ? { filter } : {}) });
const byId = (raw: unknown) => Object.fromEntries(plan(raw).map((j) => [j.id, j.pipeline]));
const dropFuse = (stages: StageSpec[]) => stages.map((s) => ({ ...s, passes: s.passes.filter((p) => p !== 'FuseOps' && p !== 'FuseTIR') }));

describe('pipeline precedence (model > target object > top level)', () => {
  it('"default" resolves per target: generic on cpu, the GPU pipeline on cuda/webgpu', () => {
    const p = byId({ models: { m: './m.onnx' }, targets: ['cpu', 'cuda', 'webgpu'] });
    expect(p['m:cpu']).toMatchObject({ name: 'generic', resolvedFrom: 'default' });
    expect(p['m:cuda']).toMatchObject({ name: 'cuda', resolvedFrom: 'default' });
    expect(p['m:webgpu']!.stages.flatMap((s) => s.passes)).toContain('ApplyDefaultSchedule');
    expect(p['m:cpu']!.stages.flatMap((s) => s.passes)).not.toContain('FuseOps');
  });

  it('a target object pipeline beats the top level; a model pipeline beats both', () => {
    const raw = {
      pipeline: 'generic',
      targets: ['cpu', { kind: 'cuda', pipeline: 'cuda' }],
      models: { a: './a.onnx', b: { source: './b.onnx', pipeline: 'default' } },
    };
    const p = byId(raw);
    expect(p['a:cpu']!.name).toBe('generic');
    expect(p['a:cuda']!.name).toBe('cuda');
    expect(p['b:cpu']).toMatchObject({ name: 'generic', resolvedFrom: 'default' });
    expect(p['b:cuda']).toMatchObject({ name: 'cuda', resolvedFrom: 'default' });
    const p2 = byId({ ...raw, models: { b: { source: './b.onnx', pipeline: 'generic' } } });
    expect(p2['b:cuda']).toMatchObject({ name: 'generic', reason: "pipeline 'generic' was named explicitly" });
  });

  it('a function edits the stages of what the less specific named entry resolves to', () => {
    const p = byId({ pipeline: 'generic', targets: ['cuda', { kind: 'webgpu', pipeline: dropFuse }], models: { m: { source: './m.onnx' } } });
    expect(p['m:cuda']!.name).toBe('generic');
    const w = p['m:webgpu']!;
    expect(w.name).toBe('generic+custom');
    expect(w.reason).toMatch(/edited by the config's pipeline function/);
    const p2 = byId({ targets: ['webgpu'], models: { m: { source: './m.onnx', pipeline: dropFuse } } });
    expect(p2['m:webgpu']!.name).toBe('webgpu+custom');
    const passes = p2['m:webgpu']!.stages.flatMap((s) => s.passes);
    expect(passes).toContain('ApplyDefaultSchedule');
    expect(passes).not.toContain('FuseOps');
  });

  it('a pipeline function that returns an unknown pass or throws is reported with its key path', () => {
    const bad = (stages: StageSpec[]) => [...stages, { name: 'extra', passes: ['MakeItFast'] }];
    try {
      plan({ models: { m: { source: './m.onnx', pipeline: bad } } });
      expect.unreachable();
    } catch (e) {
      expect(isRelaxError(e) && e.diagnostic).toMatchObject({
        code: 'RLX_PIPELINE_UNKNOWN_PASS', where: { configFile: 'relax.config.ts', keyPath: 'models.m.pipeline', model: 'm', target: 'cpu' },
      });
    }
    try {
      plan({ targets: [{ kind: 'cpu', pipeline: () => { throw new Error('oops'); } }], models: { m: './m.onnx' } });
      expect.unreachable();
    } catch (e) {
      expect(isRelaxError(e) && e.diagnostic).toMatchObject({ code: 'RLX_PIPELINE_FN_FAILED', message: 'the pipeline function threw: oops', where: { keyPath: 'targets[0].pipeline' } });
    }
  });
});

describe('planning', () => {
  const raw = { models: { bert_small: './b.onnx', bert_large: './bl.onnx', mlp: { source: './mlp.onnx', targets: ['cpu', { tag: 'nvidia/h100', name: 'h100' }] } }, targets: ['cpu', 'cuda'] };

  it('one job per model x target, model targets replacing the top level', () => {
    expect(plan(raw).map((j) => j.id)).toEqual(['bert_small:cpu', 'bert_small:cuda', 'bert_large:cpu', 'bert_large:cuda', 'mlp:cpu', 'mlp:h100']);
    const h100 = plan(raw).find((j) => j.id === 'mlp:h100')!;
    expect(h100.target).toMatchObject({ kind: 'cuda', name: 'h100', tag: 'nvidia/h100', attrs: { arch: 'sm_90' } });
    expect(h100.modelPath).toBe('/proj/mlp.onnx');
    expect(h100.dataCandidates).toEqual(['/proj/mlp.data', '/proj/mlp.onnx.data']);
  });

  it.each([
    [['mlp'], ['mlp:cpu', 'mlp:h100']],
    [['bert*'], ['bert_small:cpu', 'bert_small:cuda', 'bert_large:cpu', 'bert_large:cuda']],
    [['*:cuda'], ['bert_small:cuda', 'bert_large:cuda']],
    [['bert_small:*', 'mlp:h1*'], ['bert_small:cpu', 'bert_small:cuda', 'mlp:h100']],
    [['{mlp,bert_large}:cpu'], ['bert_large:cpu', 'mlp:cpu']],
  ])('--filter %j', (filter, ids) => {
    expect(plan(raw, filter).map((j) => j.id)).toEqual(ids);
  });

  it('a filter that matches nothing is an error listing the jobs', () => {
    try {
      plan(raw, ['gpt*']);
      expect.unreachable();
    } catch (e) {
      expect(isRelaxError(e) && e.diagnostic.code).toBe('RLX_FILTER_NO_MATCH');
      expect((e as Error & { diagnostic: { hint: string } }).diagnostic.hint).toContain('mlp:h100');
    }
  });

  it('a missing model file is RLX_MODEL_NOT_FOUND with the key path and the resolved path', () => {
    try {
      planJobs(cfg({ models: { ghost: './models/ghost.onnx' } }), { cwd: '/proj' });
      expect.unreachable();
    } catch (e) {
      expect(isRelaxError(e) && e.diagnostic).toMatchObject({
        code: 'RLX_MODEL_NOT_FOUND',
        message: "model 'ghost': file ./models/ghost.onnx not found (resolved to /proj/models/ghost.onnx)",
        where: { configFile: 'relax.config.ts', keyPath: 'models.ghost', model: 'ghost', modelFile: './models/ghost.onnx' },
      });
    }
  });
});
