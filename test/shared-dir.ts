/** `../shared` beside the repository (CI puts it there too): models and the ONNX conformance suite. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const SHARED = resolve(REPO, '../shared');
