/**
 * The config schema (zod 4). What a user writes in `relax.config.ts` is validated here; paths stay as written
 * (load.ts makes them absolute relative to the config file). Messages say what was expected, in the user's terms.
 */
import { z } from 'zod';
import { PIPELINE_NAMES } from '../compiler/pipeline/registry.js';
import type { PipelineFn } from '../compiler/pipeline/resolve.js';
import { TARGET_TAGS } from './targets.js';

export const TARGET_KINDS = ['cpu', 'cuda', 'webgpu'] as const;

/** A name used as one path segment under outDir (model names, target names). */
export const SAFE_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

const quoteList = (xs: readonly string[]): string => xs.map((x) => JSON.stringify(x)).join(', ');
const shown = (v: unknown): string => {
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return 'an array';
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(v);
  return `${typeof v} ${String(v)}`;
};

const kindOrTagList = (): string => quoteList([...TARGET_KINDS, ...Object.keys(TARGET_TAGS)]);

const pipelineName = z.string().refine((s) => (PIPELINE_NAMES as readonly string[]).includes(s), {
  error: (iss) => `expected a pipeline name (${quoteList(PIPELINE_NAMES)}) or a function over the stages, got ${shown(iss.input)}`,
});
const pipelineFn = z.custom<PipelineFn>((v) => typeof v === 'function', {
  error: (iss) => `expected a pipeline name (${quoteList(PIPELINE_NAMES)}) or a function over the stages, got ${shown(iss.input)}`,
});
export const pipelineEntrySchema = z.union([pipelineName, pipelineFn]);

const safeName = (what: string) =>
  z.string().refine((s) => SAFE_SEGMENT.test(s), {
    error: (iss) => `expected a ${what} usable as a folder name (letters, digits, '.', '_', '-'; not starting with '.' or '-'), got ${shown(iss.input)}`,
  });

const kindSchema = z.enum(TARGET_KINDS, { error: (iss) => `expected a target kind (${quoteList(TARGET_KINDS)}), got ${shown(iss.input)}` });
const tagSchema = z.string().refine((s) => s in TARGET_TAGS, {
  error: (iss) => `expected a target tag (${quoteList(Object.keys(TARGET_TAGS))}), got ${shown(iss.input)}`,
});
const posInt = (what: string) =>
  z.number({ error: (iss) => `expected ${what} (a positive integer), got ${shown(iss.input)}` })
    .int({ error: `expected ${what} to be a whole number` })
    .positive({ error: `expected ${what} to be positive` });

const targetString = z.string().refine((s) => (TARGET_KINDS as readonly string[]).includes(s) || s in TARGET_TAGS, {
  error: (iss) => `expected a target kind or tag (${kindOrTagList()}) or a target object, got ${shown(iss.input)}`,
});

const targetObject = z
  .strictObject({
    kind: kindSchema.optional(),
    tag: tagSchema.optional(),
    name: safeName('target name').optional(),
    arch: z.string({ error: (iss) => `expected a CUDA arch string such as "sm_90", got ${shown(iss.input)}` })
      .regex(/^sm_\d+[a-z]?$/, { error: (iss) => `expected a CUDA arch such as "sm_90", got ${shown(iss.input)}` }).optional(),
    maxThreadsPerBlock: posInt('maxThreadsPerBlock').optional(),
    maxSharedMemoryBytes: z.number({ error: (iss) => `expected maxSharedMemoryBytes (a number of bytes), got ${shown(iss.input)}` })
      .int().nonnegative().optional(),
    warpSize: posInt('warpSize').optional(),
    shaderF16: z.boolean({ error: (iss) => `expected shaderF16 to be true or false, got ${shown(iss.input)}` }).optional(),
    maxStorageBuffersPerStage: posInt('maxStorageBuffersPerStage').optional(),
    pipeline: pipelineEntrySchema.optional(),
  }, { error: (iss) => (iss.code === 'unrecognized_keys' ? undefined : `expected a target kind or tag (${kindOrTagList()}) or a target object, got ${shown(iss.input)}`) })
  .superRefine((t, ctx) => {
    if (t.kind === undefined && t.tag === undefined) {
      ctx.addIssue({ code: 'custom', path: ['kind'], message: `a target object needs a kind (${quoteList(TARGET_KINDS)}) or a tag (${quoteList(Object.keys(TARGET_TAGS))})` });
    } else if (t.kind !== undefined && t.tag !== undefined && TARGET_TAGS[t.tag]!.kind !== t.kind) {
      ctx.addIssue({ code: 'custom', path: ['kind'], message: `tag ${JSON.stringify(t.tag)} is a ${TARGET_TAGS[t.tag]!.kind} target, but kind is ${JSON.stringify(t.kind)}` });
    }
  });

export const targetEntrySchema = z.union([targetString, targetObject]);

