// For an artifact whose first input has a symbolic leading dim: writes input_b2.pb (the stored input repeated
// along that dim, so twice the stored batch) and output_b2.pb (onnxruntime-node's output for it) next to input_0.pb, so the
// GPU machine can check one artifact at a second size without rebuilding. Prints what it did.
//   node scripts/device/second-size.mjs MODEL.onnx ARTIFACT_DIR DATA_DIR
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { decodeTensorProto, encodeTensorProto } from '../../dist/formats/tensor-proto.js';

const [model, artifact, data] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(path.join(artifact, 'manifest.json'), 'utf8'));
const sig = manifest.inputs[0];
if (manifest.inputs.length !== 1 || typeof sig.shape[0] !== 'string') {
  console.log(`${path.basename(artifact)}: input ${sig.name} has a fixed leading dim (${JSON.stringify(sig.shape)}); no second size`);
  process.exit(0);
}
const { name, tensor } = decodeTensorProto(readFileSync(path.join(data, 'input_0.pb')));
const data2 = new Uint8Array(tensor.data.byteLength * 2);
data2.set(tensor.data, 0);
data2.set(tensor.data, tensor.data.byteLength);
const shape2 = [tensor.shape[0] * 2, ...tensor.shape.slice(1)];
const x2 = { dtype: tensor.dtype, shape: shape2, data: data2 };
writeFileSync(path.join(data, 'input_b2.pb'), encodeTensorProto(x2, name || sig.name));

const ORT_TYPE = { float32: ['float32', Float32Array], int64: ['int64', BigInt64Array], int32: ['int32', Int32Array] };
const [type, Ctor] = ORT_TYPE[tensor.dtype];
const session = await ort.InferenceSession.create(model);
const view = new Ctor(data2.buffer, data2.byteOffset, data2.byteLength / Ctor.BYTES_PER_ELEMENT);
const result = await session.run({ [session.inputNames[0]]: new ort.Tensor(type, view, shape2) });
const y = result[session.outputNames[0]];
if (y.type !== 'float32') throw new Error(`unexpected output type ${y.type}`);
const bytes = new Uint8Array(y.data.buffer, y.data.byteOffset, y.data.byteLength);
writeFileSync(path.join(data, 'output_b2.pb'), encodeTensorProto({ dtype: 'float32', shape: [...y.dims], data: new Uint8Array(bytes) }, session.outputNames[0]));
console.log(`${path.basename(path.dirname(artifact))}: batch ${shape2[0]} input and onnxruntime output written`);
