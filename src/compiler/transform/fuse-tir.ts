/**
 * FuseTIR: each fused primitive function (from FuseOps) becomes one tensor function. The members' bodies run in
 * order; intermediate results live in buffers allocated inside the kernel (schedule rules inline them away on
 * GPUs). Buffers and locally bound names of member k get the prefix `s<k>_`; symbolic shape vars keep their names.
 */
import { RelaxError } from '../../diagnostics/index.js';
import type { Atom, Binding, GraphFunc, IRModule, StructInfo } from '../ir/types.js';
import { tensorSinfo } from '../ir/util.js';
import { freeVars } from '../tir/expr.js';
import { boundNames, renameStmt } from '../tir/rename.js';
import type { Buffer, PrimFunc, Stmt } from '../tir/types.js';
import { pruneUnreferenced } from './dead-code-elimination.js';
import type { Pass } from './pass.js';
import { TirTable } from './tir-table.js';

export const fuseTIR: Pass = {
  name: 'FuseTIR',
  description: 'merge the tensor functions of each fused group into a single kernel',
  run(mod) {
    const table = new TirTable(mod.tir);
    const functions: Record<string, GraphFunc> = {};
    for (const [k, f] of Object.entries(mod.functions)) {
      if (f.attrs?.primitive) { functions[k] = f; continue; }
      functions[k] = {
        ...f,
        blocks: f.blocks.map((blk) => ({
          ...blk,
          bindings: blk.bindings.map((b): Binding => {
            if (b.value.k !== 'call') return b;
            const callee = mod.functions[b.value.fn];
            if (!callee?.attrs?.primitive) return b;
            const fused = fuseGroup(mod, callee);
            // The callee's params are bound to the call's args; the kernel takes external atoms in first-use order.
            const bind = new Map(callee.params.map((p, i) => [p.name, b.value.k === 'call' ? b.value.args[i]! : null]));
            const args = fused.inputs.map((a) => (a.k === 'var' ? bind.get(a.name) ?? a : a));
            const name = table.add(fused.fn);
            return { ...b, value: { k: 'call_tir', fn: name, args, out: b.sinfo } };
          }),
        })),
      };
    }
    return pruneUnreferenced({ ...mod, functions, tir: table.toRecord() });
  },
};

function bufferFor(name: string, s: StructInfo): Buffer {
  const t = tensorSinfo(s, name);
  return { name, dtype: t.dtype, shape: t.shape, scope: 'global' };
}

export function fuseGroup(mod: IRModule, g: GraphFunc): { fn: PrimFunc; inputs: Atom[] } {
  const members = g.blocks.flatMap((b) => b.bindings);
  const outVar = (g.ret[0] as Extract<Atom, { k: 'var' }>).name;
  // Buffer for every value: external params, consts, intermediates, output.
  const bufOf = new Map<string, Buffer>();
  const params: Buffer[] = [];
  const inputs: Atom[] = [];
  const paramFor = (a: Atom): Buffer => {
    const key = `${a.k}:${(a as { name: string }).name}`;
    const existing = bufOf.get(key);
    if (existing) return existing;
    let b: Buffer;
    if (a.k === 'var') {
      const p = g.params.find((x) => x.name === a.name);
      if (!p) throw new RelaxError('RLX_IR_MALFORMED', `fused function ${g.name} uses unknown '${a.name}'`);
      b = bufferFor(`p${params.length}`, p.sinfo);
    } else if (a.k === 'const') {
      const t = mod.constants[a.name]!;
      b = { name: `p${params.length}`, dtype: t.dtype, shape: t.shape.map((d) => ({ k: 'int', value: d, dtype: 'int64' })), scope: 'global' };
    } else {
      throw new RelaxError('RLX_IR_MALFORMED', `fused function ${g.name} has a shape argument in a tensor position`);
    }
    params.push(b);
    inputs.push(a);
    bufOf.set(key, b);
    return b;
  };
  const intermediates: Buffer[] = [];
  const bodies: Stmt[] = [];
  const origin: string[] = [];
  members.forEach((m, k) => {
    if (m.value.k !== 'call_tir') throw new RelaxError('RLX_IR_MALFORMED', `fused function ${g.name} holds a non-call_tir binding`);
    const fn = mod.tir[m.value.fn]!;
    origin.push(...(fn.attrs.origin ?? []));
    const bufMap = new Map<string, string>();
    m.value.args.forEach((a, i) => {
      const target = a.k === 'var' && bufOf.has(`var:${a.name}`) ? bufOf.get(`var:${a.name}`)! : paramFor(a);
      bufMap.set(fn.params[i]!.name, target.name);
    });
    // Intermediates are named by member position, not by graph var, so equal groups give equal kernels (TirTable).
    const outName = m.var === outVar ? 'out' : `t${k}`;
    const outBuf = bufferFor(outName, m.sinfo);
    if (m.var !== outVar) intermediates.push(outBuf);
    bufOf.set(`var:${m.var}`, outBuf);
    bufMap.set(fn.params[fn.params.length - 1]!.name, outName);
    const bound = boundNames(fn.body);
    const varMap = new Map([...bound.vars].map((v) => [v, `s${k}_${v}`]));
    for (const b of bound.buffers) bufMap.set(b, `s${k}_${b}`);
    bodies.push(renameStmt(fn.body, varMap, bufMap));
  });
  const outBuf = bufOf.get(`var:${outVar}`)!;
  let body: Stmt = bodies.length === 1 ? bodies[0]! : { k: 'seq', body: bodies };
  for (const t of intermediates.reverse()) body = { k: 'alloc', buffer: t, body };
  const all = [...params, outBuf];
  const vars = [...new Set([...all, ...intermediates].flatMap((b) => b.shape.flatMap((d) => freeVars(d))))].sort();
  const fn: PrimFunc = {
    k: 'prim_func', name: `fused_${members.map((m) => (m.value as { fn: string }).fn).join('_')}`,
    params: all, vars, body, attrs: { pattern: (g.attrs?.pattern as PrimFunc['attrs']['pattern']) ?? 'opaque', origin },
  };
  return { fn, inputs };
}
