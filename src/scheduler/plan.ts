/**
 * Job planning: one job per model × target, with its pipeline fully resolved on the main thread (named pipeline
 * via resolvePipeline, then the config's function via applyPipelineFn), so workers only ever see plain data.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { modelOutline } from '../compiler/frontend/onnx/load.js';
import path from 'node:path';
import picomatch from 'picomatch';
import { RelaxError, isRelaxError } from '../diagnostics/index.js';
import type { PipelineRecord, Target } from '../formats/manifest.js';
import type { BoundInput } from '../compiler/job.js';
import { applyPipelineFn, resolvePipeline } from '../compiler/pipeline/resolve.js';
import { knownPassNames } from '../compiler/pipeline/passes.js';
import type { LoadedConfig, ModelSpec, TargetSpec } from '../config/load.js';
import { displayPath } from '../config/load.js';
import type { PipelineEntry } from '../config/schema.js';
import { sha256, stableStringify } from './hash.js';
import { isFile } from './stamp.js';

export interface PlannedJob {
  /** `model:target`. */
  readonly id: string;
  readonly model: string;
  readonly target: Target;
  readonly modelPath: string;
  readonly modelSource: string;
  readonly pipeline: PipelineRecord;
  /** External data files that may sit next to the model (watched; hashed when present). */
  readonly dataCandidates: readonly string[];
  /**
   * Every file that can change the job's output, with the label used in reasons ("model changed: <label>"):
   * the model, its external data candidates (optional: hashed when present) and files bound in the config.
   */
  readonly inputFiles: readonly InputFile[];
  /** Hashes of the job's resolved config (source, target, pipeline incl. a pipeline function's source text). */
  readonly configInputs: Readonly<Record<string, string>>;
  /** Graph inputs bound to TensorProto files (config `bind`); their bytes are part of the cache key. */
  readonly bind?: readonly BoundInput[];
  /** The config file as shown in diagnostics. */
  readonly configFile?: string;
  /** Estimated compile cost (relative): the pool starts the costliest jobs first. */
  readonly cost: number;
}

export interface InputFile {
  readonly label: string;
  readonly path: string;
  /** Optional files count only when they exist (external data candidates). */
  readonly optional: boolean;
}

export interface PlanOptions {
  /** Globs over `model` or `model:target`; a job is kept when any pattern matches either. */
  readonly filter?: readonly string[];
  /** For diagnostics (paths shown relative to it). */
  readonly cwd?: string;
  /** Check that model files exist (default true). */
  readonly checkFiles?: boolean;
}

/** `<model>.data` with the extension replaced and `<model file>.data` (ONNX external data naming). */
/** Models up to this size are scanned at plan time for the external data files they name. */
const SCAN_LIMIT = 256 * 1024 * 1024;

/**
 * External data files of a model: `<stem>.data` / `<model>.data` beside it (hashed when present) and every
 * location the model itself names (ONNX `external_data`, resolved inside the model's folder). Planning reads the
 * model for this; a no-op build reuses the plan snapshot and does not.
 */
export function externalDataCandidates(modelPath: string): string[] {
  return modelFacts(modelPath).dataCandidates;
}

interface ModelFacts {
  readonly dataCandidates: string[];
  readonly nodes: number;
  readonly bytes: number;
}

/** What planning reads from a model file (once): its external data candidates and its size in nodes and bytes. */
function modelFacts(modelPath: string): ModelFacts {
  const ext = path.extname(modelPath);
  const stem = ext ? modelPath.slice(0, -ext.length) : modelPath;
  const out = new Set([`${stem}.data`, `${modelPath}.data`]);
  let named: string[] = [];
  let nodes = 0;
  let bytes = 0;
  try {
    bytes = statSync(modelPath).size;
    if (bytes <= SCAN_LIMIT) {
      ({ externalData: named, nodes } = modelOutline(new Uint8Array(readFileSync(modelPath))));
    }
  } catch {
    named = []; // unreadable or malformed: the compile reports it
  }
  const dir = path.dirname(modelPath);
  for (const l of named) {
    const p = path.join(dir, path.normalize(l));
    if (p.startsWith(dir + path.sep)) out.add(p);
  }
  return { dataCandidates: [...out], nodes, bytes };
}

