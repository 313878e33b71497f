/**
 * The VM program format (`program.json` in an artifact). Plain JSON written by the compiler's VM codegen
 * and read by the runtime; the runtime never imports the compiler, so this file is the whole contract.
 *
 * Registers hold tensors, storages, tuples or ints. Symbolic shape variables live in an environment bound by
 * `vm.match_shape` on the inputs; `ShapeExpr`s are evaluated against it.
 */
import type { DType } from './dtype.js';

/** An int64 expression over symbolic shape variables: literal, variable name, or [op, a, b]. */
export type ShapeExpr = number | string | readonly [ShapeOp, ShapeExpr, ShapeExpr];
export type ShapeOp = '+' | '-' | '*' | 'floordiv' | 'floormod' | 'min' | 'max';

export type Arg =
  | { readonly r: number } // register
  | { readonly c: string } // constant (tensor name in weights.safetensors)
  | { readonly i: ShapeExpr } // int value (possibly symbolic)
  | { readonly shape: readonly ShapeExpr[] } // a shape
  | { readonly str: string } // string immediate (dtype names, kernel names)
  | { readonly dtype: DType };

export type Instr =
  /** Calls a builtin (`vm.*`) or a kernel (`kernel:<name>`); result goes to `dst` when given. */
  | { readonly op: 'call'; readonly fn: string; readonly args: readonly Arg[]; readonly dst?: number }
  | { readonly op: 'ret'; readonly args: readonly Arg[] }
  | { readonly op: 'goto'; readonly to: number }
  /** Jumps to `else` when the condition register holds 0. */
  | { readonly op: 'if'; readonly cond: Arg; readonly else: number };

export interface TensorSig {
  readonly name: string;
  readonly dtype: DType;
  /** Numbers for static dims, variable names (or expressions) for symbolic dims. */
  readonly shape: readonly ShapeExpr[];
}

export interface VMFunction {
  readonly params: readonly TensorSig[];
  readonly outputs: readonly TensorSig[];
  readonly registers: number;
  readonly instrs: readonly Instr[];
}

export interface VMProgram {
  readonly format: 1;
  readonly functions: Readonly<Record<string, VMFunction>>;
}

/**
 * Builtins the runtime implements (the VM instruction set is call/ret/goto/if; everything else is one of these):
 * - `vm.match_shape(tensor r, shape)`: checks a tensor's shape and binds symbolic vars on first sight.
 * - `vm.alloc_storage(bytes i, str device-scope)` -> storage
 * - `vm.alloc_tensor(storage r, offset i, shape, dtype)` -> tensor view into the storage
 * - `vm.kill(r)`: frees a storage (or drops a register) after its last use
 * - `vm.reshape(tensor r, shape)` -> view with a new shape (same bytes)
 * - `vm.tuple(args...)` -> tuple, `vm.tuple_get(r, i)` -> element
 * - `kernel:<name>(tensors...)`: launches a kernel; symbolic vars are passed from the environment in the
 *   order of the kernel's `vars` in the manifest.
 */
export const VM_BUILTINS = ['vm.match_shape', 'vm.alloc_storage', 'vm.alloc_tensor', 'vm.kill', 'vm.reshape', 'vm.tuple', 'vm.tuple_get'] as const;

export function evalShapeExpr(e: ShapeExpr, env: ReadonlyMap<string, number>): number {
  if (typeof e === 'number') return e;
  if (typeof e === 'string') {
    const v = env.get(e);
    if (v === undefined) throw new Error(`symbolic dimension '${e}' is not bound`);
    return v;
  }
  const [op, a0, b0] = e;
  const a = evalShapeExpr(a0, env), b = evalShapeExpr(b0, env);
  switch (op) {
    case '+': return a + b;
    case '-': return a - b;
    case '*': return a * b;
    case 'floordiv': return Math.floor(a / b);
    case 'floormod': return a - Math.floor(a / b) * b;
    case 'min': return Math.min(a, b);
    case 'max': return Math.max(a, b);
  }
}

/**
 * `vm.tensor_to_shape(tensor r, str var0, str var1, ...)`: reads an int tensor's values on the host and binds
 * each named symbolic var to one element (data-dependent shapes, e.g. TopK's `k` input). Checks a var that is
 * already bound for equality.
 */
export const VM_TENSOR_TO_SHAPE = 'vm.tensor_to_shape';
