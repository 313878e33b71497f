/**
 * ApplyDefaultSchedule: schedules every not-yet-scheduled tensor function with the first GPU rule that applies
 * (Reduction, then Fallback), and records which rule took which kernel.
 */
import { RelaxError } from '../../diagnostics/index.js';
import { DEFAULT_GPU_RULES } from '../schedule/gpu/index.js';
import type { PrimFunc } from '../tir/types.js';
import type { Pass } from './pass.js';

export const applyDefaultSchedule: Pass = {
  name: 'ApplyDefaultSchedule',
  description: `rule-based GPU scheduling (rules in order: ${DEFAULT_GPU_RULES.map((r) => r.name).join(', ')}); limits from the target`,
  run(mod, ctx) {
    if (!ctx.target.keys.includes('gpu')) {
      throw new RelaxError('RLX_PIPELINE_MISMATCH', `ApplyDefaultSchedule schedules for GPUs, but target '${ctx.target.name}' is not a GPU`,
        { target: ctx.target.name, pass: 'ApplyDefaultSchedule' }, 'Remove the pass from this target\'s pipeline.');
    }
    const tir: Record<string, PrimFunc> = {};
    for (const [name, f] of Object.entries(mod.tir)) {
      if (f.attrs.scheduledBy) { tir[name] = f; continue; }
      let done: PrimFunc | null = null;
      for (const rule of DEFAULT_GPU_RULES) {
        done = rule.apply(f, ctx.target);
        if (done) break;
      }
      tir[name] = done!;
      ctx.note('schedule', { kernel: name, rule: String(done!.attrs.scheduledBy) });
    }
    return { ...mod, tir };
  },
};
