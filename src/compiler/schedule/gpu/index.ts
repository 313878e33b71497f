/** The default GPU rule list, tried in order (first match wins). */
import type { ScheduleRule } from '../rule.js';
import { fallbackRule } from './fallback.js';
import { reductionRule } from './reduction.js';
import { rowReductionRule } from './row-reduction.js';
import { outputParallelRule } from './output-parallel.js';

export const DEFAULT_GPU_RULES: readonly ScheduleRule[] = [outputParallelRule, reductionRule, rowReductionRule, fallbackRule];
