/**
 * Parses ONNX model bytes into plain typed data (graph, nodes, attributes, value infos, initializers as
 * HostTensors). External data (`model.onnx.data` next to the model) is read once per file and sliced.
 */
import protobuf from 'protobufjs';
import { RelaxError } from '../../../diagnostics/index.js';
import type { HostTensor } from '../../../formats/tensor.js';
import { int64ToNumber, tensorFromMessage, type TensorProtoMessage } from '../../../formats/tensor-proto.js';
import { onnxType } from './schema.js';

export type OnnxDim = { readonly value: number } | { readonly param: string } | { readonly unknown: true };

export type OnnxType =
  | { readonly k: 'tensor'; readonly elemType: number; readonly dims?: readonly OnnxDim[] }
  | { readonly k: 'other'; readonly what: string };

export interface OnnxValueInfo { readonly name: string; readonly type?: OnnxType }

export type OnnxAttr =
  | { readonly type: 'float'; readonly value: number }
  | { readonly type: 'int'; readonly value: number }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'tensor'; readonly value: HostTensor }
  | { readonly type: 'floats'; readonly value: readonly number[] }
  | { readonly type: 'ints'; readonly value: readonly number[] }
  | { readonly type: 'strings'; readonly value: readonly string[] }
  | { readonly type: 'other'; readonly what: string };

export interface OnnxNode {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: ReadonlyMap<string, OnnxAttr>;
}

export interface OnnxGraph {
  readonly name: string;
  readonly nodes: readonly OnnxNode[];
  readonly initializers: ReadonlyMap<string, HostTensor>;
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  readonly valueInfo: readonly OnnxValueInfo[];
  readonly sparseInitializers: number;
}

export interface OnnxModel {
  readonly irVersion: number;
  readonly producer: string;
  /** Opset version per domain ('' is the default ai.onnx domain). */
  readonly opsets: ReadonlyMap<string, number>;
  readonly graph: OnnxGraph;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Msg = Record<string, any>;

const ATTR_TYPES: Record<number, string> = {
  1: 'float', 2: 'int', 3: 'string', 4: 'tensor', 5: 'graph', 6: 'floats', 7: 'ints', 8: 'strings',
  9: 'tensors', 10: 'graphs', 11: 'sparse_tensor', 12: 'sparse_tensors', 13: 'type_proto', 14: 'type_protos',
};
const utf8 = new TextDecoder();

export interface LoadOptions {
  /** Folder of the model file (external data locations are relative to it). */
  readonly baseDir?: string;
}

function onnxLoadError(msg: string, hint?: string): RelaxError {
  return new RelaxError('RLX_ONNX_INVALID', msg, undefined, hint);
}

export function loadOnnx(bytes: Uint8Array, opts: LoadOptions = {}): OnnxModel {
  const T = onnxType('ModelProto');
  let m: Msg;
  try {
    m = T.toObject(T.decode(bytes), { arrays: true, defaults: false }) as Msg;
  } catch (e) {
    throw onnxLoadError(`the file is not a valid ONNX model: ${(e as Error).message}`, 'Check that the path points to an .onnx file (ModelProto).');
  }
  if (!m.graph) throw onnxLoadError('the ONNX model has no graph');
  const files = new Map<string, Uint8Array>();
  /** The tensor whose data is being read (external data errors name it). */
  let current = '';
  const readExternal = (location: string): Uint8Array => {
    let f = files.get(location);
    if (!f) {
      const who = `tensor '${current || '(unnamed)'}'`;
      if (opts.baseDir === undefined) throw onnxLoadError(`${who} stores its data externally in '${location}', but the model's folder is unknown`);
      const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
      const path = process.getBuiltinModule('node:path') as typeof import('node:path');
      const norm = path.normalize(location);
      if (path.isAbsolute(norm) || norm.startsWith('..')) {
        throw onnxLoadError(`${who}: external data location '${location}' must be a relative path inside the model's folder`);
      }
      const full = path.join(opts.baseDir, norm);
      if (!fs.existsSync(full)) {
        throw onnxLoadError(`${who} stores its data in the external file '${location}', which was not found next to the model (looked at ${full})`,
          `Keep '${location}' in the same folder as the .onnx file.`);
      }
      const b = fs.readFileSync(full);
      f = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      files.set(location, f);
    }
    return f;
  };
  const tensor = (t: Msg): HostTensor => {
    current = String(t.name ?? '');
    try {
      return tensorFromMessage(t as TensorProtoMessage, { readExternal }).tensor;
    } catch (e) {
      if (e instanceof RelaxError) throw e;
      throw onnxLoadError((e as Error).message, t.data_location === 1
        ? 'The external data file is shorter than the model says, or does not belong to this model; re-export the model with its data.'
        : undefined);
    }
  };

  const typeOf = (t: Msg | undefined): OnnxType | undefined => {
    if (!t) return undefined;
    if (t.tensor_type) {
      const tt = t.tensor_type;
      const dims = tt.shape ? (tt.shape.dim ?? []).map((d: Msg): OnnxDim =>
        d.dim_value !== undefined && d.dim_value !== null ? { value: int64ToNumber(d.dim_value) }
          : d.dim_param ? { param: String(d.dim_param) } : { unknown: true }) : undefined;
      return { k: 'tensor', elemType: tt.elem_type ?? 0, ...(dims ? { dims } : {}) };
    }
    const what = t.sequence_type ? 'sequence' : t.map_type ? 'map' : t.optional_type ? 'optional' : t.sparse_tensor_type ? 'sparse tensor' : 'unknown';
    return { k: 'other', what };
  };
  const vinfo = (v: Msg): OnnxValueInfo => {
    const type = typeOf(v.type);
    return { name: String(v.name ?? ''), ...(type ? { type } : {}) };
  };
  const attr = (a: Msg): OnnxAttr => {
    let t = ATTR_TYPES[a.type ?? 0];
    if (!t) {
      // Old models leave `type` unset: infer it from the field that is present.
      t = a.f !== undefined ? 'float' : a.i !== undefined ? 'int' : a.s !== undefined ? 'string' : a.t ? 'tensor'
        : a.g ? 'graph' : a.floats?.length ? 'floats' : a.ints?.length ? 'ints' : a.strings?.length ? 'strings' : 'other';
    }
    switch (t) {
      case 'float': return { type: 'float', value: a.f ?? 0 };
      case 'int': return { type: 'int', value: int64ToNumber(a.i ?? 0) };
      case 'string': return { type: 'string', value: utf8.decode(a.s ?? new Uint8Array()) };
      case 'tensor': return { type: 'tensor', value: tensor(a.t ?? {}) };
      case 'floats': return { type: 'floats', value: [...(a.floats ?? [])] };
      case 'ints': return { type: 'ints', value: (a.ints ?? []).map(int64ToNumber) };
      case 'strings': return { type: 'strings', value: (a.strings ?? []).map((s: Uint8Array) => utf8.decode(s)) };
      default: return { type: 'other', what: t };
    }
  };
  const g = m.graph as Msg;
  const nodes: OnnxNode[] = (g.node ?? []).map((n: Msg): OnnxNode => ({
    name: String(n.name ?? ''),
    opType: String(n.op_type ?? ''),
    domain: String(n.domain ?? ''),
    inputs: (n.input ?? []).map(String),
    outputs: (n.output ?? []).map(String),
    attrs: new Map((n.attribute ?? []).map((a: Msg) => [String(a.name), attr(a)])),
  }));
  const initializers = new Map<string, HostTensor>();
  for (const t of g.initializer ?? []) initializers.set(String(t.name ?? ''), tensor(t));
  const opsets = new Map<string, number>();
  for (const o of m.opset_import ?? []) {
    const d = String(o.domain ?? '');
    opsets.set(d === 'ai.onnx' ? '' : d, int64ToNumber(o.version ?? 0));
  }
  return {
    irVersion: int64ToNumber(m.ir_version ?? 0),
    producer: [m.producer_name, m.producer_version].filter(Boolean).join(' '),
    opsets,
    graph: {
      name: String(g.name ?? ''),
      nodes,
      initializers,
      inputs: (g.input ?? []).map(vinfo),
      outputs: (g.output ?? []).map(vinfo),
      valueInfo: (g.value_info ?? []).map(vinfo),
      sparseInitializers: (g.sparse_initializer ?? []).length,
    },
  };
}

/**
 * Visits the fields of one protobuf message in `buf` without copying: a length-delimited field's payload is
 * handed to `visit` as a view (sub-messages are then walked the same way). `visit` returns false to skip a field.
 */
function walkFields(buf: Uint8Array, visit: (field: number, wire: number, r: protobuf.Reader) => boolean): void {
  const r = protobuf.Reader.create(buf);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (!visit(tag >>> 3, tag & 7, r)) r.skipType(tag & 7);
  }
}

