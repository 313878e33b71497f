// Bundles what a build loads, after tsc, so that it loads a few files instead of hundreds of modules:
//  - the compile worker, dist/scheduler/worker.bundle.js: worker.js and the compiler it imports (~125 modules).
//    Every worker thread of a build loads it: on the 16-core GPU machine, 16 threads loading the separate modules
//    took ~280 ms each (p50) against ~95 ms for the bundle. Packages and node built-ins stay external (each
//    thread loads them once either way).
//  - the CLI, dist/bundle/cli.js and its chunks: bin/relax.js on the main thread, with the packages the config
//    and plan steps load (cosmiconfig, sucrase, zod, protobufjs, picomatch) inlined. Before the first job can
//    start, a cold build loads the CLI, the config loader and the planner: ~180 modules, 260-370 ms on a 2-core
//    VM, against 130-150 ms bundled. Dynamic imports stay chunks, so a no-op build still loads only what it uses.
//    Kept external: packages that find files next to themselves (piscina's worker, jiti's lazy Babel, native
//    addons), the watcher, and typescript (never loaded). The inlined packages' licenses are written beside the
//    bundle (dist/bundle/THIRD-PARTY-LICENSES.txt).
// Each bundle has a manifest (<bundle>.json) listing the dist modules it was made from with their size, mtime and
// sha256: a bundle is used only while all of them are unchanged (src/bundles.ts), so a tsc run without this step
// never runs stale code, only slower-loading code.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

/**
 * The packages a bundle inlines, with their licenses: written beside it, since the bundle carries their code
 * (most of their files have no license header of their own).
 */
function thirdPartyLicenses(output) {
  const roots = new Set();
  for (const id of output.flatMap((o) => o.moduleIds ?? [])) {
    const m = /^(.*[\\/]node_modules[\\/](?:@[^\\/]+[\\/])?[^\\/]+)[\\/]/.exec(id);
    if (m) roots.add(m[1]);
  }
  return [...roots].sort().map((root) => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    const file = readdirSync(root).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    const text = file ? readFileSync(path.join(root, file), 'utf8').trim() : `(no license file; package.json says ${pkg.license ?? 'nothing'})`;
    return `${pkg.name}@${pkg.version} (${pkg.license ?? 'unknown'})\n\n${text}\n`;
  }).join(`\n${'-'.repeat(78)}\n\n`);
}

/** Modules of dist/ in the bundle, as the manifest lists them. */
function inputsOf(output) {
  const ids = [...new Set(output.flatMap((o) => o.moduleIds ?? []))].filter((id) => path.isAbsolute(id) && id.startsWith(dist)).sort();
  return ids.map((id) => {
    const s = statSync(id);
    const sha256 = createHash('sha256').update(readFileSync(id)).digest('hex');
    return { path: path.relative(dist, id).split(path.sep).join('/'), size: s.size, mtimeMs: s.mtimeMs, sha256 };
  });
}

async function bundle({ name, input, external, write, manifest, mustHave, licenses }) {
  const b = await rolldown({ input, platform: 'node', external, treeshake: true, logLevel: 'warn' });
  const { output } = await b.write(write);
  await b.close();
  const inputs = inputsOf(output);
  for (const m of mustHave) if (!inputs.some((i) => i.path === m)) throw new Error(`bundle: ${m} is not in the ${name} bundle`);
  writeFileSync(manifest, `${JSON.stringify({ inputs }, null, 1)}\n`);
  if (licenses) writeFileSync(licenses, thirdPartyLicenses(output));
  const bytes = output.reduce((s, o) => s + (o.type === 'chunk' ? Buffer.byteLength(o.code) : 0), 0);
  console.log(`bundle: ${name}: ${output.length} file(s), ${inputs.length} modules, ${(bytes / 1024).toFixed(0)} KiB`);
}

await bundle({
  name: 'worker',
  input: path.join(dist, 'scheduler/worker.js'),
  external: [/^node:/, /^[^./]/],
  write: { file: path.join(dist, 'scheduler/worker.bundle.js'), format: 'esm', codeSplitting: false },
  manifest: path.join(dist, 'scheduler/worker.bundle.json'),
  mustHave: ['compiler/compile.js'],
});

const cliDir = path.join(dist, 'bundle');
rmSync(cliDir, { recursive: true, force: true });
await bundle({
  name: 'cli',
  input: { cli: path.join(dist, 'cli/index.js') },
  // typescript: cosmiconfig's own .ts loader requires it, and relax replaces that loader (config/load.ts).
  external: [/^node:/, 'piscina', 'jiti', 'chokidar', 'koffi', 'webgpu', 'onnxruntime-node', 'typescript'],
  write: { dir: cliDir, format: 'esm', entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
  manifest: path.join(cliDir, 'cli.json'),
  licenses: path.join(cliDir, 'THIRD-PARTY-LICENSES.txt'),
  mustHave: ['cli/index.js', 'scheduler/build.js', 'config/load.js'],
});
