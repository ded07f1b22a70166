#!/usr/bin/env python3
"""Accuracy of a classifier's outputs against labels, and agreement between two runs.

Reads LABELS (lines "file.npy class_name"; --classes gives the names in the order
of the model's output), and for each listed file the output
.npy of the same name in FLOAT_DIR and INT8_DIR (class scores, any shape whose last
axis is the classes). Prints float accuracy, int8 accuracy, and the share of
inputs on which both pick the same class. Used by scripts/run-main.sh; the issue's
targets (agreement >= 99%, accuracy within 1 point) are checked with --check.
"""
import argparse
import pathlib
import sys

import numpy as np


def load_labels(path, classes):
    labels = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        parts = line.split()
        if len(parts) != 2 or parts[1] not in classes:
            sys.exit(f"{path}:{number}: expected 'file.npy CLASS' with CLASS in {classes}, "
                     f"got {line!r}")
        labels.append((parts[0], classes.index(parts[1])))
    if not labels:
        sys.exit(f"{path}: no labels")
    return labels


def predicted_class(path):
    if not path.is_file():
        sys.exit(f"missing output {path}")
    return int(np.argmax(np.load(path).reshape(-1)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", type=pathlib.Path)
    parser.add_argument("float_dir", type=pathlib.Path)
    parser.add_argument("int8_dir", type=pathlib.Path)
    parser.add_argument("--classes", required=True,
                        help="class names in output order, comma-separated, e.g. 0,180")
    parser.add_argument("--name", default="int8 (qrt)",
                        help="what the quantized run is called in the output, e.g. 'int4 (qrt)'")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless agreement >= 99%% and accuracy is within "
                             "--max-drop points")
    parser.add_argument("--max-drop", type=float, default=1.0,
                        help="accuracy points the quantized run may lose for --check "
                             "(1 for int8, the issue's 2 for int4)")
    args = parser.parse_args()

    labels = load_labels(args.labels, args.classes.split(","))
    float_right = int8_right = agree = 0
    for name, label in labels:
        f = predicted_class(args.float_dir / name)
        q = predicted_class(args.int8_dir / name)
        float_right += f == label
        int8_right += q == label
        agree += f == q
    n = len(labels)
    float_acc, int8_acc, agreement = (100.0 * v / n for v in (float_right, int8_right, agree))
    print(f"inputs      {n}")
    print(f"float       accuracy {float_acc:6.2f}%")
    print(f"{args.name:<11} accuracy {int8_acc:6.2f}%   ({int8_acc - float_acc:+.2f} points)")
    print(f"agreement   {agreement:6.2f}% of decisions identical")
    if args.check and (agreement < 99.0 or float_acc - int8_acc > args.max_drop):
        sys.exit(f"targets missed: agreement >= 99% and accuracy within {args.max_drop:g} "
                 "points of float")


if __name__ == "__main__":
    main()