/** The payload of the length-delimited field at the reader's position, as a view (the reader moves past it). */
function payload(r: protobuf.Reader): Uint8Array {
  const len = r.uint32();
  const view = r.buf.subarray(r.pos, r.pos + len);
  r.pos += len;
  return view;
}

/** What planning needs from a model file, read in one shallow walk of ModelProto.graph without decoding it. */
export interface ModelOutline {
  /** The external data files its initializers name (`external_data` `location`s), sorted. */
  readonly externalData: string[];
  /** How many nodes the main graph has (the scheduler's cost estimate: compile time follows the kernel count). */
  readonly nodes: number;
}

/** A model's outline; empty (no files, 0 nodes) when the bytes are not a readable model: the compiler reports that. */
export function modelOutline(bytes: Uint8Array): ModelOutline {
  const out = new Set<string>();
  let nodes = 0;
  try {
    walkFields(bytes, (f, w, r) => {
      if (f !== 7 || w !== 2) return false; // ModelProto.graph
      walkFields(payload(r), (g, gw, rg) => {
        if (g === 1) { // GraphProto.node
          nodes++;
          return false;
        }
        if (g !== 5 || gw !== 2) return false; // GraphProto.initializer
        walkFields(payload(rg), (t, tw, rt) => {
          if (t !== 13 || tw !== 2) return false; // TensorProto.external_data
          let key = '', value = '';
          walkFields(payload(rt), (e, ew, re) => {
            if (e === 1 && ew === 2) key = re.string();
            else if (e === 2 && ew === 2) value = re.string();
            else return false;
            return true;
          });
          if (key === 'location' && value) out.add(value);
          return true;
        });
        return true;
      });
      return true;
    });
  } catch {
    // Not a readable model: the compiler reports that; the cache key just has no external files.
  }
  return { externalData: [...out].sort(), nodes };
}
