/**
 * `defineConfig` for `relax.config.ts`: an identity function that gives the config its type.
 * Dependency-free on purpose: configs are loaded through an alias to this module (see load.ts).
 */
import type { RelaxConfig } from './schema.js';

export type { RelaxConfig, TargetEntry, PipelineEntry, ModelEntry } from './schema.js';

export function defineConfig<const C extends RelaxConfig>(config: C): C {
  return config;
}
