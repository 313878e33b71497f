import { defineConfig } from 'vitest/config';

// Many tests spawn the real CLI, cc, nvcc or Dawn; on a busy 2-core CI machine they take seconds, so the
// per-test limit is generous. Speed is measured in bench/, never asserted here.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