/**
 * A job's relative compile cost, for ordering only: per graph node (kernels to generate and compile; nvcc costs
 * more per kernel than cc, WGSL generation less) plus the weights to copy. Rough by design: measured on the shared
 * models, cpu jobs take ~0.8 s + ~13 ms per node, cuda ~1.6 s + ~12 ms, webgpu ~0.9 s + ~4 ms.
 */
function jobCost(kind: Target['kind'], facts: ModelFacts): number {
  const [base, perNode] = kind === 'cuda' ? [1600, 12] : kind === 'webgpu' ? [900, 4] : [800, 13];
  return base + perNode * facts.nodes + facts.bytes / 1e6;
}

export function jobId(model: string, target: string): string {
  return `${model}:${target}`;
}

/** A predicate over (model, target name); undefined/empty patterns keep everything. */
export function jobFilter(patterns: readonly string[] | undefined): (model: string, target: string) => boolean {
  if (!patterns || patterns.length === 0) return () => true;
  const isMatch = picomatch([...patterns], { dot: true });
  return (model, target) => isMatch(model) || isMatch(jobId(model, target));
}

interface Level {
  readonly entry: PipelineEntry | undefined;
  readonly keyPath: string;
}

/**
 * The pipeline for one job. The most specific entry wins (model > target object > top level). A function entry
 * edits the stages of what the next less specific *named* entry resolves to ('default' when there is none).
 */
export function resolveJobPipeline(
  config: Pick<LoadedConfig, 'pipeline' | 'file'>,
  model: Pick<ModelSpec, 'pipeline' | 'keyPath' | 'name'> | undefined,
  spec: TargetSpec,
  cwd: string = process.cwd(),
): PipelineRecord {
  const levels: Level[] = [
    { entry: model?.pipeline, keyPath: model ? `${model.keyPath}.pipeline` : '' },
    { entry: spec.pipeline, keyPath: `${spec.keyPath}.pipeline` },
    { entry: config.pipeline, keyPath: 'pipeline' },
  ].filter((l) => l.entry !== undefined);
  const win = levels[0] ?? { entry: 'default', keyPath: 'pipeline' };
  const where = {
    ...(config.file ? { configFile: displayPath(config.file, cwd) } : {}),
    keyPath: win.keyPath,
    target: spec.target.name,
    ...(model ? { model: model.name } : {}),
  };
  try {
    if (typeof win.entry === 'string') return resolvePipeline(spec.target, win.entry);
    const named = levels.slice(1).find((l) => typeof l.entry === 'string');
    const base = resolvePipeline(spec.target, (named?.entry as string | undefined) ?? 'default');
    try {
      return applyPipelineFn(base, win.entry!, spec.target, knownPassNames());
    } catch (e) {
      if (isRelaxError(e)) throw e;
      throw new RelaxError('RLX_PIPELINE_FN_FAILED', `the pipeline function threw: ${e instanceof Error ? e.message : String(e)}`,
        undefined, 'A pipeline function receives the resolved stages and must return them (edited) without throwing.');
    }
  } catch (e) {
    if (isRelaxError(e)) {
      e.diagnostic.where = { ...where, ...e.diagnostic.where };
    }
    throw e;
  }
}

