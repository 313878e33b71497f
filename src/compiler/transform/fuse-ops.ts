/**
 * FuseOps: groups `call_tir` bindings into fused primitive functions, following op patterns:
 * - chains of elementwise/broadcast/injective ops fuse together;
 * - a single-block reduction that is out-elementwise-fusable (matmul) takes elementwise/broadcast epilogues;
 * - a producer is fused only when its result has exactly one use (its consumer) and is not a graph output;
 * - on targets with a per-kernel buffer cap (target attrs.maxStorageBuffersPerStage), a merge that would make the
 *   kernel bind more buffers (inputs + its output) than the cap is not made.
 * Each group of two or more bindings becomes a graph function marked `primitive` and a `call` to it; FuseTIR then
 * merges the group's tensor functions into one kernel.
 */
import type { Atom, Binding, BindingBlock, GraphFunc, IRModule } from '../ir/types.js';
import { freshName, useCounts } from '../ir/util.js';
import type { OpPattern } from '../tir/types.js';
import { collectBlocks } from '../tir/visit.js';
import type { Pass } from './pass.js';

const INJECTIVE: readonly OpPattern[] = ['elementwise', 'broadcast', 'injective'];
const EPILOGUE: readonly OpPattern[] = ['elementwise', 'broadcast'];

interface Group { members: Binding[]; pattern: OpPattern; id: number }

export const fuseOps: Pass = {
  name: 'FuseOps',
  description: 'group injective chains and reduction epilogues into fused primitive functions by op pattern',
  run(mod, ctx) {
    // A fused kernel binds its inputs and its output as buffers; targets that cap buffers per kernel (WebGPU's
    // maxStorageBuffersPerShaderStage) stop a group from growing past the cap.
    const maxBuffers = ctx.target.attrs.maxStorageBuffersPerStage;
    const functions: Record<string, GraphFunc> = { ...mod.functions };
    const taken = new Set(Object.keys(functions));
    for (const f of Object.values(mod.functions)) {
      if (f.attrs?.primitive) continue;
      const uses = useCounts(f);
      const outputs = new Set(f.ret.filter((a) => a.k === 'var').map((a) => (a as { name: string }).name));
      const blocks: BindingBlock[] = f.blocks.map((blk) => (blk.dataflow ? fuseBlock(mod, blk, uses, outputs, functions, taken, maxBuffers) : blk));
      functions[f.name] = { ...f, blocks };
    }
    return { ...mod, functions };
  },
};

function patternOf(mod: IRModule, b: Binding): OpPattern | null {
  if (b.value.k !== 'call_tir') return null;
  return mod.tir[b.value.fn]?.attrs.pattern ?? 'opaque';
}

/** Distinct tensors a group reads that it does not compute itself (each becomes a kernel buffer). */
function externalInputs(members: readonly Binding[]): number {
  const defined = new Set(members.map((m) => m.var));
  const seen = new Set<string>();
  for (const m of members) {
    if (m.value.k !== 'call_tir') continue;
    for (const a of m.value.args) if (a.k !== 'shape' && !defined.has(a.name)) seen.add(`${a.k}:${a.name}`);
  }
  return seen.size;
}

