// run_sdk_escape.mjs — self-checking test of the C SDK (guest/c/wadup.h)
// under Node's WASI: builds tests/guest/sdk_escape.c (or takes a prebuilt
// .wasm as the first argument), runs process() three times on ONE instance
// with a different environment each time (as wadup reuses instances), and
// checks that every metadata and sub-content file is strict JSON that
// decodes to exactly the expected values. Exits 1 on any failure.
//
//   node tests/guest/run_sdk_escape.mjs [sdk_escape.wasm]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wadup-sdk-'));
let failures = 0;

function check(cond, what) {
  if (!cond) {
    failures++;
    console.error(`FAIL: ${what}`);
  }
}

function checkEqual(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  check(a === e, `${what}: got ${a}, expected ${e}`);
}

// buildModule: compile sdk_escape.c the way the Makefile builds examples.
function buildModule() {
  const sysroot = path.join(work, 'sysroot');
  fs.mkdirSync(path.join(sysroot, 'include'), { recursive: true });
  fs.mkdirSync(path.join(sysroot, 'lib'), { recursive: true });
  fs.symlinkSync('/usr/include/wasm32-wasi', path.join(sysroot, 'include', 'wasm32-wasi'));
  fs.symlinkSync('/usr/lib/wasm32-wasi', path.join(sysroot, 'lib', 'wasm32-wasi'));
  const out = path.join(work, 'sdk_escape.wasm');
  execFileSync('clang-19', ['--target=wasm32-wasi', `--sysroot=${sysroot}`, '-O2', '-Wall', '-Wextra', '-Werror',
    `-I${path.join(repo, 'guest', 'c')}`, '-mexec-model=reactor', '-o', out,
    path.join(repo, 'tests', 'guest', 'sdk_escape.c')], { stdio: 'inherit' });
  return out;
}

// An instance whose environ_* imports read `env.current` on every call, so
// the environment can change between process() calls like under wadup.
function instantiate(wasmPath, root) {
  const env = { current: {} };
  const wasi = new WASI({ version: 'preview1', preopens: { '/': root }, returnOnExit: true });
  const imports = wasi.getImportObject();
  const wasiImports = { ...imports.wasi_snapshot_preview1 };
  let memory = null;
  const encodedEnv = () => Object.entries(env.current).map(([k, v]) => Buffer.from(`${k}=${v}\0`));
  wasiImports.environ_sizes_get = (countPtr, sizePtr) => {
    const parts = encodedEnv();
    const view = new DataView(memory.buffer);
    view.setUint32(countPtr, parts.length, true);
    view.setUint32(sizePtr, parts.reduce((n, p) => n + p.length, 0), true);
    return 0;
  };
  wasiImports.environ_get = (environPtr, bufPtr) => {
    const view = new DataView(memory.buffer);
    const bytes = new Uint8Array(memory.buffer);
    encodedEnv().forEach((part, i) => {
      view.setUint32(environPtr + 4 * i, bufPtr, true);
      bytes.set(part, bufPtr);
      bufPtr += part.length;
    });
    return 0;
  };
  const module = new WebAssembly.Module(fs.readFileSync(wasmPath));
  const instance = new WebAssembly.Instance(module, { wasi_snapshot_preview1: wasiImports });
  memory = instance.exports.memory;
  wasi.initialize(instance);
  return { instance, env };
}

// Strict reading: valid UTF-8, no raw control characters, JSON.parse.
function readJson(file) {
  if (!fs.existsSync(file)) {
    check(false, `${file}: missing`);
    return { text: '', json: null };
  }
  const raw = fs.readFileSync(file);
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    check(false, `${file}: not valid UTF-8`);
    return { text: '', json: null };
  }
  check(!/[\u0000-\u001f]/.test(text), `${file}: raw control character in JSON text`);
  try {
    return { text, json: JSON.parse(text) };
  } catch (e) {
    check(false, `${file}: JSON.parse failed: ${e.message}`);
    return { text, json: null };
  }
}

const controls = Array.from({ length: 31 }, (_, i) => String.fromCharCode(i + 1)).join('') + '\x7f';
const FFFD = '\ufffd';
const expectedStrings = [
  [0, 'quote" backslash\\ slash/ <>&\''],
  [1, controls],
  [2, 'a\0b\0'],
  [3, `${FFFD}|x${FFFD}|${FFFD}${FFFD}|${FFFD}${FFFD}|${FFFD}${FFFD}${FFFD}|${FFFD}${FFFD}${FFFD}${FFFD}|${FFFD}`],
  [4, '\u00e9\u20ac\u{1F600}\uffff'],
  [5, null],
  [6, `tail${FFFD}${FFFD}${FFFD}`],
  [null, ''],
];
const expectedNumbers = [
  ['-9223372036854775808', 0.1, false],
  ['9223372036854775807', -0, true],
  ['0', 1e300, null],
  ['-1', 5e-324, true],
  ['7', 123456789, true],
  ['8', -1.7976931348623157e308, true],
];
const long64 = 'n123456789012345678901234567890123456789012345678901234567890123';