/** Plans the jobs of a loaded config (filtered). Throws RelaxError for pipeline errors and missing model files. */
export function planJobs(config: LoadedConfig, opts: PlanOptions = {}): PlannedJob[] {
  const cwd = opts.cwd ?? process.cwd();
  const keep = jobFilter(opts.filter);
  const jobs: PlannedJob[] = [];
  for (const model of config.models) {
    const specs = model.targets.filter((t) => keep(model.name, t.target.name));
    if (specs.length === 0) continue;
    if (opts.checkFiles !== false) {
      checkModelFile(config, model, cwd);
      checkBindFiles(config, model, cwd);
    }
    const facts = modelFacts(model.path);
    const dataCandidates = facts.dataCandidates;
    const inputFiles = modelInputFiles(config, model, dataCandidates);
    for (const spec of specs) {
      const pipeline = resolveJobPipeline(config, model, spec, cwd);
      const fnSource = [model.pipeline, spec.pipeline, config.pipeline].find((e) => e !== undefined);
      jobs.push({
        id: jobId(model.name, spec.target.name),
        model: model.name,
        target: spec.target,
        modelPath: model.path,
        modelSource: model.source,
        pipeline,
        dataCandidates,
        inputFiles,
        configInputs: {
          source: model.source,
          target: digest(stableStringify(spec.target)),
          pipeline: digest(stableStringify(pipeline) + (typeof fnSource === 'function' ? `\0fn:${String(fnSource)}` : '')),
        },
        ...(model.bind ? { bind: model.bind } : {}),
        ...(config.file ? { configFile: displayPath(config.file, cwd) } : {}),
        cost: jobCost(spec.target.kind, facts),
      });
    }
  }
  if (jobs.length === 0 && opts.filter && opts.filter.length > 0) {
    const all = config.models.flatMap((m) => m.targets.map((t) => jobId(m.name, t.target.name)));
    throw new RelaxError('RLX_FILTER_NO_MATCH', `--filter ${opts.filter.join(' ')} matches no job`,
      config.file ? { configFile: displayPath(config.file, cwd) } : undefined,
      `Patterns match a model name or model:target. Jobs: ${all.join(', ') || '(none)'}.`);
  }
  return jobs;
}

function checkModelFile(config: LoadedConfig, model: ModelSpec, cwd: string): void {
  if (!isFile(model.path)) {
    const exists = existsSync(model.path);
    throw new RelaxError('RLX_MODEL_NOT_FOUND',
      exists ? `model '${model.name}': ${model.path} is not a file` : `model '${model.name}': file ${model.source} not found (resolved to ${model.path})`,
      {
        ...(config.file ? { configFile: displayPath(config.file, cwd) } : {}),
        keyPath: model.keyPath,
        model: model.name,
        modelFile: model.source,
      },
      'Model paths are relative to the config file.');
  }
}

const digest = (s: string): string => sha256(s).slice(0, 32);

const posix = (p: string): string => p.split(path.sep).join('/');

/** The model, its external data candidates and any files bound to its inputs (`bind: { input: 'file.pb' }`). */
function modelInputFiles(config: LoadedConfig, model: ModelSpec, dataCandidates: readonly string[]): InputFile[] {
  const dir = config.file ? path.dirname(config.file) : config.dir;
  const label = (p: string): string => {
    const rel = path.relative(dir, p);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? posix(rel) : p;
  };
  const files: InputFile[] = [{ label: label(model.path), path: model.path, optional: false }];
  for (const d of dataCandidates) files.push({ label: label(d), path: d, optional: true });
  for (const b of [...(model.bind ?? [])].sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))) {
    files.push({ label: `${label(b.path)} (bound to ${b.name})`, path: b.path, optional: false });
  }
  return files;
}

function checkBindFiles(config: LoadedConfig, model: ModelSpec, cwd: string): void {
  for (const b of model.bind ?? []) {
    if (!isFile(b.path)) {
      throw new RelaxError('RLX_BIND_NOT_FOUND',
        `model '${model.name}': the value bound to input '${b.name}', ${b.source}, ${existsSync(b.path) ? 'is not a file' : 'was not found'} (resolved to ${b.path})`,
        { ...(config.file ? { configFile: displayPath(config.file, cwd) } : {}), keyPath: b.keyPath, model: model.name },
        'Paths under `bind` are relative to the config file and name onnx.TensorProto (.pb) files.');
    }
  }
}
