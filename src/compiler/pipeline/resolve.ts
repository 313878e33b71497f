/**
 * The one place that decides what a requested pipeline means for a target.
 *
 * "default" on a target whose keys include "gpu" resolves to that target's own pipeline (fusion + scheduling);
 * on any other target it resolves to "generic". Named pipelines are used as asked, even where they will fail
 * verification (that failure is then reported, never papered over by switching pipelines).
 */
import { RelaxError } from '../../diagnostics/index.js';
import type { PipelineRecord, Target } from '../../formats/manifest.js';
import { PIPELINES, type StageSpec } from './registry.js';

/** A user function over the resolved stages (config `pipeline: (stages) => stages`). Runs on the main thread. */
export type PipelineFn = (stages: StageSpec[], info: { target: Target; name: string }) => StageSpec[];

export function resolvePipeline(target: Target, requested: string): PipelineRecord {
  if (requested === 'default') {
    if (target.keys.includes('gpu')) {
      const own = PIPELINES[target.kind];
      if (!own) {
        throw new RelaxError('RLX_PIPELINE_MISSING', `target '${target.name}' is a GPU target but relax has no '${target.kind}' pipeline`,
          { target: target.name }, 'Name a pipeline explicitly with `pipeline`.');
      }
      return record(target.kind, requested,
        `"default" on target '${target.name}' (keys: ${target.keys.join(', ')}) has "gpu" in its keys, so it uses the ${target.kind} pipeline with fusion and rule-based scheduling`,
        own.stages);
    }
    return record('generic', requested,
      `"default" on target '${target.name}' (keys: ${target.keys.join(', ')}) has no "gpu" key, so it uses the generic pipeline`,
      PIPELINES.generic!.stages);
  }
  const named = PIPELINES[requested];
  if (!named) {
    throw new RelaxError('RLX_PIPELINE_UNKNOWN', `unknown pipeline '${requested}'`, { target: target.name },
      `Use one of: ${['default', ...Object.keys(PIPELINES)].join(', ')}, or a function over the resolved stages.`);
  }
  return record(requested, requested, `pipeline '${requested}' was named explicitly`, named.stages);
}

/** Applies a user pipeline function and validates what it returned (pass names must exist). */
export function applyPipelineFn(base: PipelineRecord, fn: PipelineFn, target: Target, knownPasses: ReadonlySet<string>): PipelineRecord {
  const copy = base.stages.map((s) => ({ name: s.name, passes: [...s.passes] }));
  const out = fn(copy, { target, name: base.name });
  if (!Array.isArray(out) || out.some((s) => !s || typeof s.name !== 'string' || !Array.isArray(s.passes))) {
    throw new RelaxError('RLX_PIPELINE_FN_INVALID', 'the pipeline function must return an array of { name, passes: string[] } stages',
      { target: target.name }, 'Return the stages you were given, edited.');
  }
  for (const s of out) {
    for (const p of s.passes) {
      if (!knownPasses.has(p)) {
        throw new RelaxError('RLX_PIPELINE_UNKNOWN_PASS', `the pipeline function returned unknown pass '${p}' in stage '${s.name}'`,
          { target: target.name }, `Known passes: ${[...knownPasses].sort().join(', ')}.`);
      }
    }
  }
  return {
    name: `${base.name}+custom`,
    resolvedFrom: base.resolvedFrom,
    reason: `${base.reason}; then edited by the config's pipeline function`,
    stages: out.map((s) => ({ name: s.name, passes: [...s.passes] })),
  };
}

function record(name: string, resolvedFrom: string, reason: string, stages: readonly StageSpec[]): PipelineRecord {
  return { name, resolvedFrom, reason, stages: stages.map((s) => ({ name: s.name, passes: [...s.passes] })) };
}
