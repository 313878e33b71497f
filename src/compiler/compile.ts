/**
 * The one entry a worker calls: ONNX file → graph IR → pipeline passes → (GPU verification) → backend codegen
 * + VM codegen → artifact files with a manifest. Pure function of the job (deterministic bytes); never prints.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { getBackend } from '../backends/index.js';
import { RelaxError, toDiagnostic, withLocation, type Diagnostic } from '../diagnostics/index.js';
import { MANIFEST_FORMAT, type FileRecord, type Manifest } from '../formats/manifest.js';
import { writeSafetensors } from '../formats/safetensors.js';
import { decodeTensorProto } from '../formats/tensor-proto.js';
import type { HostTensor } from '../formats/tensor.js';
import { nowMs } from '../builtins.js';
import { VERSION } from '../version.js';
import { importOnnx } from './frontend/onnx/import.js';
import type { IRModule } from './ir/types.js';
import type { ArtifactFile, CompileJob, CompileResult, JobPhases, PassTiming } from './job.js';
import { PASSES } from './transform/index.js';
import type { PassContext } from './transform/pass.js';
import { verifyGpuLimits, verifyGpuMemory } from './verify/memory.js';
import { codegenVM } from './vm/codegen.js';

const enc = new TextEncoder();
const sha256 = (d: Uint8Array) => createHash('sha256').update(d).digest('hex');
/** JSON with a trailing newline; key order is construction order, which is deterministic. */
export const stableJson = (v: unknown) => enc.encode(`${JSON.stringify(v, null, 2)}\n`);

export interface PipelineRun {
  readonly mod: IRModule;
  readonly timings: PassTiming[];
  readonly notes: { kind: string; data: Readonly<Record<string, string>> }[];
}

/** Runs the job's pipeline over a module (exported for tests and `relax pipeline --print-ir` style tools). */
export function runPipeline(mod0: IRModule, job: Pick<CompileJob, 'model' | 'target' | 'pipeline'>): PipelineRun {
  const steps = pipelineSteps(mod0, job);
  for (let r = steps.next(); ; r = steps.next()) if (r.done) return r.value;
}

/**
 * runPipeline that lets the thread's event loop run between passes: a worker compiling several jobs at once then
 * starts another job's next tool run as soon as its current one ends, not after this job's whole pipeline.
 */
