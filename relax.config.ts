import { defineConfig } from 'relax';

// The repo's own build: the bundled example model for every target (dogfooding).
export default defineConfig({
  outDir: 'dist-models',
  models: {
    tiny_mlp: 'examples/models/tiny_mlp.onnx',
  },
  targets: ['cpu', 'webgpu', { kind: 'cuda', arch: 'sm_90' }],
  pipeline: 'default',
});
