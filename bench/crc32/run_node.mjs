// run_node.mjs — Node.js baseline for the CRC-32 benchmark: runs the same
// reactor .wasm under node:wasi with DIR preopened as "/" (so the content is
// /data.bin), calls _initialize then process() once, and prints one JSON
// line: {"stdout": <module stdout>, "result": <process return>,
//        "process_ms": <time inside process()>, "total_ms": <read + compile +
//        instantiate + initialize + process>}.
// usage: node run_node.mjs MODULE.wasm DIR
import { WASI } from 'node:wasi';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

process.removeAllListeners('warning'); // silence "WASI is experimental"

const [wasmPath, dir] = process.argv.slice(2);
if (!wasmPath || !dir) {
  console.error('usage: node run_node.mjs MODULE.wasm DIR');
  process.exit(2);
}

const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wadup-bench-node-'));
const outPath = path.join(outDir, 'stdout');
const outFd = fs.openSync(outPath, 'w+');
try {
  const t0 = performance.now();
  const wasi = new WASI({
    version: 'preview1', args: ['module'], env: {},
    preopens: { '/': dir }, stdout: outFd, returnOnExit: true,
  });
  const module = await WebAssembly.compile(fs.readFileSync(wasmPath));
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  wasi.initialize(instance); // calls _initialize if exported
  const t1 = performance.now();
  const result = instance.exports.process();
  const t2 = performance.now();
  const stdout = fs.readFileSync(outPath, 'utf8');
  console.log(JSON.stringify({ stdout, result, process_ms: t2 - t1, total_ms: t2 - t0 }));
  process.exitCode = result === 0 ? 0 : 1;
} finally {
  fs.closeSync(outFd);
  fs.rmSync(outDir, { recursive: true, force: true });
}
