/** The config layer: schema, discovery/loading, defineConfig and target resolution. */
export { defineConfig } from './define.js';
export type { RelaxConfig, TargetEntry, PipelineEntry, ModelEntry, ParsedConfig } from './schema.js';
export { configSchema, TARGET_KINDS, SAFE_SEGMENT } from './schema.js';
export { loadConfig, validateConfig, defaultConfig, findConfigFile, displayPath, CONFIG_FILES } from './load.js';
export type { LoadedConfig, LoadOptions, ModelSpec, TargetSpec } from './load.js';
export { resolveTarget, TARGET_TAGS, isTargetKind } from './targets.js';
export type { ConfigProblem } from './issues.js';