export async function runPipelineYielding(mod0: IRModule, job: Pick<CompileJob, 'model' | 'target' | 'pipeline'>): Promise<PipelineRun> {
  const steps = pipelineSteps(mod0, job);
  for (let r = steps.next(); ; r = steps.next()) {
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** The pipeline's passes one at a time: each `yield` follows a pass; the return value is the finished run. */
function* pipelineSteps(mod0: IRModule, job: Pick<CompileJob, 'model' | 'target' | 'pipeline'>): Generator<void, PipelineRun, void> {
  const notes: PipelineRun['notes'] = [];
  const ctx: PassContext = { target: job.target, model: job.model, note: (kind, data) => notes.push({ kind, data }) };
  const timings: PassTiming[] = [];
  let mod = mod0;
  for (const stage of job.pipeline.stages) {
    for (const name of stage.passes) {
      const pass = PASSES.get(name);
      if (!pass) throw new RelaxError('RLX_PIPELINE_UNKNOWN_PASS', `unknown pass '${name}' in stage '${stage.name}'`);
      const t0 = performance.now();
      mod = withLocation({ pass: name }, () => pass.run(mod, ctx));
      timings.push({ stage: stage.name, pass: name, ms: Math.round((performance.now() - t0) * 1000) / 1000 });
      yield;
    }
  }
  return { mod, timings, notes };
}

export async function compile(job: CompileJob): Promise<CompileResult> {
  const where = { model: job.model, modelFile: job.modelSource, target: job.target.name };
  const diagnostics: Diagnostic[] = [];
  let timings: PassTiming[] = [];
  let schedule: { kernel: string; rule: string }[] = [];
  const phases: Record<string, number> = {};
  let t = nowMs();
  const phase = (name: keyof JobPhases): void => {
    const now = nowMs();
    phases[name] = Math.round((now - t) * 10) / 10;
    t = now;
  };
  try {
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(job.modelPath);
    } catch {
      throw new RelaxError('RLX_MODEL_NOT_FOUND', `cannot read model file ${job.modelSource}`, where, 'Check the path under `models` in the config.');
    }
    const bind = readBoundInputs(job);
    const imported = withLocation({ ...where, ...(job.configFile ? { configFile: job.configFile } : {}) }, () => importOnnx(bytes, {
      modelPath: job.modelPath, modelName: job.model,
      ...(bind ? { bind, bindKeyPaths: Object.fromEntries(job.bind!.map((b) => [b.name, b.keyPath])) } : {}),
    }));
    phase('import');
    // Async steps: the catch below adds `where` to what they throw (withLocation only sees synchronous throws).
    const run = await runPipelineYielding(imported, job);
    phase('passes');
    timings = run.timings;
    schedule = run.notes.filter((n) => n.kind === 'schedule').map((n) => ({ kernel: n.data.kernel!, rule: n.data.rule! }));
    const mod = run.mod;
    const funcs = Object.values(mod.tir).sort((a, b) => (a.name < b.name ? -1 : 1));
    if (job.target.keys.includes('gpu')) {
      for (const f of funcs) {
        verifyGpuMemory(f, { model: job.model, target: job.target });
        verifyGpuLimits(f, { model: job.model, target: job.target });
      }
    }
    const backend = getBackend(job.target.kind);
    const cg = await backend.codegen(funcs, job.target, { tmpDir: job.tmpDir });
    phase('backend');
    diagnostics.push(...cg.diagnostics);
    const program = codegenVM(mod);
    const used = new Set<string>();
    for (const fn of Object.values(program.functions)) for (const ins of fn.instrs) if ('args' in ins) for (const a of ins.args) if ('c' in a) used.add(a.c);
    const weights: Record<string, HostTensor> = {};
    for (const name of [...used].sort()) weights[name] = mod.constants[name]!;
    const files: ArtifactFile[] = [
      { path: 'program.json', data: stableJson(program) },
      { path: 'weights.safetensors', data: writeSafetensors(weights) },
      ...cg.files.map((f) => ({ path: f.path, data: f.data })),
    ].sort((a, b) => (a.path < b.path ? -1 : 1));
    const records: FileRecord[] = files.map((f) => ({ path: f.path, sha256: sha256(f.data), bytes: f.data.byteLength }));
    const main = program.functions.main!;
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      compiler: { name: 'relax', version: VERSION },
      model: { name: job.model, source: job.modelSource, sha256: sha256(bytes) },
      target: job.target,
      pipeline: job.pipeline,
      inputs: main.params,
      outputs: main.outputs,
      kernels: cg.kernels,
      program: 'program.json',
      weights: 'weights.safetensors',
      kernelFiles: cg.kernelFiles,
      files: records,
    };
    const out: ArtifactFile[] = [...files, { path: 'manifest.json', data: stableJson(manifest) }];
    phase('finish');
    return { ok: true, files: out, diagnostics, timings, schedule, phases };
  } catch (e) {
    diagnostics.push(toDiagnostic(e, where));
    return { ok: false, files: [], diagnostics, timings, schedule, phases };
  }
}

/** Reads the TensorProto files of the job's `bind` entries (diagnostics name the config key path). */
function readBoundInputs(job: CompileJob): Record<string, HostTensor> | undefined {
  if (!job.bind || job.bind.length === 0) return undefined;
  const out: Record<string, HostTensor> = {};
  for (const b of job.bind) {
    const where = { ...(job.configFile ? { configFile: job.configFile } : {}), keyPath: b.keyPath, model: job.model };
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(b.path);
    } catch {
      throw new RelaxError('RLX_BIND_NOT_FOUND', `cannot read ${b.source}, bound to input '${b.name}'`, where, 'Paths under `bind` are relative to the config file.');
    }
    try {
      out[b.name] = decodeTensorProto(bytes, { baseDir: dirname(b.path) }).tensor;
    } catch (e) {
      throw new RelaxError('RLX_BIND_INVALID', `${b.source}, bound to input '${b.name}', is not a readable onnx.TensorProto: ${e instanceof Error ? e.message : String(e)}`,
        where, 'Bind files are serialized onnx.TensorProto messages (e.g. onnx.numpy_helper.from_array(a).SerializeToString()).');
    }
  }
  return out;
}
