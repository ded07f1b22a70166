// Runs an ONNX model with ONNX Runtime (CPU, fp32) on every .npy file of a directory
// and writes each output as a float32 .npy of the same name, the layout
// `qrt-run model.qrt --input DIR --output-dir OUT` writes; so float baselines and
// qrt's int8 outputs are read by the same evaluation scripts.
//
//   node bench/ort/run_model.mjs MODEL.onnx --input DIR --output-dir OUT
//     [--threads 1] [--timings FILE.json] [--optimization all|extended|basic|disabled]
//
// The model must have one input and one output (as for qrt-run's batch mode); each
// .npy must be float32 in the shape the model takes. --timings writes the
// milliseconds of each session.run (the model alone: no file I/O), keyed by file
// name. --optimization is ORT's graphOptimizationLevel (default all); `disabled` runs a
// QDQ model's QuantizeLinear/DequantizeLinear nodes as written, around float
// operators, instead of fusing them into ORT's own int8 kernels: a float simulation of
// exactly the quantization the model carries (scripts/qdq_attribution.py). Install ORT
// once with `npm ci --ignore-scripts --prefix bench/ort`.
import { mkdirSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { readNpy, writeNpy } from './npy.mjs';

const require = createRequire(import.meta.url);

function fail(message) {
  console.error(`run_model: error: ${message}`);
  process.exit(2);
}

const { values: args, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        input: { type: 'string' },
        'output-dir': { type: 'string' },
        threads: { type: 'string', default: '1' },
        timings: { type: 'string' },
        optimization: { type: 'string', default: 'all' },
      },
    });
  } catch (e) {
    fail(e.message);
  }
})();

if (positionals.length !== 1) fail('expected one model path (MODEL.onnx)');
if (!args.input || !args['output-dir']) fail('--input DIR and --output-dir OUT are required');
const threads = Number(args.threads);
if (!Number.isInteger(threads) || threads < 1) {
  fail(`--threads must be a positive integer, got '${args.threads}'`);
}
const optimizationLevels = ['all', 'extended', 'basic', 'disabled'];
if (!optimizationLevels.includes(args.optimization)) {
  fail(`--optimization must be one of ${optimizationLevels.join(', ')}, got '${args.optimization}'`);
}
const inputDir = args.input;
const outputDir = args['output-dir'];
let files;
try {
  if (!statSync(inputDir).isDirectory()) fail(`--input ${inputDir} is not a directory`);
  files = readdirSync(inputDir).filter((f) => f.endsWith('.npy')).sort();
  mkdirSync(outputDir, { recursive: true });
} catch (e) {
  fail(e.message);
}
if (files.length === 0) fail(`no .npy files in ${inputDir}`);
if (realpathSync(inputDir) === realpathSync(outputDir)) {
  fail('--output-dir is the input directory; outputs would overwrite the inputs');
}

let ort;
try {
  ort = require('onnxruntime-node');
} catch {
  fail('onnxruntime-node is not installed: run `npm ci --ignore-scripts --prefix bench/ort`');
}

let session;
try {
  session = await ort.InferenceSession.create(positionals[0], {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: args.optimization,
  });
} catch (e) {
  fail(`ONNX Runtime cannot load ${positionals[0]}: ${e.message}`);
}
if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
  fail(`the model must have one input and one output (it has ${session.inputNames.length} ` +
    `and ${session.outputNames.length})`);
}
const [inputName] = session.inputNames;
const [outputName] = session.outputNames;

const timings = {};
for (const file of files) {
  let input;
  try {
    input = readNpy(join(inputDir, file));
  } catch (e) {
    fail(e.message);
  }
  let result;
  const start = process.hrtime.bigint();
  try {
    result = await session.run({ [inputName]: new ort.Tensor('float32', input.data, input.shape) });
  } catch (e) {
    fail(`${file}: ${e.message}`);
  }
  timings[file] = Number(process.hrtime.bigint() - start) / 1e6;
  const output = result[outputName];
  if (output.type !== 'float32') {
    fail(`${file}: output '${outputName}' is ${output.type}, not float32`);
  }
  try {
    writeNpy(join(outputDir, file), output.dims, output.data);
  } catch (e) {
    fail(e.message);
  }
}
if (args.timings) {
  try {
    writeFileSync(args.timings, JSON.stringify(timings, null, 1) + '\n');
  } catch (e) {
    fail(e.message);
  }
}
const sorted = Object.values(timings).sort((a, b) => a - b);
console.log(`wrote ${files.length} outputs to ${outputDir} (ONNX Runtime ` +
  `${require('onnxruntime-node/package.json').version}, ${threads} thread(s), median ` +
  `${sorted[sorted.length >> 1].toFixed(2)} ms per run)`);
