#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing qrt need. Safe to run
# again: it does nothing when everything is already installed.
#   --models  also what fetching the real models (npm) and rendering their data sets
#             (Pillow, fonts) need: the main job, not the test suite.
set -euo pipefail

packages=(
  cmake ninja-build g++ python3 python3-numpy
  flatbuffers-compiler libflatbuffers-dev  # the .qrt format (header-only in libqrt)
  libcli11-dev nlohmann-json3-dev           # tools: argument parsing, JSON output
  doctest-dev                               # tests
  g++-aarch64-linux-gnu qemu-user           # tests: the aarch64 cross build, run under qemu
  libxsimd-dev                              # kernels: portable SIMD (header-only in libqrt)
  libstb-dev                                # converter calibration: PNG/JPEG decoding (stb_image.h)
  libdnnl-dev libonnx-dev libprotobuf-dev protobuf-compiler  # qrt-convert: float reference, ONNX import
  ocl-icd-opencl-dev  # only a Recommends of libdnnl-dev, but its CMake config requires OpenCL
)

if [ "${1:-}" = "--models" ]; then
  packages+=(python3-pil python3-onnx fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf
             fonts-wqy-microhei fonts-arphic-uming)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
elif [ $# -gt 0 ]; then
  echo "usage: $0 [--models]" >&2
  exit 2
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