function fuseBlock(mod: IRModule, blk: BindingBlock, uses: Map<string, number>, outputs: Set<string>,
  functions: Record<string, GraphFunc>, taken: Set<string>, maxBuffers: number | undefined): BindingBlock {
  const groupOf = new Map<string, Group>();
  let nextId = 0;
  for (const b of blk.bindings) {
    const pat = patternOf(mod, b);
    if (!pat || b.value.k !== 'call_tir') continue;
    let group: Group = { members: [b], pattern: pat, id: nextId++ };
    for (const a of b.value.args) {
      if (a.k !== 'var') continue;
      const pg = groupOf.get(a.name);
      if (!pg || pg === group || uses.get(a.name) !== 1 || outputs.has(a.name)) continue;
      if (pg.members[pg.members.length - 1]!.var !== a.name) continue; // only a group's output can feed a consumer
      const merged = mergePattern(mod, pg, group.pattern);
      if (!merged) continue;
      const members = [...pg.members, ...group.members.filter((m) => !pg.members.includes(m))];
      if (maxBuffers !== undefined && externalInputs(members) + 1 > maxBuffers) continue;
      group = { members, pattern: merged, id: pg.id };
      for (const m of group.members) groupOf.set(m.var, group);
    }
    // Order members as in the block (producers first).
    const order = new Map(blk.bindings.map((x, i) => [x.var, i]));
    group.members.sort((x, y) => order.get(x.var)! - order.get(y.var)!);
    for (const m of group.members) groupOf.set(m.var, group);
  }

  const emitted = new Set<Group>();
  const out: Binding[] = [];
  for (const b of blk.bindings) {
    const g = groupOf.get(b.var);
    if (!g || g.members.length < 2) { out.push(b); continue; }
    const last = g.members[g.members.length - 1]!;
    if (b !== last || emitted.has(g)) continue;
    emitted.add(g);
    out.push(makeGroupCall(mod, g, functions, taken));
  }
  return { ...blk, bindings: out };
}

function mergePattern(mod: IRModule, pg: Group, consumer: OpPattern): OpPattern | null {
  const producer = pg.pattern;
  if (INJECTIVE.includes(producer) && INJECTIVE.includes(consumer)) {
    return INJECTIVE[Math.max(INJECTIVE.indexOf(producer), INJECTIVE.indexOf(consumer))]!;
  }
  if (producer === 'out_elementwise_fusable' && EPILOGUE.includes(consumer)) {
    // The reduction must be a single-block kernel for the schedule rules to fold the epilogue in.
    const master = pg.members[0]!.value;
    const fn = master.k === 'call_tir' ? mod.tir[master.fn] : undefined;
    return fn && collectBlocks(fn.body).length === 1 ? 'out_elementwise_fusable' : null;
  }
  return null;
}

function makeGroupCall(mod: IRModule, g: Group, functions: Record<string, GraphFunc>, taken: Set<string>): Binding {
  const defined = new Set(g.members.map((m) => m.var));
  const params: { name: string; sinfo: Binding['sinfo'] }[] = [];
  const args: Atom[] = [];
  const sinfoOf = new Map<string, Binding['sinfo']>();
  for (const m of g.members) sinfoOf.set(m.var, m.sinfo);
  for (const m of g.members) {
    if (m.value.k !== 'call_tir') continue;
    for (const a of m.value.args) {
      if (a.k !== 'var' || defined.has(a.name) || params.some((p) => p.name === a.name)) continue;
      params.push({ name: a.name, sinfo: lookupSinfo(mod, a.name) });
      args.push(a);
    }
  }
  const last = g.members[g.members.length - 1]!;
  const kernels = g.members.map((m) => (m.value as { fn: string }).fn);
  const name = freshName(`fused_${kernels.join('_')}`, taken);
  taken.add(name);
  functions[name] = {
    k: 'graph_func', name, params, blocks: [{ dataflow: true, bindings: g.members }], ret: [{ k: 'var', name: last.var }],
    retNames: [last.var], attrs: { primitive: true, pattern: g.pattern },
  };
  const origin = last.origin ?? g.members.find((m) => m.origin)?.origin;
  return { var: last.var, value: { k: 'call', fn: name, args }, sinfo: last.sinfo, ...(origin ? { origin } : {}) };
}

/** Struct info of a var defined anywhere in the entry functions (params or bindings). */
function lookupSinfo(mod: IRModule, name: string): Binding['sinfo'] {
  for (const f of Object.values(mod.functions)) {
    for (const p of f.params) if (p.name === name) return p.sinfo;
    for (const blk of f.blocks) for (const b of blk.bindings) if (b.var === name) return b.sinfo;
  }
  throw new Error(`FuseOps: no struct info for '${name}'`);
}