/** Target names must be unique within one list: they are folder names under `<outDir>/<model>/`. */
const targetList = z
  .array(targetEntrySchema, { error: (iss) => `expected a list of targets, got ${shown(iss.input)}` })
  .min(1, { error: 'expected at least one target' })
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((t, i) => {
      const name = typeof t === 'string' ? (t in TARGET_TAGS ? TARGET_TAGS[t]!.kind : t) : (t.name ?? t.kind ?? TARGET_TAGS[t.tag!]!.kind);
      const prev = seen.get(name);
      if (prev !== undefined) {
        ctx.addIssue({
          code: 'custom', path: [i],
          message: `target name ${JSON.stringify(name)} is already used by entry [${prev}]; target names must be unique (give one of them a \`name\`)`,
        });
      } else seen.set(name, i);
    });
  });

const modelObject = z.strictObject({
  source: z.string({ error: (iss) => `expected the model source (a path to an .onnx file), got ${shown(iss.input)}` })
    .min(1, { error: 'expected a non-empty path to an .onnx file' }),
  targets: targetList.optional(),
  pipeline: pipelineEntrySchema.optional(),
  bind: z.record(
    z.string().min(1, { error: 'expected a graph input name' }),
    z.string({ error: (iss) => `expected the path of an onnx.TensorProto (.pb) file, got ${shown(iss.input)}` })
      .min(1, { error: 'expected a non-empty path to an onnx.TensorProto (.pb) file' }),
    { error: (iss) => `expected an object mapping graph input names to onnx.TensorProto (.pb) files, got ${shown(iss.input)}` },
  ).optional(),
}, { error: (iss) => (iss.code === 'unrecognized_keys' ? undefined : `expected a path to an .onnx file or { source, targets?, pipeline?, bind? }, got ${shown(iss.input)}`) });

const modelString = z.string().min(1, { error: 'expected a non-empty path to an .onnx file' });
export const modelEntrySchema = z.union([modelString, modelObject]);

export const configSchema = z.strictObject({
  outDir: z.string({ error: (iss) => `expected a directory path, got ${shown(iss.input)}` }).min(1).default('dist'),
  cacheDir: z.string({ error: (iss) => `expected a directory path, got ${shown(iss.input)}` }).min(1).default('node_modules/.cache/relax'),
  cacheMaxBytes: z.number({ error: (iss) => `expected cacheMaxBytes (a number of bytes), got ${shown(iss.input)}` }).int().nonnegative().optional(),
  models: z
    .record(z.string(), modelEntrySchema, { error: (iss) => (iss.input === undefined ? 'expected `models`: an object mapping model names to .onnx paths' : `expected an object mapping model names to .onnx paths, got ${shown(iss.input)}`) })
    .superRefine((models, ctx) => {
      for (const name of Object.keys(models)) {
        if (!SAFE_SEGMENT.test(name)) {
          ctx.addIssue({ code: 'custom', path: [name], message: `model name ${JSON.stringify(name)} must be usable as a folder name (letters, digits, '.', '_', '-'; not starting with '.' or '-')` });
        }
      }
      if (Object.keys(models).length === 0) ctx.addIssue({ code: 'custom', path: [], message: 'expected at least one model' });
    }),
  targets: targetList.default(['cpu']),
  pipeline: pipelineEntrySchema.default('default'),
}, { error: (iss) => (iss.code === 'unrecognized_keys' ? undefined : `expected the config to be an object (export default defineConfig({ models: {...} })), got ${shown(iss.input)}`) });

/** What a user writes. */
export type TargetEntry = z.input<typeof targetEntrySchema>;
export type PipelineEntry = string | PipelineFn;
export type ModelEntry = string | {
  source: string;
  targets?: TargetEntry[];
  pipeline?: PipelineEntry;
  /**
   * Graph inputs fixed at build time: input name → onnx.TensorProto file (relative to the config). The tensor
   * becomes a constant (like an initializer) and the input disappears from the artifact's inputs.
   */
  bind?: Record<string, string>;
};
export interface RelaxConfig {
  /** Where artifacts go (`<outDir>/<model>/<target>/`), relative to the config file. Default `dist`. */
  outDir?: string;
  /** Build cache, relative to the config file. Default `node_modules/.cache/relax`. */
  cacheDir?: string;
  /** Cache size cap in bytes; least recently used entries are pruned after builds. Default 2 GiB. */
  cacheMaxBytes?: number;
  models: Record<string, ModelEntry>;
  /** Default `['cpu']`. A model's own `targets` replace these. */
  targets?: TargetEntry[];
  /** Default `'default'`. The most specific pipeline wins: model > target object > top level. */
  pipeline?: PipelineEntry;
}
export type ParsedConfig = z.output<typeof configSchema>;
