/** `relax/runtime`: load and run artifacts. */
export { Session, type SessionOptions } from './session.js';
export type { HostTensor } from '../formats/tensor.js';
export type { Manifest } from '../formats/manifest.js';
export { decodeTensorProto, encodeTensorProto } from '../formats/tensor-proto.js';
