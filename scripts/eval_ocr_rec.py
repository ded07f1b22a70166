#!/usr/bin/env python3
"""Text-recognition accuracy of PP-OCR recognizer outputs, float against int8.

Reads LABELS (lines "file.npy<TAB>text", as render_text_lines.py --task rec writes)
and, for each file, the recognizer's output .npy of the same name in each of the
given output folders (float32 probabilities, or int8 quantized values, [1, T, C]:
qrt-run and bench/ort/run_model.mjs write that layout). Decoding is PaddleOCR's
CTCLabelDecode with use_space_char=True: class 0 is the CTC blank, classes 1..N the
dictionary's lines, class N+1 a space; greedy decoding takes the argmax per time
step, collapses repeats and drops blanks. Argmax is all it uses, so int8 quantized
outputs decode like their dequantized values.

Metrics, over all lines:
  exact      share of lines whose decoded text equals the label;
  character  1 - (sum of Levenshtein distances) / (sum of label lengths).
Spaces are removed from both texts first, as PaddleOCR's RecMetric does by default
(ignore_space=True): the recognizer was not trained to place them reliably.
--keep-spaces compares them too. --check exits 1 unless every folder after the first
is within 1 point of the first on both metrics.
"""
import argparse
import pathlib
import sys

import numpy as np

REPO = pathlib.Path(__file__).resolve().parent.parent


def load_charset(path, num_classes):
    """Class index -> text, checked against the model's number of classes."""
    try:
        chars = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        sys.exit(f"eval_ocr_rec.py: cannot read the dictionary: {e}")
    charset = [""] + chars + [" "]
    if len(charset) != num_classes:
        sys.exit(f"eval_ocr_rec.py: {path} has {len(chars)} characters, so blank + characters "
                 f"+ space = {len(charset)} classes, but the outputs have {num_classes}")
    return charset


def load_labels(path):
    labels = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        name, tab, text = line.partition("\t")
        if not tab or not name.endswith(".npy"):
            sys.exit(f"{path}:{number}: expected 'file.npy<TAB>text', got {line!r}")
        labels.append((name, text))
    if not labels:
        sys.exit(f"{path}: no labels")
    return labels


def load_output(path):
    if not path.is_file():
        sys.exit(f"eval_ocr_rec.py: missing output {path}")
    out = np.load(path)
    if out.ndim < 2:
        sys.exit(f"eval_ocr_rec.py: {path}: shape {out.shape}, expected [1, T, classes]")
    return out.reshape(-1, out.shape[-1])


def ctc_greedy_decode(probs, charset):
    """PaddleOCR's CTCLabelDecode (greedy, is_remove_duplicate=True)."""
    best = probs.argmax(axis=1)
    keep = np.ones(len(best), dtype=bool)
    keep[1:] = best[1:] != best[:-1]
    keep &= best != 0
    return "".join(charset[i] for i in best[keep])


def edit_distance(a, b):
    """Levenshtein distance (insertions, deletions, substitutions cost 1)."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def evaluate(labels, out_dir, charset_path, keep_spaces):
    """Returns (exact %, character %, [(name, label, prediction)] of the misses)."""
    charset = None
    exact = distance = length = 0
    misses = []
    for name, text in labels:
        probs = load_output(out_dir / name)
        if charset is None:
            charset = load_charset(charset_path, probs.shape[1])
        pred = ctc_greedy_decode(probs, charset)
        if not keep_spaces:
            text, pred = text.replace(" ", ""), pred.replace(" ", "")
        d = edit_distance(pred, text)
        exact += d == 0
        distance += d
        length += len(text)
        if d:
            misses.append((name, text, pred))
    return 100.0 * exact / len(labels), 100.0 * (1.0 - distance / max(length, 1)), misses


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", type=pathlib.Path)
    parser.add_argument("output_dirs", type=pathlib.Path, nargs="+",
                        help="output folders; the first is the reference (float)")
    parser.add_argument("--names", default=None,
                        help="comma-separated names of the folders (default: float,int8,...)")
    parser.add_argument("--dict", type=pathlib.Path, default=REPO / "models" / "ppocr_keys_v1.txt")
    parser.add_argument("--keep-spaces", action="store_true", help="compare spaces too")
    parser.add_argument("--show-misses", type=int, default=0, metavar="N",
                        help="print the first N misrecognised lines of each folder")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless every folder is within 1 point of the first")
    args = parser.parse_args()

    names = (args.names.split(",") if args.names else
             ["float", "int8"] + [f"run{i}" for i in range(3, len(args.output_dirs) + 1)])
    if len(names) < len(args.output_dirs):
        sys.exit("eval_ocr_rec.py: --names gives fewer names than output folders")
    labels = load_labels(args.labels)
    print(f"lines       {len(labels)} ({sum(len(t.replace(' ', '')) for _, t in labels)} "
          f"characters without spaces){'' if args.keep_spaces else ', spaces ignored'}")
    results = [evaluate(labels, d, args.dict, args.keep_spaces) for d in args.output_dirs]
    ref_exact, ref_char, _ = results[0]
    missed = False
    for i, (name, (exact, char, misses)) in enumerate(zip(names, results)):
        line = f"{name:<11} exact {exact:6.2f}%   character {char:6.2f}%"
        if i:
            line += f"   ({exact - ref_exact:+.2f} / {char - ref_char:+.2f} points)"
            missed |= abs(exact - ref_exact) > 1.0 or abs(char - ref_char) > 1.0
        print(line)
        for miss in misses[:args.show_misses]:
            print(f"  {miss[0]}  label {miss[1]!r}  got {miss[2]!r}")
    if args.check and missed:
        sys.exit("targets missed: exact-string and character accuracy within 1 point of float")


if __name__ == "__main__":
    main()
