import { defineConfig } from 'relax';

// `npm run build` compiles every model x target into dist/<model>/<target>/ (kernels + VM artifact);
// `npm run dev` rebuilds what a change affects. Paths are relative to this file.
export default defineConfig({
  outDir: 'dist',
  models: {
    // A tiny example (x[batch, 16] → Gemm → Clip(0, 6) → Gemm → y[batch, 8]); replace it with your own ONNX files.
    mlp: 'models/mlp.onnx',
  },
  // Add { kind: 'cuda', arch: 'sm_90' } for NVIDIA GPUs (kernels are compiled when nvcc is installed).
  targets: ['cpu', 'webgpu'],
  pipeline: 'default',
});
