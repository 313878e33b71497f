/**
 * ONNX external data: initializers whose bytes live in another file (location/offset/length, relative to the
 * model). Loaded by the importer, part of the cache key, and a missing or short file is a diagnostic naming the
 * tensor and the file.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { importOnnx } from '../../src/compiler/frontend/onnx/import.js';
import { loadOnnx, modelOutline } from '../../src/compiler/frontend/onnx/load.js';
import { onnxType } from '../../src/compiler/frontend/onnx/schema.js';
import { thrown } from '../thrown.js';
import { toNumbers } from '../../src/formats/tensor.js';
import { hashModelInputs } from '../../src/scheduler/cache.js';
import { externalDataCandidates } from '../../src/scheduler/plan.js';

const dir = mkdtempSync(join(tmpdir(), 'relax-extdata-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Add(x, w) with w: float32[2,3] at `offset` in `location`. */
function model(location: string, offset: number): Uint8Array {
  const M = onnxType('ModelProto');
  return M.encode(M.fromObject({
    ir_version: 8,
    opset_import: [{ domain: '', version: 17 }],
    graph: {
      name: 'g',
      node: [{ name: 'add', op_type: 'Add', input: ['x', 'w'], output: ['y'] }],
      initializer: [{
        name: 'w', dims: [2, 3], data_type: 1, data_location: 1,
        external_data: [{ key: 'location', value: location }, { key: 'offset', value: String(offset) }, { key: 'length', value: '24' }],
      }],
      input: [{ name: 'x', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_value: 2 }, { dim_value: 3 }] } } } }],
      output: [{ name: 'y', type: { tensor_type: { elem_type: 1 } } }],
    },
  })).finish();
}

const weights = new Float32Array([1, 2, 3, 4, 5, 6]);
const padded = new Uint8Array(8 + 24);
padded.set(new Uint8Array(weights.buffer), 8);

describe('external data', () => {
  const modelPath = join(dir, 'net.onnx');
  writeFileSync(modelPath, model('weights.bin', 8));
  writeFileSync(join(dir, 'weights.bin'), padded);

  it('the importer reads the tensor from the file at its offset, relative to the model', () => {
    const mod = importOnnx(readFileSync(modelPath), { modelPath, modelName: 'net' });
    expect(Object.values(mod.constants).map(toNumbers)).toEqual([[1, 2, 3, 4, 5, 6]]);
  });

  it('the files a model names are part of its cache key, whatever their name', async () => {
    expect(modelOutline(readFileSync(modelPath)).externalData).toEqual(['weights.bin']);
    const inputFiles = [{ label: 'model', path: modelPath, optional: false },
      ...externalDataCandidates(modelPath).map((p) => ({ label: p, path: p, optional: true }))];
    const job = { inputFiles };
    const a = await hashModelInputs(job);
    expect(a.paths).toEqual([modelPath, join(dir, 'weights.bin')]);
    const changed = padded.slice();
    changed[10] = 7;
    writeFileSync(join(dir, 'weights.bin'), changed);
    const b = await hashModelInputs(job);
    const weights = join(dir, 'weights.bin');
    expect(b.files[weights]).not.toBe(a.files[weights]);
    expect(b.files.model).toBe(a.files.model);
    writeFileSync(weights, padded);
    expect((await hashModelInputs(job)).files).toEqual(a.files);
  });

  it('a missing file names the tensor and the file', () => {
    const p = join(dir, 'missing.onnx');
    writeFileSync(p, model('gone.bin', 0));
    const d = thrown(() => importOnnx(readFileSync(p), { modelPath: p, modelName: 'missing' }));
    expect(d.code).toBe('RLX_ONNX_INVALID');
    expect(d.message).toContain("tensor 'w'");
    expect(d.message).toContain("'gone.bin'");
    expect(d.message).toContain('not found');
  });

  it('a short file names the tensor and the file', () => {
    const p = join(dir, 'short.onnx');
    writeFileSync(p, model('short.bin', 16));
    writeFileSync(join(dir, 'short.bin'), padded.slice(0, 30));
    const d = thrown(() => importOnnx(readFileSync(p), { modelPath: p, modelName: 'short' }));
    expect(d.code).toBe('RLX_ONNX_INVALID');
    expect(d.message).toContain("'w'");
    expect(d.message).toContain("'short.bin' is too short (needs 40 bytes, has 30)");
  });

  it('a location outside the model folder is refused', () => {
    const p = join(dir, 'escape.onnx');
    writeFileSync(p, model('../x.bin', 0));
    expect(thrown(() => importOnnx(readFileSync(p), { modelPath: p, modelName: 'escape' })).message).toContain('must be a relative path inside the model');
  });

  const gpt2 = join(__dirname, '../../../shared/models/gpt2_tiny/model.onnx');
  it.skipIf(!existsSync(gpt2) && !process.env.CI)('gpt2_tiny (model.onnx + model.onnx.data) loads', () => {
    const bytes = readFileSync(gpt2);
    expect(modelOutline(bytes).externalData).toEqual(['model.onnx.data']);
    const m = loadOnnx(bytes, { baseDir: join(gpt2, '..') });
    const total = [...m.graph.initializers.values()].reduce((s, t) => s + t.data.byteLength, 0);
    expect(total).toBeGreaterThan(8_000_000);
  });
});
