import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveTarget } from '../../src/config/targets.js';
import { resolvePipeline } from '../../src/compiler/pipeline/resolve.js';
import { BuildCache, computeCacheKey, explainChange } from '../../src/scheduler/cache.js';
import { externalDataCandidates, type PlannedJob } from '../../src/scheduler/plan.js';
import { ToolchainProbe, probeStats, toolchainsFor } from '../../src/scheduler/toolchains.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function setup(kind: 'cpu' | 'cuda') {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'relax-cache-'));
  dirs.push(dir);
  const modelPath = path.join(dir, 'm.onnx');
  writeFileSync(modelPath, 'model bytes');
  const target = resolveTarget(kind);
  const data = externalDataCandidates(modelPath);
  const job: PlannedJob = {
    id: `m:${kind}`, model: 'm', target, modelPath, modelSource: './m.onnx',
    pipeline: resolvePipeline(target, 'default'), dataCandidates: data,
    inputFiles: [{ label: 'm.onnx', path: modelPath, optional: false }, ...data.map((d) => ({ label: path.basename(d), path: d, optional: true }))],
    configInputs: { source: './m.onnx', target: 't1', pipeline: 'p1' },
  };
  return { dir, job, cache: new BuildCache(path.join(dir, 'cache')) };
}

const TC = { cc: 'cc (Debian 12.2.0-14) 12.2.0', nvcc: 'Cuda compilation tools, release 13.0, V13.0.48', webgpu: 'webgpu@0.6.2' };
const files = [{ path: 'manifest.json', data: new TextEncoder().encode('{}') }];

describe('cache keys and reasons', () => {
  it('a cpu job depends on cc but not on nvcc; a cuda job the other way round', async () => {
    const cpu = setup('cpu');
    const base = await computeCacheKey(cpu.job, { toolchains: TC, compiler: 'relax@0.1.0+aaaa' });
    await cpu.cache.store(cpu.job, base, files);
    const nvcc = await computeCacheKey(cpu.job, { toolchains: { ...TC, nvcc: 'release 13.1' }, compiler: 'relax@0.1.0+aaaa' });
    expect(nvcc.key).toBe(base.key);
    expect(await cpu.cache.lookup(cpu.job, nvcc)).toMatchObject({ hit: true, reason: 'cache hit' });
    const cc = await computeCacheKey(cpu.job, { toolchains: { ...TC, cc: 'cc (Debian 13.1.0) 13.1.0' }, compiler: 'relax@0.1.0+aaaa' });
    expect(await cpu.cache.lookup(cpu.job, cc)).toEqual({ hit: false, reason: 'toolchain changed: cc' });
    const compiler = await computeCacheKey(cpu.job, { toolchains: TC, compiler: 'relax@0.1.0+bbbb' });
    expect(await cpu.cache.lookup(cpu.job, compiler)).toEqual({ hit: false, reason: 'compiler changed' });
    expect(await cpu.cache.lookup(cpu.job, base, { force: true })).toEqual({ hit: false, reason: '--force' });
    const pipeline = await computeCacheKey({ ...cpu.job, configInputs: { ...cpu.job.configInputs, pipeline: 'p2' } }, { toolchains: TC, compiler: 'relax@0.1.0+aaaa' });
    expect(await cpu.cache.lookup(cpu.job, pipeline)).toEqual({ hit: false, reason: 'config changed: pipeline' });

    const cuda = setup('cuda');
    const k1 = await computeCacheKey(cuda.job, { toolchains: TC, compiler: '0.1.0' });
    const k2 = await computeCacheKey(cuda.job, { toolchains: { ...TC, cc: 'other' }, compiler: '0.1.0' });
    const k3 = await computeCacheKey(cuda.job, { toolchains: { ...TC, nvcc: 'release 13.1' }, compiler: '0.1.0' });
    expect(k2.key).toBe(k1.key);
    expect(k3.key).not.toBe(k1.key);
    expect(toolchainsFor('webgpu', TC)).toEqual({ webgpu: 'webgpu@0.6.2' });
  });

  it('content addressing: going back to an earlier model is a hit again; external data counts as model input', async () => {
    const { job, cache } = setup('cpu');
    const env = { toolchains: TC, compiler: '0.1.0' };
    const k1 = await computeCacheKey(job, env);
    await cache.store(job, k1, files);
    writeFileSync(job.modelPath, 'model bytes v2');
    const k2 = await computeCacheKey(job, env);
    expect(await cache.lookup(job, k2)).toEqual({ hit: false, reason: 'model changed: m.onnx' });
    await cache.store(job, k2, files);
    writeFileSync(job.modelPath, 'model bytes');
    const back = await computeCacheKey(job, env);
    expect(back.key).toBe(k1.key);
    expect((await cache.lookup(job, back)).hit).toBe(true);
    writeFileSync(`${job.modelPath}.data`, 'weights');
    const withData = await computeCacheKey(job, env);
    expect(withData.paths).toEqual([job.modelPath, `${job.modelPath}.data`]);
    expect(explainChange(back.inputs, withData.inputs)).toBe('model changed: m.onnx.data');
  });

  it('probes a toolchain once per binary: the version is memoised by the binary stamp in a file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'relax-tc-'));
    dirs.push(dir);
    const memo = path.join(dir, 'toolchains.json');
    const a = new ToolchainProbe(memo);
    const v = await a.version('cc');
    await a.save();
    expect(typeof v).toBe('string');
    const before = probeStats.spawned;
    const b = new ToolchainProbe(memo);
    expect(await b.version('cc')).toBe(v);
    expect(await b.version('webgpu')).toMatch(/^webgpu@\d|^none$/);
    expect(probeStats.spawned).toBe(before);
  });
});
