/** What an ONNX op converter sees: the node, its opset, and a builder that emits graph-IR bindings. */
import type { HostTensor } from '../../../../formats/tensor.js';
import type { Atom, Attrs, StructInfo, Value } from '../../../ir/types.js';
import type { OnnxAttr, OnnxNode } from '../load.js';
import type { KnownValue } from '../shape-values.js';

export interface ConvertCtx {
  readonly node: OnnxNode;
  /** Opset version of the default domain. */
  readonly opset: number;
  /** Atom of input i, or undefined when the optional input is absent (missing or empty name). */
  input(i: number): Atom | undefined;
  /** Atom of input i; a diagnostic when absent. */
  required(i: number, what: string): Atom;
  sinfo(a: Atom): StructInfo;
  /** The tensor of input i when it is a module constant (initializer or Constant output). */
  constant(i: number): HostTensor | undefined;
  /**
   * The known value of input i (see shape-values.ts): small constants, and int tensors computed at import time
   * whose elements may be symbolic dims. Shape-reading converters read their targets from it.
   */
  knownValue(i: number): KnownValue | undefined;
  attr(name: string): OnnxAttr | undefined;
  attrInt(name: string, dflt: number): number;
  attrFloat(name: string, dflt: number): number;
  attrInts(name: string): readonly number[] | undefined;
  /** Emits a graph op binding (struct info inferred by the op registry). `out` names it after output i. */
  op(op: string, args: readonly Atom[], attrs: Attrs, name: number | string): Atom;
  /** Emits any other value with the given struct info. */
  emit(value: Value, sinfo: StructInfo, name: number | string): Atom;
  /** Adds a module constant (name is made unique) and returns its atom. */
  constantAtom(name: string, t: HostTensor): Atom;
  /** A fresh symbolic shape variable name (unique in the module). */
  freshSymVar(base: string): string;
  /** Binds ONNX output i to an atom. */
  setOutput(i: number, a: Atom): void;
  /** Throws RLX_ONNX_UNSUPPORTED naming the op, opset and node. */
  unsupported(what: string, hint?: string): never;
}

export interface Converter {
  /** Attribute names this converter understands; any other attribute is reported as unsupported. */
  readonly attrs: readonly string[];
  /**
   * Inputs whose values the compiler needs at build time because they decide output shapes or ranks (Reshape's
   * shape, Squeeze's axes...). They must be initializers, Constant outputs, or graph inputs bound to values at
   * build time; the converter reports them as unsupported otherwise. Tools (the conformance runner, tests) read
   * this list to know which inputs to bind.
   */
  readonly constInputs?: readonly number[];
  convert(ctx: ConvertCtx): void;
}

export type ConverterTable = Readonly<Record<string, Converter>>;
