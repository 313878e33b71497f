// Compiler load time in N worker threads started together (each imports the compiler, as a build's pool does).
// node scripts/device/probe-wload.mjs N [module]
import { Worker } from 'node:worker_threads';
import path from 'node:path';
const N = Number(process.argv[2] ?? 1);
const mod = path.resolve(process.argv[3] ?? 'dist/compiler/compile.js');
const t0 = Date.now();
const src = `const t=Date.now(); await import(${JSON.stringify(mod)}); (await import('node:worker_threads')).parentPort.postMessage(Date.now()-t);`;
const ws = Array.from({ length: N }, () => new Worker(src, { eval: true, type: 'module' }));
const r = await Promise.all(ws.map((w) => new Promise((res) => w.once('message', (m) => { res(m); w.terminate(); }))));
r.sort((a, b) => a - b);
console.log(`N=${N} ${path.basename(mod)}: import ms min ${r[0]} p50 ${r[Math.floor(N / 2)]} max ${r.at(-1)}; all loaded ${Date.now() - t0} ms after start`);
