/**
 * The op registry: every graph-level op (a `{k:'op'}` binding) has a definition here with its fusion pattern,
 * shape/type inference and, for most ops, legalization to a TIR PrimFunc. Ops without `legalize` (cumsum,
 * topk, tensor_to_shape) are handled by dedicated passes (DispatchSortScan, VM lowering).
 *
 * Legalized PrimFuncs take one buffer per *tensor* argument, in argument order (non-tensor arguments such as
 * reshape's target shape are not buffers), followed by the output buffer(s).
 */
import { RelaxError } from '../../diagnostics/index.js';
import type { Attrs, StructInfo } from '../ir/types.js';
import type { OpPattern, PrimFunc } from '../tir/types.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { MATMUL_OPS } from './matmul.js';
import { SOFTMAX_OPS } from './softmax.js';
import { SORT_SCAN_OPS } from './sort-scan.js';
import { SHAPE_OPS } from './tensor-to-shape.js';
import { TRANSFORM_OPS } from './transform.js';
import { FILL_OPS } from './fill.js';
import { GATHER_OPS } from './gather.js';
import { LAYOUT_OPS } from './layout.js';
import { RESIZE_OPS } from './resize.js';
import { REDUCE_OPS } from './reduce.js';
import { NORM_OPS } from './norm.js';
import { EINSUM_OPS } from './einsum.js';
import { CONV_OPS } from './conv.js';
import { POOL_OPS } from './pool.js';

export interface LegalizeCtx {
  /** PrimFunc name to use. */
  readonly name: string;
  readonly args: readonly StructInfo[];
  readonly out: StructInfo;
  readonly attrs: Attrs;
}

export interface OpDef {
  readonly name: string;
  pattern(attrs: Attrs): OpPattern;
  infer(args: readonly StructInfo[], attrs: Attrs): StructInfo;
  legalize?(ctx: LegalizeCtx): PrimFunc;
}

const REGISTRY: ReadonlyMap<string, OpDef> = new Map(
  [...ELEMENTWISE_OPS, ...MATMUL_OPS, ...TRANSFORM_OPS, ...SOFTMAX_OPS, ...SORT_SCAN_OPS, ...SHAPE_OPS,
    ...LAYOUT_OPS, ...GATHER_OPS, ...FILL_OPS, ...RESIZE_OPS,
    ...REDUCE_OPS, ...NORM_OPS, ...EINSUM_OPS,
    ...CONV_OPS, ...POOL_OPS].map((d) => [d.name, d]),
);

export function hasOp(name: string): boolean {
  return REGISTRY.has(name);
}

export function getOp(name: string): OpDef {
  const d = REGISTRY.get(name);
  if (!d) {
    throw new RelaxError('RLX_INTERNAL', `unknown graph op '${name}'`, undefined,
      `registered ops: ${[...REGISTRY.keys()].sort().join(', ')}`);
  }
  return d;
}

export function listOps(): string[] {
  return [...REGISTRY.keys()].sort();
}
