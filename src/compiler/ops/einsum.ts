/**
 * einsum over one or more operands (attr `equation`, numpy/ONNX syntax: explicit `ij,jk->ik` or implicit `ij,jk`,
 * `...` broadcast dims, repeated subscripts in one operand for diagonals). Legalized as one block: the output
 * subscripts are its spatial iters, every other subscript a reduce iter, and the body the product of the operands.
 * Operand dims of literal size 1 broadcast against the other operands.
 */
import type { Attrs, StructInfo } from '../ir/types.js';
import { add, int, mul } from '../tir/expr.js';
import { printExpr } from '../tir/printer.js';
import type { Expr } from '../tir/types.js';
import { at, buffer, compute, lit, primFunc, reduce } from './compute.js';
import type { OpDef } from './registry.js';
import { shapeError, shapeText, tensor, tensorArg, type TensorInfo } from './shape-util.js';

export interface EinsumPlan {
  /** Subscript tokens of each operand dim (letters, or `.<i>` for the i-th-from-the-right ellipsis dim). */
  readonly inputs: readonly (readonly string[])[];
  readonly output: readonly string[];
  /** Tokens summed over, in first-seen order. */
  readonly reduced: readonly string[];
  readonly extent: ReadonlyMap<string, Expr>;
}

function tokens(op: string, term: string, rank: number | undefined): string[] {
  const parts = term.split('...');
  if (parts.length > 2) throw shapeError(`${op}: '${term}' has more than one ellipsis`);
  for (const p of parts) if (!/^[A-Za-z]*$/.test(p)) throw shapeError(`${op}: '${term}' has characters other than letters and '...'`);
  const letters = parts.join('').length;
  if (parts.length === 1) {
    if (rank !== undefined && rank !== letters) throw shapeError(`${op}: subscripts '${term}' name ${letters} dims for an operand of rank ${rank}`);
    return [...term];
  }
  const nEll = rank === undefined ? 0 : rank - letters;
  if (nEll < 0) throw shapeError(`${op}: subscripts '${term}' name more dims than the operand's rank ${rank}`);
  return [...parts[0]!, ...Array.from({ length: nEll }, (_, i) => `.${nEll - 1 - i}`), ...parts[1]!];
}

export function planEinsum(equation: string, shapes: readonly (readonly Expr[])[]): EinsumPlan {
  const op = 'einsum';
  const eq = equation.replace(/\s+/g, '');
  const [lhs, rhs] = eq.includes('->') ? eq.split('->') as [string, string] : [eq, undefined];
  const terms = lhs.split(',');
  if (terms.length !== shapes.length) throw shapeError(`${op}: equation '${equation}' has ${terms.length} operand(s), got ${shapes.length} tensor(s)`);
  const inputs = terms.map((t, i) => tokens(op, t, shapes[i]!.length));
  const ellMax = Math.max(0, ...inputs.map((ts) => ts.filter((t) => t.startsWith('.')).length));
  const ell = Array.from({ length: ellMax }, (_, i) => `.${ellMax - 1 - i}`);
  let output: string[];
  if (rhs === undefined) {
    const count = new Map<string, number>();
    for (const ts of inputs) for (const t of ts) if (!t.startsWith('.')) count.set(t, (count.get(t) ?? 0) + 1);
    output = [...ell, ...[...count.keys()].filter((t) => count.get(t) === 1).sort()];
  } else {
    const raw = tokens(op, rhs, undefined);
    output = rhs.includes('...') ? [...raw.slice(0, rhs.indexOf('...')), ...ell, ...raw.slice(rhs.indexOf('...'))] : raw;
    if (new Set(output).size !== output.length) throw shapeError(`${op}: output subscripts '${rhs}' repeat a subscript`);
    for (const t of output) if (!t.startsWith('.') && !inputs.some((ts) => ts.includes(t))) throw shapeError(`${op}: output subscript '${t}' is not in any operand`);
  }
  const extent = new Map<string, Expr>();
  inputs.forEach((ts, i) => ts.forEach((t, j) => {
    const d = shapes[i]![j]!, prev = extent.get(t);
    if (!prev || (prev.k === 'int' && prev.value === 1)) { extent.set(t, d); return; }
    if (d.k === 'int' && d.value === 1) return;
    if (d.k === 'int' && prev.k === 'int' && d.value !== prev.value) {
      throw shapeError(`${op}: subscript '${t.startsWith('.') ? '...' : t}' has sizes ${prev.value} and ${d.value} (shapes ${shapes.map(shapeText).join(', ')})`);
    }
    if (d.k !== 'int' && prev.k !== 'int' && printExpr(d) !== printExpr(prev)) {
      throw shapeError(`${op}: subscript '${t}' has sizes ${printExpr(prev)} and ${printExpr(d)}, different symbols`);
    }
    if (prev.k !== 'int') extent.set(t, d);
  }));
  const reduced: string[] = [];
  for (const ts of inputs) for (const t of ts) if (!output.includes(t) && !reduced.includes(t)) reduced.push(t);
  return { inputs, output, reduced, extent };
}

