import { PIPELINES } from './registry.js';

/** Every pass name that some built-in pipeline uses; a user pipeline function may only use these. */
export function knownPassNames(): ReadonlySet<string> {
  const s = new Set<string>();
  for (const p of Object.values(PIPELINES)) for (const st of p.stages) for (const n of st.passes) s.add(n);
  return s;
}
