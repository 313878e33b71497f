/** `relax pipeline --target T`: which pipeline "default" (or the config's choice) resolves to, and why. */
import { parseArgs } from 'node:util';
import { PASSES } from '../compiler/transform/index.js';
import { prepareBuild } from '../scheduler/build.js';
import { resolvePipeline } from '../compiler/pipeline/resolve.js';
import { resolveTarget, isTargetKind, TARGET_TAGS } from '../config/targets.js';
import { findConfigFile } from '../config/load.js';
import type { PipelineRecord, Target } from '../formats/manifest.js';
import { usageError } from './usage.js';

export async function pipelineCommand(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: { target: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } } }));
  } catch (e) {
    throw usageError((e as Error).message);
  }
  const t = values.target;
  if (!t) throw usageError('relax pipeline needs --target (cpu, cuda, webgpu, a tag, or a target name from the config)');
  let target: Target | undefined;
  let pipeline: PipelineRecord | undefined;
  const hasConfig = values.config || (await findConfigFile(process.cwd()));
  if (hasConfig) {
    const { jobs } = await prepareBuild({ ...(values.config ? { config: values.config } : {}) });
    const job = jobs.find((j) => j.target.name === t) ?? jobs.find((j) => j.target.kind === t);
    if (job) { target = job.target; pipeline = job.pipeline; }
  }
  if (!target) {
    if (!isTargetKind(t) && !TARGET_TAGS[t]) throw usageError(`unknown target '${t}': use cpu, cuda, webgpu, a tag (${Object.keys(TARGET_TAGS).join(', ')}) or a target name from the config`);
    target = resolveTarget(t);
    pipeline = resolvePipeline(target, 'default');
  }
  const p = pipeline!;
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ target, pipeline: p })}\n`);
    return 0;
  }
  const lines = [`target ${target.name} (kind ${target.kind}, keys: ${target.keys.join(', ')})`, `pipeline ${p.name} (asked for "${p.resolvedFrom}")`, `why: ${p.reason}`];
  for (const s of p.stages) {
    lines.push(`stage ${s.name}`);
    for (const name of s.passes) lines.push(`  ${name.padEnd(24)} ${PASSES.get(name)?.description ?? ''}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}
