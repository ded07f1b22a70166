#!/usr/bin/env bash
# Accuracy of PP-OCRv4's detector and recognizer, float (ONNX Runtime fp32) against
# int8 (.qrt files run by qrt-run), on rendered pages and text lines; see
# docs/ocr-accuracy.md. Renders the data sets and the float outputs once (they are
# kept under build/), runs the int8 models given, and checks the issue's targets
# (each metric within 1 point of float's).
#   scripts/ocr-accuracy.sh [--det DET.qrt] [--rec REC.qrt] [--qrt-run PATH]
# Without --det/--rec it only prints the float figures.
set -euo pipefail
cd "$(dirname "$0")/.."

det_qrt="" rec_qrt="" qrt_run=build/release/runtime/tools/qrt-run
while [ $# -gt 0 ]; do
  case "$1" in
    --det) det_qrt="$2"; shift 2 ;;
    --rec) rec_qrt="$2"; shift 2 ;;
    --qrt-run) qrt_run="$2"; shift 2 ;;
    *) echo "usage: $0 [--det DET.qrt] [--rec REC.qrt] [--qrt-run PATH]" >&2; exit 2 ;;
  esac
done

py=/usr/bin/python3  # Debian's interpreter, which has numpy and Pillow
data=build/ocr-data
out=build/ocr-eval
[ -d bench/ort/node_modules/onnxruntime-node ] || npm ci --ignore-scripts --prefix bench/ort

# Calibration and test sets are disjoint: different seeds.
[ -f "$data/det-calib/labels.txt" ] ||
  $py scripts/render_pages.py --out "$data" --split det-calib --count 50 --seed 21
[ -f "$data/det-test/labels.txt" ] ||
  $py scripts/render_pages.py --out "$data" --split det-test --count 200 --seed 22
[ -f "$data/rec-calib/labels.txt" ] || $py scripts/render_text_lines.py --task rec \
  --difficulty medium --out "$data" --split rec-calib --count 200 --seed 11
[ -f "$data/rec-test/labels.txt" ] || $py scripts/render_text_lines.py --task rec \
  --difficulty medium --out "$data" --split rec-test --count 1000 --seed 12

# $1 task (det or rec), $2 float model, $3 .qrt model or "": outputs and evaluation.
measure() {
  local task=$1 onnx=$2 qrt=$3 dirs
  [ -d "$out/$task-test-float" ] || node bench/ort/run_model.mjs "$onnx" --threads 2 \
    --input "$data/$task-test/inputs" --output-dir "$out/$task-test-float"
  dirs=("$out/$task-test-float")
  if [ -n "$qrt" ]; then
    rm -rf "$out/$task-test-int8"
    "$qrt_run" "$qrt" --input "$data/$task-test/inputs" --output-dir "$out/$task-test-int8"
    dirs+=("$out/$task-test-int8")
  fi
  echo "== $task: $onnx${qrt:+ against $qrt}"
  $py "scripts/eval_ocr_$task.py" "$data/$task-test/labels.txt" "${dirs[@]}" \
    ${qrt:+--check}
}

status=0
measure det models/ch_PP-OCRv4_det_infer.onnx "$det_qrt" || status=1
measure rec models/ch_PP-OCRv4_rec_infer.onnx "$rec_qrt" || status=1
exit $status
