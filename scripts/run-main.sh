#!/usr/bin/env bash
# The main job, as far as the project goes today: build qrt, write a small model
# that uses every operator, run it once with qrt-run and time it with qrt-bench.
# Converting a real ONNX model (PP-OCR's classifier) with qrt-convert and showing
# accuracy against float comes with the converter.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target qrt-run qrt-bench qrt_write_test_model

out=build/main-job
mkdir -p "$out"
build/release/tests/runtime/qrt_write_test_model "$out/every_operator.qrt"
/usr/bin/python3 - "$out/image.npy" <<'PY'
import sys
import numpy as np
np.save(sys.argv[1], np.sin(np.arange(8 * 8 * 3, dtype=np.float32) * 0.37).reshape(1, 8, 8, 3))
PY
build/release/runtime/tools/qrt-run "$out/every_operator.qrt" --input "image=$out/image.npy" \
  --output-dir "$out/outputs"
/usr/bin/python3 - "$out/outputs" <<'PY'
import sys, pathlib
import numpy as np
for f in sorted(pathlib.Path(sys.argv[1]).glob("*.npy")):
    a = np.load(f)
    print(f"{f.name}: {a.dtype} {a.shape} {np.array2string(a.ravel(), precision=3)}")
PY
build/release/bench/qrt-bench "$out/every_operator.qrt" --warmup 50 --iters 2000 --profile
