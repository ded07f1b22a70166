#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing qrt need. Safe to run
# again: it does nothing when everything is already installed.
set -euo pipefail

packages=(
  cmake ninja-build g++ python3 python3-numpy
  flatbuffers-compiler libflatbuffers-dev  # the .qrt format (header-only in libqrt)
  libcli11-dev nlohmann-json3-dev           # tools: argument parsing, JSON output
  doctest-dev                               # tests
  libstb-dev                                # converter calibration: PNG/JPEG decoding (stb_image.h)
  python3-pil fonts-dejavu-core             # converter: calibration/test images from Python
  libdnnl-dev libonnx-dev libprotobuf-dev protobuf-compiler  # qrt-convert: float reference, ONNX import
)

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