function checkMetadata(doc, text, run, envExpected) {
  const tableNames = doc.tables.map((t) => t.name);
  checkEqual(tableNames, [long64, 'strings', 'numbers', 'env'], `run ${run}: tables sent`);
  checkEqual(doc.tables[1].columns, [{ name: 'id', data_type: 'Int64' }, { name: 's', data_type: 'String' }],
    `run ${run}: strings columns`);
  const rows = (name) => doc.rows.filter((r) => r.table_name === name).map((r) => r.values);
  const strings = rows('strings').map(([id, s]) => [id === null ? null : id.Int64, s === null ? null : s.String]);
  checkEqual(strings, expectedStrings, `run ${run}: decoded strings`);
  const numbers = rows('numbers').map(([i, f, b]) => [null, f.Float64, b === null ? null : b.Boolean]);
  checkEqual(numbers, expectedNumbers.map(([, f, b]) => [null, f, b]), `run ${run}: floats and booleans`);
  check(Object.is(rows('numbers')[1][1].Float64, -0), `run ${run}: -0.0 keeps its sign`);
  for (const [i] of expectedNumbers) check(text.includes(`{"Int64":${i}}`), `run ${run}: exact Int64 ${i} in text`);
  checkEqual(rows('env').map((v) => v.map((x) => (x === null ? null : x.String))), [envExpected],
    `run ${run}: environment read fresh`);
}

function checkSubcontent(dir, run, first) {
  const names = fs.readdirSync(dir).sort();
  const n = (k) => first + k;
  checkEqual(names, [`data_${n(0)}.bin`, `data_${n(2)}.bin`, `metadata_${n(0)}.json`, `metadata_${n(1)}.json`,
    `metadata_${n(2)}.json`].sort(), `run ${run}: sub-content files`);
  checkEqual([...fs.readFileSync(path.join(dir, `data_${n(0)}.bin`))], [0x62, 0, 0x79, 0xff, 0x74, 0x65, 0x73],
    `run ${run}: emitted bytes`);
  checkEqual(readJson(path.join(dir, `metadata_${n(0)}.json`)).json, { filename: `we"ird\\name\x01${FFFD}.bin` },
    `run ${run}: bytes descriptor`);
  checkEqual(readJson(path.join(dir, `metadata_${n(1)}.json`)).json, { filename: 'slice\n\u00e9.txt', offset: 5, length: 10 },
    `run ${run}: slice descriptor`);
  checkEqual(fs.readFileSync(path.join(dir, `data_${n(2)}.bin`)).length, 0, `run ${run}: empty emitted bytes`);
}

function emptyDir(dir) {
  for (const f of fs.readdirSync(dir)) fs.rmSync(path.join(dir, f));
}

function main() {
  const wasmPath = process.argv[2] || buildModule();
  const root = path.join(work, 'root');
  for (const d of ['metadata', 'subcontent', 'tmp']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.writeFileSync(path.join(root, 'data.bin'), 'content bytes');
  const { instance, env } = instantiate(wasmPath, root);
  const runs = [
    { WADUP_FILENAME: 'first.bin', WADUP_CONTENT_UUID: 'u-1', WADUP_DEPTH: '0' },
    { WADUP_FILENAME: 'second "2"\n.bin', WADUP_CONTENT_UUID: 'u-2', WADUP_DEPTH: '1', OTHER: 'x=y' },
    { WADUP_CONTENT_UUID: 'u-3' },
  ];
  runs.forEach((vars, run) => {
    env.current = vars;
    const rc = instance.exports.process();
    checkEqual(rc, 0, `run ${run}: process() result (non-zero is the failing line of sdk_escape.c)`);
    const metaDir = path.join(root, 'metadata');
    checkEqual(fs.readdirSync(metaDir), [`output_${run}.json`], `run ${run}: metadata files`);
    const { text, json } = readJson(path.join(metaDir, `output_${run}.json`));
    if (json) {
      checkMetadata(json, text, run, [vars.WADUP_FILENAME ?? 'unknown', vars.WADUP_CONTENT_UUID, vars.WADUP_DEPTH ?? null]);
    }
    checkSubcontent(path.join(root, 'subcontent'), run, run * 3);
    emptyDir(metaDir); // what the host does between contents
    emptyDir(path.join(root, 'subcontent'));
  });
}

try {
  main();
} catch (e) {
  failures++;
  console.error(`FAIL: ${e.stack || e}`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
console.error(failures ? `sdk_escape: ${failures} failure(s)` : 'sdk_escape: all checks passed');
process.exit(failures ? 1 : 0);
