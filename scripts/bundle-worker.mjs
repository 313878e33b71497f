// Bundles the compile worker (dist/scheduler/worker.js and the compiler it imports, ~125 modules) into one file,
// dist/scheduler/worker.bundle.js, after tsc. Every worker thread of a build loads the compiler: on the 16-core GPU
// machine, 16 threads loading the separate modules took ~280 ms each (p50) against ~95 ms for the bundle.
// Packages (protobufjs, webgpu, ...) and node built-ins stay external. worker.bundle.json lists each bundled
// module with its size, mtime and sha256: the pool uses the bundle only while all of them are unchanged (pool.ts;
// the mtime is only a shortcut: a copy that lost it, by tar or npm pack, is checked by content).
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const entry = path.join(dist, 'scheduler/worker.js');
const out = path.join(dist, 'scheduler/worker.bundle.js');
const bundle = await rolldown({ input: entry, platform: 'node', external: [/^node:/, /^[^./]/], treeshake: true, logLevel: 'warn' });
const { output } = await bundle.write({ file: out, format: 'esm', codeSplitting: false });
await bundle.close();
const inputs = output[0].moduleIds.filter((id) => path.isAbsolute(id)).map((id) => {
  const s = statSync(id);
  const sha256 = createHash('sha256').update(readFileSync(id)).digest('hex');
  return { path: path.relative(dist, id).split(path.sep).join('/'), size: s.size, mtimeMs: s.mtimeMs, sha256 };
});
if (!inputs.some((i) => i.path === 'compiler/compile.js')) throw new Error('bundle-worker: the compiler was not bundled');
writeFileSync(path.join(dist, 'scheduler/worker.bundle.json'), `${JSON.stringify({ inputs }, null, 1)}\n`);
console.log(`bundle-worker: ${path.relative(process.cwd(), out)} (${inputs.length} modules, ${(statSync(out).size / 1024).toFixed(0)} KiB)`);
