/** `relax pipeline --target T [--model M] [--config F] [--json]`: what "default" (or the config) resolves to, and why. */
import { defaultConfig, loadConfig, type LoadedConfig, type ModelSpec, type TargetSpec } from '../config/load.js';
import { TARGET_TAGS, isTargetKind, resolveTarget } from '../config/targets.js';
import { isRelaxError } from '../diagnostics/index.js';
import { resolveJobPipeline } from '../scheduler/plan.js';
import { bool, parse, str } from './args.js';
import { EXIT_OK, UsageError, reportError } from './errors.js';
import { line, type CliIO } from './io.js';

export const PIPELINE_USAGE = `Usage: relax pipeline --target T [options]

Prints the pipeline a job would use: its name, why it was chosen, and its stages and passes.
T is a target kind (cpu, cuda, webgpu), a tag (${Object.keys(TARGET_TAGS).join(', ')}) or a target name from the config.

Options:
  -t, --target T      the target (required)
  -m, --model M       apply model M's pipeline setting too (model > target > top level)
  -c, --config FILE   use this config file (default: discover one; without one, defaults apply)
      --json          print the result as JSON
  -h, --help          show this help`;

export async function pipelineCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const { values: raw } = parse(argv, {
    target: { type: 'string', short: 't' },
    model: { type: 'string', short: 'm' },
    config: { type: 'string', short: 'c' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  }, PIPELINE_USAGE);
  const values = { target: str(raw.target), model: str(raw.model), config: str(raw.config), json: bool(raw.json), help: bool(raw.help) };
  if (values.help) {
    io.stdout.write(`${PIPELINE_USAGE}\n`);
    return EXIT_OK;
  }
  try {
    if (!values.target) throw new UsageError('pipeline needs --target', PIPELINE_USAGE);
    const config = await configFor(io, values.config);
    const model = values.model ? config.models.find((m) => m.name === values.model) : undefined;
    if (values.model && !model) {
      throw new UsageError(`no model '${values.model}' in the config (models: ${config.models.map((m) => m.name).join(', ') || 'none'})`, PIPELINE_USAGE);
    }
    const spec = findTarget(config, model, values.target);
    const record = resolveJobPipeline(config, model, spec, io.cwd);
    if (values.json) {
      line(io.stdout, JSON.stringify({ target: spec.target, ...(model ? { model: model.name } : {}), pipeline: record }));
      return EXIT_OK;
    }
    const t = spec.target;
    line(io.stdout, `target    ${t.name} (kind ${t.kind}${t.tag ? `, tag ${t.tag}` : ''}; keys: ${t.keys.join(', ')})`);
    if (model) line(io.stdout, `model     ${model.name}`);
    line(io.stdout, `pipeline  ${record.name} (requested: ${record.resolvedFrom})`);
    line(io.stdout, `reason    ${record.reason}`);
    line(io.stdout, 'stages');
    record.stages.forEach((s, i) => {
      line(io.stdout, `  ${i + 1}. ${s.name}`);
      for (const p of s.passes) line(io.stdout, `       ${p}`);
    });
    return EXIT_OK;
  } catch (e) {
    return reportError(io, e, values.json === true);
  }
}

async function configFor(io: CliIO, file: string | undefined): Promise<LoadedConfig> {
  try {
    return await loadConfig({ cwd: io.cwd, ...(file ? { configFile: file } : {}) });
  } catch (e) {
    if (!file && isRelaxError(e) && e.diagnostic.code === 'RLX_CONFIG_NOT_FOUND') return defaultConfig(io.cwd);
    throw e;
  }
}

function findTarget(config: LoadedConfig, model: ModelSpec | undefined, name: string): TargetSpec {
  const pools = model ? [model.targets] : [config.targets, ...config.models.map((m) => m.targets)];
  for (const specs of pools) {
    const hit = specs.find((s) => s.target.name === name) ?? specs.find((s) => s.target.tag === name);
    if (hit) return hit;
  }
  if (isTargetKind(name) || name in TARGET_TAGS) return { target: resolveTarget(name), keyPath: '--target' };
  const known = [...new Set([...config.targets, ...config.models.flatMap((m) => m.targets)].map((s) => s.target.name))];
  throw new UsageError(`unknown target '${name}': expected a kind (cpu, cuda, webgpu), a tag (${Object.keys(TARGET_TAGS).join(', ')})${known.length ? ` or a target in the config (${known.join(', ')})` : ''}`, PIPELINE_USAGE);
}
