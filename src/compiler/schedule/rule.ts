/** A schedule rule: returns a scheduled function, or null when it does not apply. Rules are tried in order. */
import type { Target } from '../../formats/manifest.js';
import { add, floordiv, floormod, int, ivar, mul, product } from '../tir/expr.js';
import type { Expr, IterVar, PrimFunc, Stmt } from '../tir/types.js';

export interface ScheduleRule {
  readonly name: string;
  apply(f: PrimFunc, target: Target): PrimFunc | null;
}

/** Wraps `body` in `let` bindings that decompose a linear index into the iter vars (row-major). */
export function bindIters(iters: readonly IterVar[], linear: Expr, body: Stmt): Stmt {
  let out = body;
  let stride: Expr = int(1);
  const lets: { name: string; value: Expr }[] = [];
  for (let i = iters.length - 1; i >= 0; i--) {
    const it = iters[i]!;
    const value = i === 0 ? floordiv(linear, stride) : floormod(floordiv(linear, stride), it.extent);
    lets.unshift({ name: it.name, value });
    stride = mul(stride, it.extent);
  }
  for (let i = lets.length - 1; i >= 0; i--) out = { k: 'let', var: lets[i]!.name, value: lets[i]!.value, body: out };
  return out;
}

export function extentOf(iters: readonly IterVar[]): Expr {
  return product(iters.map((i) => i.extent));
}

/** Largest power of two ≤ n (n ≥ 1). */
export function floorPow2(n: number): number {
  let p = 1;
  while (p * 2 <= n) p *= 2;
  return p;
}

export const ceilDiv = (a: Expr, b: number): Expr => floordiv(add(a, int(b - 1)), int(b));
export { ivar };
