/**
 * The ONNX protobuf schema as protobufjs reflection (JSON descriptors written here; field numbers are
 * ONNX's). Only the messages and fields the importer reads; unknown fields are skipped by the decoder.
 */
import protobuf from 'protobufjs';
import { STRING_STRING_ENTRY_JSON, TENSOR_PROTO_JSON } from '../../../formats/tensor-proto.js';

const rep = (type: string, id: number, packed?: boolean) =>
  ({ rule: 'repeated', type, id, ...(packed === undefined ? {} : { options: { packed } }) });
const one = (type: string, id: number) => ({ type, id });

const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        StringStringEntryProto: STRING_STRING_ENTRY_JSON,
        TensorProto: TENSOR_PROTO_JSON,
        SparseTensorProto: { fields: { values: one('TensorProto', 1), indices: one('TensorProto', 2), dims: rep('int64', 3, false) } },
        OperatorSetIdProto: { fields: { domain: one('string', 1), version: one('int64', 2) } },
        TensorShapeProto: {
          fields: { dim: rep('Dimension', 1) },
          nested: { Dimension: { fields: { dim_value: one('int64', 1), dim_param: one('string', 2), denotation: one('string', 3) } } },
        },
        TypeProto: {
          fields: {
            tensor_type: one('Tensor', 1), sequence_type: one('Sequence', 4), map_type: one('Map', 5),
            denotation: one('string', 6), sparse_tensor_type: one('SparseTensor', 8), optional_type: one('Optional', 9),
          },
          nested: {
            Tensor: { fields: { elem_type: one('int32', 1), shape: one('TensorShapeProto', 2) } },
            Sequence: { fields: { elem_type: one('TypeProto', 1) } },
            Map: { fields: { key_type: one('int32', 1), value_type: one('TypeProto', 2) } },
            Optional: { fields: { elem_type: one('TypeProto', 1) } },
            SparseTensor: { fields: { elem_type: one('int32', 1), shape: one('TensorShapeProto', 2) } },
          },
        },
        ValueInfoProto: { fields: { name: one('string', 1), type: one('TypeProto', 2), doc_string: one('string', 3) } },
        AttributeProto: {
          fields: {
            name: one('string', 1), f: one('float', 2), i: one('int64', 3), s: one('bytes', 4), t: one('TensorProto', 5),
            g: one('GraphProto', 6), floats: rep('float', 7), ints: rep('int64', 8), strings: rep('bytes', 9),
            tensors: rep('TensorProto', 10), graphs: rep('GraphProto', 11), doc_string: one('string', 13),
            tp: one('TypeProto', 14), type_protos: rep('TypeProto', 15), type: one('int32', 20),
            ref_attr_name: one('string', 21), sparse_tensor: one('SparseTensorProto', 22), sparse_tensors: rep('SparseTensorProto', 23),
          },
        },
        NodeProto: {
          fields: {
            input: rep('string', 1), output: rep('string', 2), name: one('string', 3), op_type: one('string', 4),
            attribute: rep('AttributeProto', 5), doc_string: one('string', 6), domain: one('string', 7), overload: one('string', 8),
          },
        },
        GraphProto: {
          fields: {
            node: rep('NodeProto', 1), name: one('string', 2), initializer: rep('TensorProto', 5), doc_string: one('string', 10),
            input: rep('ValueInfoProto', 11), output: rep('ValueInfoProto', 12), value_info: rep('ValueInfoProto', 13),
            sparse_initializer: rep('SparseTensorProto', 15),
          },
        },
        ModelProto: {
          fields: {
            ir_version: one('int64', 1), producer_name: one('string', 2), producer_version: one('string', 3),
            domain: one('string', 4), model_version: one('int64', 5), doc_string: one('string', 6), graph: one('GraphProto', 7),
            opset_import: rep('OperatorSetIdProto', 8), metadata_props: rep('StringStringEntryProto', 14),
          },
        },
      },
    },
  },
};

let root: protobuf.Root | undefined;
export function onnxType(name: 'ModelProto' | 'GraphProto' | 'NodeProto' | 'TensorProto' | 'AttributeProto' | 'ValueInfoProto'): protobuf.Type {
  root ??= protobuf.Root.fromJSON(SCHEMA as unknown as protobuf.INamespace);
  return root.lookupType(`onnx.${name}`);
}
