// qrt against ONNX Runtime on whole models, in one run with the configurations
// interleaved: each round runs ORT fp32 on the original model, ORT int8 on the QDQ
// model qrt-convert --emit-qdq wrote (when given), and qrt-bench on the .qrt, each
// for --iters timed runs, at every thread count; the figures are medians of the
// per-round medians, so a noisy neighbour slows every configuration alike.
//
//   node bench/ort/ort_compare.mjs --onnx M.onnx [--qdq M.qdq.onnx] --qrt M.qrt \
//     --qrt-bench build/release/bench/qrt-bench --input x=1x3x48x192 [--threads 1,2]
//     [--rounds 7] [--iters 20] [--json OUT.json]
//
// Install ORT once with `npm ci --ignore-scripts --prefix bench/ort` (its install
// script fetches GPU files and fails; the CPU library is in the package itself).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { writeNpy } from './npy.mjs';

const require = createRequire(import.meta.url);

function fail(message) {
  console.error(`ort_compare: error: ${message}`);
  process.exit(2);
}

const { values: args } = (() => {
  try {
    return parseArgs({
      options: {
        onnx: { type: 'string' },
        qdq: { type: 'string' },
        qrt: { type: 'string' },
        'qrt-bench': { type: 'string' },
        input: { type: 'string' },
        threads: { type: 'string', default: '1,2' },
        rounds: { type: 'string', default: '7' },
        iters: { type: 'string', default: '20' },
        json: { type: 'string' },
      },
    });
  } catch (e) {
    fail(e.message);
  }
})();

for (const required of ['onnx', 'qrt', 'qrt-bench', 'input']) {
  if (!args[required]) fail(`--${required} is required`);
}
const positiveInt = (name) => {
  const v = Number(args[name]);
  if (!Number.isInteger(v) || v < 1) fail(`--${name} must be a positive integer, got '${args[name]}'`);
  return v;
};
const rounds = positiveInt('rounds');
const iters = positiveInt('iters');
const threadCounts = args.threads.split(',').map((t) => {
  const v = Number(t);
  if (!Number.isInteger(v) || v < 1) fail(`--threads takes positive integers, got '${t}'`);
  return v;
});
const inputMatch = /^([^=]+)=(\d+(?:x\d+)*)$/.exec(args.input);
if (!inputMatch) fail(`--input must be NAME=DxDx..., got '${args.input}'`);
const inputName = inputMatch[1];
const inputShape = inputMatch[2].split('x').map(Number);

let ort;
try {
  ort = require('onnxruntime-node');
} catch {
  fail('onnxruntime-node is not installed: run `npm ci --ignore-scripts --prefix bench/ort`');
}

// One input for every configuration: uniform in [-1, 1] (PaddleOCR's normalised
// range), written as .npy for qrt-bench.
const count = inputShape.reduce((a, b) => a * b, 1);
const data = new Float32Array(count);
let seed = 1;
for (let i = 0; i < count; ++i) {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  data[i] = (seed / 2147483648) * 2 - 1;
}
const scratch = mkdtempSync(join(tmpdir(), 'qrt-ort-'));
const npyPath = join(scratch, 'input.npy');
writeNpy(npyPath, inputShape, data);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function ortSession(path, threads) {
  try {
    return await ort.InferenceSession.create(path, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (e) {
    fail(`ONNX Runtime cannot load ${path}: ${e.message}`);
  }
}

async function ortRound(session) {
  const feeds = { [inputName]: new ort.Tensor('float32', data, inputShape) };
  await session.run(feeds);  // untimed: first-run allocations
  const times = [];
  for (let i = 0; i < iters; ++i) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(times);
}

function qrtRound(threads) {
  const r = spawnSync(args['qrt-bench'], [args.qrt, '--input', `${inputName}=${npyPath}`,
    '--threads', String(threads), '--warmup', '1', '--iters', String(iters), '--json'],
  { encoding: 'utf8' });
  if (r.status !== 0) fail(`qrt-bench failed: ${r.error?.message ?? r.stderr.trim()}`);
  return JSON.parse(r.stdout).latency_ms.median;
}

const results = [];
try {
  for (const threads of threadCounts) {
    const fp32 = await ortSession(args.onnx, threads);
    const int8 = args.qdq ? await ortSession(args.qdq, threads) : null;
    const samples = { ort_fp32: [], ort_int8: [], qrt_int8: [] };
    for (let r = 0; r < rounds; ++r) {
      samples.ort_fp32.push(await ortRound(fp32));
      if (int8) samples.ort_int8.push(await ortRound(int8));
      samples.qrt_int8.push(qrtRound(threads));
    }
    const row = { threads };
    for (const [name, xs] of Object.entries(samples)) if (xs.length) row[`${name}_ms`] = median(xs);
    row.speedup_vs_ort_fp32 = row.ort_fp32_ms / row.qrt_int8_ms;
    if (int8) row.speedup_vs_ort_int8 = row.ort_int8_ms / row.qrt_int8_ms;
    results.push(row);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

console.log(`model ${args.onnx}  input ${args.input}  ${rounds} rounds x ${iters} runs, ` +
  `ONNX Runtime ${require('onnxruntime-node/package.json').version}`);
console.log('threads  ORT fp32 ms  ORT int8 ms  qrt int8 ms  qrt vs fp32  qrt vs int8');
const fmt = (v, unit = '') => (v === undefined ? '-' : v.toFixed(3) + unit).padStart(11);
for (const r of results) {
  console.log(`${String(r.threads).padStart(7)}  ${fmt(r.ort_fp32_ms)}  ${fmt(r.ort_int8_ms)}  ` +
    `${fmt(r.qrt_int8_ms)}  ${fmt(r.speedup_vs_ort_fp32, 'x')}  ${fmt(r.speedup_vs_ort_int8, 'x')}`);
}
if (args.json) writeFileSync(args.json, JSON.stringify({ onnx: args.onnx, qdq: args.qdq ?? null,
  qrt: args.qrt, input: args.input, rounds, iters, results }, null, 2) + '\n');
