/**
 * Graph IR (Relax-like). A module holds graph functions, tensor functions (TIR) and constants.
 * Functions are in A-normal form: every binding's value takes atoms (vars, constants, shape literals).
 * Shapes are TIR int64 expressions, so symbolic dims (`batch`, `seq`) are first-class variables.
 */
import type { HostTensor } from '../../formats/tensor.js';
import type { DType, Expr, PrimFunc } from '../tir/types.js';

export type StructInfo =
  | { readonly k: 'tensor'; readonly dtype: DType; readonly shape: readonly Expr[] }
  | { readonly k: 'tuple'; readonly fields: readonly StructInfo[] }
  | { readonly k: 'shape'; readonly values: readonly Expr[] }
  | { readonly k: 'object' };

export type Atom =
  | { readonly k: 'var'; readonly name: string }
  | { readonly k: 'const'; readonly name: string }
  | { readonly k: 'shape'; readonly values: readonly Expr[] };

export type AttrValue = number | string | boolean | null | readonly number[] | readonly string[];
export type Attrs = Readonly<Record<string, AttrValue>>;

export type Value =
  /** A high-level op from the op registry (before legalization). */
  | { readonly k: 'op'; readonly op: string; readonly args: readonly Atom[]; readonly attrs: Attrs }
  /** Destination-passing call of a tensor function; outputs are allocated by the caller. */
  | { readonly k: 'call_tir'; readonly fn: string; readonly args: readonly Atom[]; readonly out: StructInfo }
  /** Impure call of a runtime function: never removed. */
  | { readonly k: 'call_packed'; readonly fn: string; readonly args: readonly Atom[]; readonly attrs?: Attrs }
  /** Pure call of a runtime function: removable when unused. */
  | { readonly k: 'call_pure_packed'; readonly fn: string; readonly args: readonly Atom[]; readonly attrs?: Attrs }
  /** Call of another graph function of the module (FuseOps creates these for fused groups). */
  | { readonly k: 'call'; readonly fn: string; readonly args: readonly Atom[] }
  | { readonly k: 'tuple'; readonly fields: readonly Atom[] }
  | { readonly k: 'tuple_get'; readonly tuple: Atom; readonly index: number }
  | { readonly k: 'atom'; readonly atom: Atom };

/** Where a binding came from, for diagnostics. */
export interface Origin {
  readonly node: string;
  readonly op: string;
  readonly opset?: number;
}

export interface Binding {
  readonly var: string;
  readonly value: Value;
  readonly sinfo: StructInfo;
  readonly origin?: Origin;
}

export interface BindingBlock {
  readonly dataflow: boolean;
  readonly bindings: readonly Binding[];
}

export interface Param {
  readonly name: string;
  readonly sinfo: StructInfo;
}

export interface GraphFunc {
  readonly k: 'graph_func';
  readonly name: string;
  readonly params: readonly Param[];
  readonly blocks: readonly BindingBlock[];
  /** Returned atoms (one per graph output). */
  readonly ret: readonly Atom[];
  /** Output names, in order (from the ONNX graph). */
  readonly retNames: readonly string[];
  /** `primitive: true` marks a fused group created by FuseOps (FuseTIR turns its body into one tensor function). */
  readonly attrs?: Readonly<Record<string, AttrValue>>;
}

export interface IRModule {
  readonly functions: Readonly<Record<string, GraphFunc>>;
  readonly tir: Readonly<Record<string, PrimFunc>>;
  readonly constants: Readonly<Record<string, HostTensor>>;
  /** Model-level facts: source file, opset, producer. */
  readonly attrs: Readonly<Record<string, AttrValue>>;
}
