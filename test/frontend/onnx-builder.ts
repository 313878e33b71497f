/** Test helpers: build small ONNX models with relax's own schema, and turn graph inputs into initializers. */
import { readFileSync } from 'node:fs';
import { DTYPE_ONNX, type DType } from '../../src/formats/dtype.js';
import type { HostTensor } from '../../src/formats/tensor.js';
import { onnxType } from '../../src/compiler/frontend/onnx/schema.js';

export type AttrSpec = number | readonly number[] | HostTensor | string | { f: number } | { floats: readonly number[] };
export interface NodeSpec { op: string; name?: string; inputs: string[]; outputs: string[]; attrs?: Record<string, AttrSpec>; domain?: string }
export interface VISpec { name: string; dtype: DType; dims?: readonly (number | string | null)[] }

const tensorObj = (t: HostTensor, name?: string) => ({ ...(name ? { name } : {}), dims: t.shape, data_type: DTYPE_ONNX[t.dtype], raw_data: t.data });

function attrObj(name: string, v: AttrSpec): Record<string, unknown> {
  if (typeof v === 'number') return { name, type: 2, i: v };
  if (typeof v === 'string') return { name, type: 3, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: 7, ints: v };
  if ('f' in v) return { name, type: 1, f: v.f };
  if ('floats' in v) return { name, type: 6, floats: v.floats };
  return { name, type: 4, t: tensorObj(v as HostTensor) };
}

const vi = (v: VISpec) => ({
  name: v.name,
  type: { tensor_type: { elem_type: DTYPE_ONNX[v.dtype], ...(v.dims ? { shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dim_value: d } : typeof d === 'string' ? { dim_param: d } : {})) } } : {}) } },
});

export function buildModel(spec: { opset: number; nodes: NodeSpec[]; inputs: VISpec[]; outputs: VISpec[]; initializers?: Record<string, HostTensor> }): Uint8Array {
  const T = onnxType('ModelProto');
  const obj = {
    ir_version: 8,
    producer_name: 'relax-test',
    opset_import: [{ domain: '', version: spec.opset }],
    graph: {
      name: 'g',
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `${n.op.toLowerCase()}_${i}`, op_type: n.op, input: n.inputs, output: n.outputs,
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attrObj(k, v)), ...(n.domain ? { domain: n.domain } : {}),
      })),
      initializer: Object.entries(spec.initializers ?? {}).map(([k, t]) => tensorObj(t, k)),
      input: spec.inputs.map(vi),
      output: spec.outputs.map(vi),
    },
  };
  return T.encode(T.fromObject(obj)).finish();
}

/** Rewrites a model so that the named graph inputs become initializers holding the given TensorProto files. */
export function constantize(model: Uint8Array, inputs: Readonly<Record<string, string>>): Uint8Array {
  const M = onnxType('ModelProto'), TP = onnxType('TensorProto');
  const m = M.toObject(M.decode(model), { arrays: true }) as { graph: { input: { name: string }[]; initializer: unknown[] } };
  for (const [name, file] of Object.entries(inputs)) {
    const t = TP.toObject(TP.decode(readFileSync(file)), { arrays: true }) as Record<string, unknown>;
    m.graph.initializer.push({ ...t, name });
    m.graph.input = m.graph.input.filter((x) => x.name !== name);
  }
  return M.encode(M.fromObject(m)).finish();
}
