/**
 * Tensor IR: tensor functions over buffers. Plain immutable data (discriminated unions on `k`).
 *
 * Semantics in brief:
 * - `for` loops run `var` over [0, extent). `kind` says how: serial, parallel (CPU threads), vectorized,
 *   unrolled, or `thread` (bound to a GPU thread axis named by `thread`).
 * - `block` is the unit of computation. Its iteration variables have a domain [0, extent) and a type
 *   (spatial or reduce); `bindings` give each iteration variable's value in terms of enclosing loop vars.
 *   Scheduling changes loops and bindings, never the block body. `init` runs before `body` when every
 *   reduce iteration variable is 0. `predicate`, when present, guards the whole block (split remainders).
 * - Buffers are named; a function's params are its global buffers in call order (inputs, then outputs),
 *   then its symbolic shape variables (`vars`, int64 scalars supplied by the caller).
 */
import type { DType } from '../../formats/dtype.js';

export type { DType };

export type BinOp =
  | 'add' | 'sub' | 'mul' | 'div' /* true division (floats) */
  | 'floordiv' | 'floormod' /* integer, rounding towards -inf */
  | 'truncmod' /* remainder with the dividend's sign (C `%`, fmod); `div` on integers truncates towards zero */
  | 'min' | 'max' | 'pow'
  | 'and' | 'or' /* logical on bool, bitwise on ints */ | 'xor' | 'shl' | 'shr';
export type CmpOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
/** Unary math intrinsics; each backend maps them to its own functions. */
export type MathFn =
  | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'tanh' | 'sigmoid' | 'erf' | 'abs' | 'neg' | 'not'
  | 'floor' | 'ceil' | 'round' | 'sin' | 'cos' | 'tan' | 'asin' | 'acos' | 'atan' | 'sinh' | 'cosh'
  | 'asinh' | 'acosh' | 'atanh' | 'isnan' | 'isinf' | 'sign' | 'reciprocal';

export type Expr =
  | { readonly k: 'int'; readonly value: number; readonly dtype: DType }
  | { readonly k: 'float'; readonly value: number; readonly dtype: DType }
  | { readonly k: 'var'; readonly name: string; readonly dtype: DType }
  | { readonly k: 'bin'; readonly op: BinOp; readonly a: Expr; readonly b: Expr; readonly dtype: DType }
  | { readonly k: 'cmp'; readonly op: CmpOp; readonly a: Expr; readonly b: Expr; readonly dtype: 'bool' }
  | { readonly k: 'call'; readonly fn: MathFn; readonly args: readonly Expr[]; readonly dtype: DType }
  | { readonly k: 'select'; readonly cond: Expr; readonly t: Expr; readonly f: Expr; readonly dtype: DType }
  | { readonly k: 'cast'; readonly a: Expr; readonly dtype: DType }
  | { readonly k: 'load'; readonly buffer: string; readonly indices: readonly Expr[]; readonly dtype: DType };

export type Scope = 'global' | 'shared' | 'local';

export interface Buffer {
  readonly name: string;
  readonly dtype: DType;
  /** Dims are int64 expressions: literals or symbolic vars (and arithmetic over them). `[]` is a scalar. */
  readonly shape: readonly Expr[];
  readonly scope: Scope;
}

export type ThreadTag = 'blockIdx.x' | 'blockIdx.y' | 'blockIdx.z' | 'threadIdx.x' | 'threadIdx.y' | 'threadIdx.z';
export type LoopKind = 'serial' | 'parallel' | 'vectorized' | 'unrolled' | 'thread';

export interface IterVar {
  readonly name: string;
  readonly extent: Expr;
  readonly type: 'spatial' | 'reduce';
}

export type Stmt =
  | { readonly k: 'seq'; readonly body: readonly Stmt[] }
  | {
      readonly k: 'for'; readonly var: string; readonly extent: Expr; readonly kind: LoopKind;
      readonly thread?: ThreadTag; readonly body: Stmt;
    }
  | {
      readonly k: 'block'; readonly name: string; readonly iters: readonly IterVar[];
      readonly bindings: readonly Expr[]; readonly predicate?: Expr; readonly init?: Stmt; readonly body: Stmt;
    }
  | { readonly k: 'store'; readonly buffer: string; readonly indices: readonly Expr[]; readonly value: Expr }
  | { readonly k: 'if'; readonly cond: Expr; readonly then: Stmt; readonly else?: Stmt }
  | { readonly k: 'let'; readonly var: string; readonly value: Expr; readonly body: Stmt }
  /** Allocates a shared or local buffer for the duration of `body`. */
  | { readonly k: 'alloc'; readonly buffer: Buffer; readonly body: Stmt }
  /** Workgroup / thread-block barrier (shared-memory sync). */
  | { readonly k: 'barrier' };

export interface PrimFuncAttrs {
  /** Op pattern used by fusion. */
  readonly pattern?: OpPattern;
  /** Set by a schedule rule; rules skip functions that already have it. */
  readonly scheduledBy?: string;
  /** Launch geometry for GPU kernels, set by the schedule rule (grid extents may be symbolic). */
  readonly launch?: { readonly grid: readonly Expr[]; readonly block: readonly number[] };
  /** Graph-level ops this function came from, for diagnostics (e.g. ["Gemm 'fc1'", "Clip"]). */
  readonly origin?: readonly string[];
  /** Free-form extras (e.g. which rule scheduled it). */
  readonly [key: string]: unknown;
}

export interface PrimFunc {
  readonly k: 'prim_func';
  readonly name: string;
  /** Global buffers in call order. */
  readonly params: readonly Buffer[];
  /** Symbolic shape variables (int64 scalars), passed after the buffers. */
  readonly vars: readonly string[];
  readonly body: Stmt;
  readonly attrs: PrimFuncAttrs;
}

/** Op patterns, ordered: fusion may merge a producer into a consumer when the rules allow. */
export type OpPattern =
  | 'elementwise' | 'broadcast' | 'injective' | 'comm_reduce' | 'out_elementwise_fusable' | 'tuple' | 'opaque';
