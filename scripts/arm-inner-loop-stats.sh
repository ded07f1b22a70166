#!/usr/bin/env bash
# Instructions per multiply-accumulate of the NEON kernels' inner loops, read from
# the cross build's object code (qemu runs them but cannot time them).
#   scripts/arm-inner-loop-stats.sh [AARCH64_BUILD_DIR]   (default build/aarch64)
# For every register-tile function of a kernel (RunGemmTile<Micro, rows, int4>
# of the implicit GEMMs, the depthwise kernel) it disassembles the function with
# aarch64-linux-gnu-objdump, finds its loops (backward branches), takes the
# innermost loop with multiply instructions (the K loop) and counts its instructions,
# loads and multiply-accumulates: sdot by lane = 16 MACs (4 lanes x 4), smull /
# smlal (and their 2 forms) = 8 MACs. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/aarch64}
objects=$build/kernels/CMakeFiles/qrt_kernels.dir/arm
for o in neondot/qs8_conv2d_4x16c4__neondot.cc.o neon/qs8_conv2d_2x16c4__neon.cc.o \
         neon/qs8_depthwise_conv2d_16c__neon.cc.o; do
  [ -f "$objects/$o" ] || { echo "missing $objects/$o: cross-build first" >&2; exit 1; }
done
aarch64-linux-gnu-objdump -d -C --no-show-raw-insn \
  "$objects/neondot/qs8_conv2d_4x16c4__neondot.cc.o" \
  "$objects/neon/qs8_conv2d_2x16c4__neon.cc.o" \
  "$objects/neon/qs8_depthwise_conv2d_16c__neon.cc.o" | python3 -c '
import re, sys

functions = {}  # name -> [(address, mnemonic, operands)]
current = None
for line in sys.stdin:
    header = re.match(r"^[0-9a-f]+ <(.*)>:$", line)
    if header:
        current = header.group(1)
        functions[current] = []
        continue
    insn = re.match(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$", line)
    if insn and current is not None:
        functions[current].append((int(insn.group(1), 16), insn.group(2), insn.group(3)))

def macs(mnemonic):
    if mnemonic == "sdot" or mnemonic == "udot":
        return 16
    if re.fullmatch(r"[su]m(ull|lal)2?", mnemonic):
        return 8
    return 0

def is_load(mnemonic):
    return mnemonic.startswith("ld")

def inner_loop(insns):
    best = None
    for i, (address, mnemonic, operands) in enumerate(insns):
        if not (mnemonic == "b" or mnemonic.startswith("b.") or mnemonic in ("cbz", "cbnz", "tbz", "tbnz")):
            continue
        target = re.search(r"\b([0-9a-f]+) <", operands)
        if not target or int(target.group(1), 16) > address:
            continue
        body = [x for x in insns if int(target.group(1), 16) <= x[0] <= address]
        mac = sum(macs(m) for _, m, _ in body)
        if mac and (best is None or len(body) < len(best[0])):
            best = (body, mac)
    return best

rows = []
for name, insns in functions.items():
    tile = re.search(r"RunGemmTile<.*::(SdotMicro|SmullMicro), (\d), (true|false)>\(", name)
    if tile:
        path = "neondot (sdot)" if tile.group(1) == "SdotMicro" else "neon (smull/smlal/sadalp)"
        kernel = "conv / FC, %s weights, %s rows x 16 channels" % (
            "int4" if tile.group(3) == "true" else "int8", tile.group(2))
        full = (tile.group(1) == "SdotMicro" and tile.group(2) == "4") or (
            tile.group(1) == "SmullMicro" and tile.group(2) == "2")
        if not full:
            continue
    elif "qs8_depthwise_conv2d_16c__neon(" in name:
        path, kernel = "neon (smull/smlal/saddw)", "depthwise, 1 pixel x 16 channels, 2 taps"
    else:
        continue
    loop = inner_loop(insns)
    if loop is None:
        continue
    body, mac = loop
    loads = sum(1 for _, m, _ in body if is_load(m))
    multiplies = sum(1 for _, m, _ in body if macs(m))
    rows.append((path, kernel, len(body), loads, multiplies, mac))

print("| path | inner loop | instructions | loads | multiply instructions | MACs | instructions / MAC |")
print("|---|---|---|---|---|---|---|")
for path, kernel, count, loads, multiplies, mac in sorted(rows):
    print("| %s | %s | %d | %d | %d | %d | %.3f |" % (path, kernel, count, loads, multiplies, mac, count / mac))
'
