/**
 * InlineFill: a tensor whose every element is the same build-time value (a `full` kernel, i.e. ONNX
 * ConstantOfShape, or any input-free kernel that stores one constant everywhere, such as a transpose of a fill)
 * is never materialised for its `call_tir` consumers: each consumer gets a specialised copy of its tensor function
 * in which loads of that parameter are replaced by the value, and the parameter is dropped. The fill binding then
 * binding is dropped unless something else (a graph output, a non-kernel use) still needs it.
 *
 * Why: weight-free exports (the ONNX model-zoo "light" models store every large weight as ConstantOfShape) would
 * otherwise allocate and fill hundreds of MB at run time, and a single fill buffer can exceed a WebGPU binding
 * limit (vgg19's fc6 weight is 411 MB; WebGPU's portable maxStorageBufferBindingSize is 128 MB). Specialised
 * consumers are still ordinary kernels (same loops, same op pattern), so fusion and scheduling are unchanged.
 */
import type { Atom, Binding, GraphFunc, IRModule } from '../ir/types.js';
import { freshName } from '../ir/util.js';
import { exprEqual } from '../tir/expr.js';
import { printExpr } from '../tir/printer.js';
import type { Expr, PrimFunc, Stmt } from '../tir/types.js';
import { mapExpr, mapStmtExprs } from '../tir/visit.js';
import { eliminateDeadBindings, pruneUnreferenced } from './dead-code-elimination.js';
import type { Pass } from './pass.js';

export const inlineFill: Pass = {
  name: 'InlineFill',
  description: 'replace reads of uniform fill tensors (ConstantOfShape) by their value in consuming kernels, so fills are never materialised',
  run(mod, ctx) {
    const tir: Record<string, PrimFunc> = { ...mod.tir };
    const specialised = new Map<string, string>();
    const functions: Record<string, GraphFunc> = {};
    let changed = false;
    for (const [name, f] of Object.entries(mod.functions)) {
      if (f.attrs?.primitive) { functions[name] = f; continue; }
      const uniform = new Map<string, Expr>();
      const blocks = f.blocks.map((blk) => ({
        ...blk,
        bindings: blk.bindings.map((b): Binding => {
          const v = b.value;
          if (v.k !== 'call_tir') return b;
          let fn = tir[v.fn];
          if (!fn) return b;
          let out = b;
          const fills = v.args.map((a) => (a.k === 'var' ? uniform.get(a.name) : undefined));
          if (fills.some((x) => x !== undefined)) {
            const key = `${v.fn}|${fills.map((x) => (x ? printExpr(x) : '')).join('|')}`;
            let sname = specialised.get(key);
            if (!sname) {
              sname = freshName(`${v.fn}_fill`, { has: (n: string) => n in tir });
              tir[sname] = specialise(fn, fills, sname);
              specialised.set(key, sname);
            }
            fn = tir[sname]!;
            const args: Atom[] = v.args.filter((_, i) => fills[i] === undefined);
            out = { ...b, value: { ...v, fn: sname, args } };
            changed = true;
            ctx.note('inline-fill', { binding: b.var, kernel: v.fn, into: sname });
          }
          const value = out.value.k === 'call_tir' && out.value.args.length === 0 ? uniformValue(fn) : null;
          if (value) uniform.set(b.var, value);
          return out;
        }),
      }));
      functions[name] = eliminateDeadBindings({ ...f, blocks });
    }
    return changed ? pruneUnreferenced({ ...mod, functions, tir }) : mod;
  },
};

/** `f` with the input params whose entry in `fills` is set replaced by those values and dropped. */
function specialise(f: PrimFunc, fills: readonly (Expr | undefined)[], name: string): PrimFunc {
  const values = new Map<string, Expr>();
  fills.forEach((x, i) => { if (x) values.set(f.params[i]!.name, x); });
  const body = mapStmtExprs(f.body, (e) => mapExpr(e, (x) => (x.k === 'load' && values.has(x.buffer) ? values.get(x.buffer)! : x)));
  return { ...f, name, params: f.params.filter((p) => !values.has(p.name)), body };
}

/**
 * The value an input-free tensor function stores at every element of its single output, or null when it is not
 * such a fill: the body must be exactly a loop nest over the whole output (serial loops with the output's
 * extents, one spatial block binding each loop var) around one store whose indices are the block's iteration vars
 * and whose value reads no buffer and no variable.
 */
export function uniformValue(f: PrimFunc): Expr | null {
  if (f.params.length !== 1) return null;
  const outBuf = f.params[0]!;
  let s: Stmt = f.body;
  const loops: { var: string; extent: Expr }[] = [];
  while (s.k === 'for' && s.kind === 'serial') { loops.push({ var: s.var, extent: s.extent }); s = s.body; }
  if (s.k !== 'block' || s.init || s.predicate || loops.length !== outBuf.shape.length || s.iters.length !== loops.length) return null;
  const blk = s;
  for (let i = 0; i < loops.length; i++) {
    const it = blk.iters[i]!, bind = blk.bindings[i]!;
    if (it.type !== 'spatial' || !exprEqual(it.extent, outBuf.shape[i]!) || !exprEqual(loops[i]!.extent, outBuf.shape[i]!)) return null;
    if (bind.k !== 'var' || bind.name !== loops[i]!.var) return null;
  }
  const st = blk.body;
  if (st.k !== 'store' || st.buffer !== outBuf.name || st.indices.length !== blk.iters.length) return null;
  if (st.indices.some((e, i) => e.k !== 'var' || e.name !== blk.iters[i]!.name)) return null;
  return isConstExpr(st.value) ? st.value : null;
}

function isConstExpr(e: Expr): boolean {
  let ok = true;
  const visit = (x: Expr): void => {
    if (x.k === 'load' || x.k === 'var') { ok = false; return; }
    if (x.k === 'bin' || x.k === 'cmp') { visit(x.a); visit(x.b); }
    else if (x.k === 'call') x.args.forEach(visit);
    else if (x.k === 'select') { visit(x.cond); visit(x.t); visit(x.f); }
    else if (x.k === 'cast') visit(x.a);
  };
  visit(e);
  return ok;
}