const equationOf = (attrs: Attrs): string => {
  const e = attrs.equation;
  if (typeof e !== 'string') throw shapeError("einsum: attribute 'equation' must be a string");
  return e;
};

/** Whether an equation sums over some subscript (ellipsis dims are never summed). */
export function einsumReduces(equation: string): boolean {
  const eq = equation.replace(/\s+/g, '').replaceAll('...', '');
  const [lhs, rhs] = eq.split('->') as [string, string | undefined];
  const letters = [...lhs.replaceAll(',', '')];
  const out = rhs ?? letters.filter((c) => letters.indexOf(c) === letters.lastIndexOf(c)).join('');
  return letters.some((c) => !out.includes(c));
}

function operands(args: readonly StructInfo[]): TensorInfo[] {
  if (args.length < 1) throw shapeError('einsum: expects at least one operand');
  const ts = args.map((_, i) => tensorArg('einsum', args, i));
  if (ts.some((t) => t.dtype !== ts[0]!.dtype)) throw shapeError(`einsum: operand dtypes differ (${ts.map((t) => t.dtype).join(', ')})`);
  return ts;
}

export const EINSUM_OPS: readonly OpDef[] = [{
  name: 'einsum',
  pattern: (attrs) => (einsumReduces(equationOf(attrs)) ? 'out_elementwise_fusable' : 'injective'),
  infer(args, attrs) {
    const ts = operands(args);
    const p = planEinsum(equationOf(attrs), ts.map((t) => t.shape));
    return tensor(ts[0]!.dtype, p.output.map((t) => p.extent.get(t)!));
  },
  legalize(ctx) {
    const ts = ctx.args as TensorInfo[], o = ctx.out as TensorInfo;
    const p = planEinsum(equationOf(ctx.attrs), ts.map((t) => t.shape));
    const bufs = ts.map((t, i) => buffer(String.fromCharCode(65 + i), t.dtype, t.shape));
    const T = buffer('T_einsum', o.dtype, o.shape);
    const product = (vals: ReadonlyMap<string, Expr>): Expr => bufs.map((b, i) => at(b, p.inputs[i]!.map((t, j) => {
      const d = ts[i]!.shape[j]!;
      return d.k === 'int' && d.value === 1 ? int(0) : vals.get(t)!;
    }))).reduce((a, b) => mul(a, b));
    const env = (v: readonly Expr[], r: readonly Expr[]) => new Map<string, Expr>([
      ...p.output.map((t, i) => [t, v[i]!] as const), ...p.reduced.map((t, i) => [t, r[i]!] as const)]);
    const body = p.reduced.length === 0
      ? compute(T, (v) => product(env(v, [])))
      : reduce(T, p.reduced.map((t) => p.extent.get(t)!), lit(0, o.dtype), add, (v, r) => product(env(v, r)));
    return primFunc(ctx.name, bufs, [T], [body], { pattern: p.reduced.length === 0 ? 'injective' : 'out_elementwise_fusable' });
  },
}];
