#!/usr/bin/env bash
# Cross-compiles qrt for aarch64 Linux and tests it under qemu-user, once per NEON
# path, then checks that end-to-end outputs are byte-identical to the x86 build's.
#   scripts/test-aarch64.sh [HOST_BUILD_DIR]
# HOST_BUILD_DIR is an x86 build with qrt-run, qrt_write_test_model and
# make_test_model (default build/release, what scripts/test.sh builds); the cross
# build goes to $QRT_AARCH64_BUILD_DIR (default build/aarch64).
# 1. ctest -L fast under qemu-aarch64 with -cpu max (Armv8.2+ with dotprod: the
#    neondot path and, forced in the kernel tests, the baseline one) and -cpu
#    cortex-a72 (Armv8.0, no dotprod: the baseline NEON path is the best one).
#    The kernel tests fail if a path the CPU supports ran no case.
# 2. The every-operator test model and the tools' test models, run by the x86
#    qrt-run (best path and reference) and under qemu for every Arm path
#    (reference, neon, neondot), must give the same output bytes.
set -euo pipefail
cd "$(dirname "$0")/.."

host_build=${1:-build/release}
arm_build=${QRT_AARCH64_BUILD_DIR:-build/aarch64}
jobs=$(nproc)
qemu_cpus=(max cortex-a72)

cmake -S . -B "$arm_build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.toolchain.cmake -DQRT_BUILD_CONVERTER=OFF >/dev/null
cmake --build "$arm_build" -j "$jobs"

for cpu in "${qemu_cpus[@]}"; do
  echo "== ctest under qemu-aarch64 -cpu $cpu"
  QEMU_CPU=$cpu ctest --test-dir "$arm_build" -L fast -j "$jobs" --output-on-failure --timeout 600
done

echo "== end-to-end outputs: x86 against aarch64 (qemu)"
qemu=(env QEMU_LD_PREFIX=/usr/aarch64-linux-gnu qemu-aarch64)
work=$arm_build/e2e-identity
rm -rf "$work"
mkdir -p "$work/inputs"
"$host_build/tests/runtime/qrt_write_test_model" "$work/every_operator.qrt"
"$host_build/tests/tools/make_test_model" write "$work/tools" >/dev/null
# Four float32 images [1, 8, 8, 3] in [-1.5, 1.5) as .npy (format 1.0), without numpy.
python3 - "$work/inputs" <<'PY'
import random, struct, sys
rng = random.Random(6)
header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 8, 8, 3), }"
header += " " * (63 - (10 + len(header)) % 64) + "\n"
for i in range(4):
    values = [rng.uniform(-1.5, 1.5) for _ in range(8 * 8 * 3)]
    with open(f"{sys.argv[1]}/image{i}.npy", "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
        f.write(struct.pack(f"<{len(values)}f", *values))
PY

# run_all NAME RUNNER... : every case's outputs under $work/out/NAME/CASE.
run_all() {
  local name=$1
  shift
  local out=$work/out/$name
  for input in "$work"/inputs/*.npy; do
    local case_name
    case_name=$(basename "$input" .npy)
    "$@" "$work/every_operator.qrt" --input "image=$input" --output-dir "$out/$case_name" >/dev/null
  done
  "$@" "$work/tools/model_float.qrt" --input "x=$work/tools/in/x.npy" --output-dir "$out/float" \
    >/dev/null
  "$@" "$work/tools/model_int8.qrt" --input "$work/tools/in/q.npy" --output-dir "$out/int8" \
    >/dev/null
}

run_all x86 "$host_build/runtime/tools/qrt-run"
run_all x86-reference "$host_build/runtime/tools/qrt-run" --isa reference
for isa in reference neon neondot; do
  run_all "arm-$isa" env QEMU_CPU=max "${qemu[@]}" "$arm_build/runtime/tools/qrt-run" --isa "$isa"
done
run_all arm-a72-best env QEMU_CPU=cortex-a72 "${qemu[@]}" "$arm_build/runtime/tools/qrt-run"

status=0
files=$(cd "$work/out/x86" && find . -name '*.npy' | sort)
[ -n "$files" ] || { echo "no outputs written" >&2; exit 1; }
for run in x86-reference arm-reference arm-neon arm-neondot arm-a72-best; do
  for f in $files; do
    if ! cmp -s "$work/out/x86/$f" "$work/out/$run/$f"; then
      echo "MISMATCH: $run $f differs from the x86 output" >&2
      status=1
    fi
  done
done
[ $status -eq 0 ] && echo "identical: $(echo "$files" | wc -l) outputs x 5 runs against x86"
exit $status
