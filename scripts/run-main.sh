#!/usr/bin/env bash
# The main job: convert PP-OCR's text-orientation classifier (a real float ONNX
# model from npm) to int8 with qrt-convert, calibrating on rendered text lines, then
# run it with libqrt on a held-out set and show its speed and its accuracy against
# the float model.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --models

cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" --target qrt-convert qrt-run qrt-bench

scripts/fetch-models.sh
model=models/ch_ppocr_mobile_v2.0_cls_infer.onnx
data=build/ocr-data
out=build/main-job
py=/usr/bin/python3  # Debian's interpreter, which has numpy and Pillow
[ -f "$data/calib/labels.txt" ] ||
  $py scripts/render_text_lines.py --out "$data" --split calib --count 200 --seed 1
[ -f "$data/test/labels.txt" ] ||
  $py scripts/render_text_lines.py --out "$data" --split test --count 500 --seed 2
mkdir -p "$out"

echo "== convert (int8 weights, calibrated on $data/calib, measured on $data/test)"
build/release/converter/tools/qrt-convert "$model" -o "$out/cls_int8.qrt" \
  --input-shape x=1x3x48x192 --calib "$data/calib/inputs" --eval "$data/test/inputs" \
  --report "$out/cls_int8.json"
ls -l "$model" "$out/cls_int8.qrt"

echo "== run the test set: int8 with libqrt, float with an independent NumPy reference"
build/release/runtime/tools/qrt-run "$out/cls_int8.qrt" --input "$data/test/inputs" \
  --output-dir "$out/int8" >/dev/null
[ -d "$out/float" ] ||
  $py scripts/onnx_reference_outputs.py "$model" "$out/float" "$data"/test/inputs/*.npy >/dev/null
$py scripts/eval_classifier.py "$data/test/labels.txt" "$out/float" "$out/int8" --classes 0,180

echo "== speed (single thread)"
build/release/bench/qrt-bench "$out/cls_int8.qrt" --warmup 20 --iters 200
