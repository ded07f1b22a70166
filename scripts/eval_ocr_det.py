#!/usr/bin/env python3
"""Text-detection precision, recall and F1 of PP-OCR detector outputs, float against int8.

Reads LABELS (PaddleOCR's detection labels, "file.npy<TAB>[{"transcription": ...,
"points": [[x, y] x 4]}, ...]", as render_pages.py writes) and, for each file, the
detector's output .npy of the same name in each given output folder (the float32
probability map [1, 1, H, W]; qrt-run and bench/ort/run_model.mjs write that
layout). An int8 output (quantized values) is refused: thresholds need real values.

Boxes come from the map as PaddleOCR's DBPostProcess makes them (its defaults in
tools/infer/predict_det.py: thresh 0.3, box_thresh 0.6, unclip_ratio 1.5,
max_candidates 1000, min_size 3, no dilation, score_mode fast), in NumPy:
  1. binarize: probability > 0.3;
  2. regions: 8-connected components of the binary map (cv2.findContours' outer
     contours; holes, which RETR_LIST also returns, do not occur in text maps);
  3. per region, the minimum-area rectangle of its pixel centres (cv2.minAreaRect:
     rotating calipers over the convex hull); dropped if its short side is < 3;
  4. score: mean probability over the pixels inside that rectangle (box_score_fast;
     pixels whose centre is inside or on the border); dropped if < 0.6;
  5. unclip: the rectangle grown by area * 1.5 / perimeter on every side (what
     pyclipper's round offset followed by minAreaRect gives for a rectangle);
     dropped if its short side is < 5;
  6. rounded to integer pixels and clipped to the image; dropped if a side is <= 3
     (filter_tag_det_res).
Matching: predicted and ground-truth quadrilaterals pair one-to-one, greedily in
descending order of IoU (exact polygon IoU of convex quadrilaterals), while IoU >=
0.5. Precision = matched / predicted, recall = matched / ground truth, over the whole
set; F1 their harmonic mean. --check exits 1 unless every folder after the first is
within 1 point of the first in F1.
"""
import argparse
import json
import pathlib
import sys

import numpy as np

DB_THRESH = 0.3
BOX_THRESH = 0.6
UNCLIP_RATIO = 1.5
MIN_SIZE = 3
MAX_CANDIDATES = 1000
IOU_MATCH = 0.5


def connected_components(bitmap):
    """8-connected regions of a 2-D bool array, each as an array of (x_start, x_end, y)
    runs (x_end exclusive)."""
    padded = np.pad(bitmap.astype(np.int8), ((0, 0), (1, 1)))
    edges = np.diff(padded, axis=1)
    starts = np.argwhere(edges == 1)  # row-major, so starts and ends pair up
    ends = np.argwhere(edges == -1)
    runs = np.stack([starts[:, 1], ends[:, 1], starts[:, 0]], axis=1)
    parent = list(range(len(runs)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    row_first = np.searchsorted(runs[:, 2], np.arange(bitmap.shape[0] + 1))
    for y in range(bitmap.shape[0] - 1):
        a, a_end = row_first[y], row_first[y + 1]
        b, b_end = a_end, row_first[y + 2]
        # Two pointers over the sorted runs of rows y and y+1; 8-connectivity joins
        # runs that overlap or touch diagonally.
        while a < a_end and b < b_end:
            if runs[b, 0] <= runs[a, 1] and runs[a, 0] <= runs[b, 1]:
                ra, rb = find(a), find(b)
                if ra != rb:
                    parent[ra] = rb
            if runs[a, 1] < runs[b, 1]:
                a += 1
            else:
                b += 1
    roots = np.array([find(i) for i in range(len(runs))], dtype=np.int64)
    order = np.argsort(roots, kind="stable")
    splits = np.flatnonzero(np.diff(roots[order])) + 1
    return [runs[idx] for idx in np.split(order, splits)] if len(runs) else []


def convex_hull(points):
    """Andrew's monotone chain; counter-clockwise in x-right/y-up terms, no repeats."""
    pts = np.unique(points, axis=0)
    if len(pts) <= 2:
        return pts.astype(np.float64)

    def half(seq):
        out = []
        for p in seq:
            while len(out) >= 2 and ((out[-1][0] - out[-2][0]) * (p[1] - out[-2][1]) -
                                     (out[-1][1] - out[-2][1]) * (p[0] - out[-2][0])) <= 0:
                out.pop()
            out.append(p)
        return out

    seq = [tuple(p) for p in pts]
    lower, upper = half(seq), half(seq[::-1])
    return np.array(lower[:-1] + upper[:-1], dtype=np.float64)


def min_area_rect(points):
    """Corners (4x2) of the minimum-area rectangle around points (cv2.minAreaRect +
    boxPoints): one side is collinear with an edge of the convex hull."""
    hull = convex_hull(points)
    if len(hull) == 1:
        return np.repeat(hull, 4, axis=0)
    best = None
    for i in range(len(hull)):
        edge = hull[(i + 1) % len(hull)] - hull[i]
        length = np.hypot(*edge)
        if length == 0:
            continue
        u = edge / length
        v = np.array([-u[1], u[0]])
        pu, pv = hull @ u, hull @ v
        area = (pu.max() - pu.min()) * (pv.max() - pv.min())
        if best is None or area < best[0]:
            best = (area, u, v, pu.min(), pu.max(), pv.min(), pv.max())
    _, u, v, u0, u1, v0, v1 = best
    return np.array([u0 * u + v0 * v, u1 * u + v0 * v, u1 * u + v1 * v, u0 * u + v1 * v])


def mini_box(corners):
    """PaddleOCR's get_mini_boxes ordering (top-left, top-right, bottom-right,
    bottom-left by x then y) and the rectangle's short side."""
    pts = corners[np.argsort(corners[:, 0], kind="stable")]
    left = pts[:2] if pts[0, 1] <= pts[1, 1] else pts[1::-1]
    right = pts[2:] if pts[2, 1] <= pts[3, 1] else pts[:1:-1]
    box = np.array([left[0], right[0], right[1], left[1]])
    sides = np.hypot(*(corners - np.roll(corners, -1, axis=0)).T)
    return box, float(min(sides[0], sides[1]))


def box_score(prob, box):
    """Mean of prob over the pixels whose centre lies in the convex quad (box_score_fast)."""
    h, w = prob.shape
    x0 = int(np.clip(np.floor(box[:, 0].min()), 0, w - 1))
    x1 = int(np.clip(np.ceil(box[:, 0].max()), 0, w - 1))
    y0 = int(np.clip(np.floor(box[:, 1].min()), 0, h - 1))
    y1 = int(np.clip(np.ceil(box[:, 1].max()), 0, h - 1))
    yy, xx = np.mgrid[y0:y1 + 1, x0:x1 + 1]
    inside = np.ones(xx.shape, dtype=bool)
    orientation = np.sign(polygon_signed_area(box)) or 1.0
    for i in range(4):
        (ax, ay), (bx, by) = box[i], box[(i + 1) % 4]
        cross = (bx - ax) * (yy - ay) - (by - ay) * (xx - ax)
        inside &= orientation * cross >= -1e-6 * np.hypot(bx - ax, by - ay)
    region = prob[y0:y1 + 1, x0:x1 + 1]
    return float(region[inside].mean()) if inside.any() else 0.0


def unclip_rect(box, ratio):
    """The rectangle grown by area * ratio / perimeter on every side."""
    centre = box.mean(axis=0)
    u = box[1] - box[0]
    v = box[3] - box[0]
    lu, lv = np.hypot(*u), np.hypot(*v)
    distance = lu * lv * ratio / (2 * (lu + lv))
    u_hat = u / lu if lu else np.array([1.0, 0.0])
    v_hat = v / lv if lv else np.array([-u_hat[1], u_hat[0]])
    hu, hv = lu / 2 + distance, lv / 2 + distance
    return np.array([centre - hu * u_hat - hv * v_hat, centre + hu * u_hat - hv * v_hat,
                     centre + hu * u_hat + hv * v_hat, centre - hu * u_hat + hv * v_hat])


def boxes_from_map(prob):
    """DB post-processing of a 2-D probability map; returns [(4x2 box, score)] with
    the corners clockwise from the top left (in image coordinates, y down)."""
    h, w = prob.shape
    results = []
    for runs in connected_components(prob > DB_THRESH)[:MAX_CANDIDATES]:
        points = np.concatenate([runs[:, [0, 2]], np.stack([runs[:, 1] - 1, runs[:, 2]], axis=1)])
        box, short = mini_box(min_area_rect(points))
        if short < MIN_SIZE:
            continue
        score = box_score(prob, box)
        if score < BOX_THRESH:
            continue
        box, short = mini_box(min_area_rect(unclip_rect(box, UNCLIP_RATIO)))
        if short < MIN_SIZE + 2:
            continue
        box = np.stack([np.clip(np.round(box[:, 0]), 0, w - 1),
                        np.clip(np.round(box[:, 1]), 0, h - 1)], axis=1)
        if int(np.hypot(*(box[0] - box[1]))) <= 3 or int(np.hypot(*(box[0] - box[3]))) <= 3:
            continue
        results.append((box, score))
    return results


def polygon_signed_area(poly):
    x, y = poly[:, 0], poly[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def convex_intersection_area(a, b):
    """Area of the intersection of two convex polygons (Sutherland-Hodgman)."""
    if polygon_signed_area(a) < 0:
        a = a[::-1]
    if polygon_signed_area(b) < 0:
        b = b[::-1]
    out = list(a)
    for i in range(len(b)):
        p, q = b[i], b[(i + 1) % len(b)]
        side = lambda r: (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])  # noqa: E731
        clipped = []
        for j in range(len(out)):
            cur, nxt = out[j], out[(j + 1) % len(out)]
            sc, sn = side(cur), side(nxt)
            if sc >= 0:
                clipped.append(cur)
            if (sc >= 0) != (sn >= 0):
                clipped.append(cur + (nxt - cur) * (sc / (sc - sn)))
        out = clipped
        if len(out) < 3:
            return 0.0
    return abs(polygon_signed_area(np.array(out)))


def iou(a, b):
    inter = convex_intersection_area(a, b)
    union = abs(polygon_signed_area(a)) + abs(polygon_signed_area(b)) - inter
    return inter / union if union > 0 else 0.0


def match(predicted, truth):
    """One-to-one pairs by descending IoU while IoU >= 0.5; returns their IoUs."""
    pairs = sorted(((iou(p, t), i, j) for i, p in enumerate(predicted)
                    for j, t in enumerate(truth)), reverse=True)
    used_p, used_t, ious = set(), set(), []
    for value, i, j in pairs:
        if value < IOU_MATCH:
            break
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
            ious.append(value)
    return ious


def load_labels(path):
    labels = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        name, tab, boxes = line.partition("\t")
        try:
            quads = [np.array(b["points"], dtype=np.float64) for b in json.loads(boxes)]
        except (ValueError, KeyError, TypeError) as e:
            sys.exit(f"{path}:{number}: expected 'file.npy<TAB>[{{\"points\": ...}}, ...]': {e}")
        if not tab or any(q.shape != (4, 2) for q in quads):
            sys.exit(f"{path}:{number}: expected four [x, y] points per box")
        labels.append((name, quads))
    if not labels:
        sys.exit(f"{path}: no labels")
    return labels


def load_map(path):
    if not path.is_file():
        sys.exit(f"eval_ocr_det.py: missing output {path}")
    out = np.load(path)
    if out.dtype != np.float32:
        sys.exit(f"eval_ocr_det.py: {path}: {out.dtype} output; the thresholds need the "
                 "float32 probabilities (write the model's output as float)")
    if out.ndim < 2 or out.size != out.shape[-1] * out.shape[-2]:
        sys.exit(f"eval_ocr_det.py: {path}: shape {out.shape}, expected [1, 1, H, W]")
    return out.reshape(out.shape[-2:])


def evaluate(labels, out_dir):
    n_pred = n_truth = 0
    ious = []
    for name, truth in labels:
        predicted = [box for box, _ in boxes_from_map(load_map(out_dir / name))]
        ious += match(predicted, truth)
        n_pred += len(predicted)
        n_truth += len(truth)
    precision = len(ious) / n_pred if n_pred else 0.0
    recall = len(ious) / n_truth if n_truth else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"predicted": n_pred, "matched": len(ious), "precision": 100 * precision,
            "recall": 100 * recall, "f1": 100 * f1,
            "mean_iou": float(np.mean(ious)) if ious else 0.0}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("labels", type=pathlib.Path)
    parser.add_argument("output_dirs", type=pathlib.Path, nargs="+",
                        help="output folders; the first is the reference (float)")
    parser.add_argument("--names", default=None,
                        help="comma-separated names of the folders (default: float,int8,...)")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 unless every folder's F1 is within 1 point of the first's")
    args = parser.parse_args()

    names = (args.names.split(",") if args.names else
             ["float", "int8"] + [f"run{i}" for i in range(3, len(args.output_dirs) + 1)])
    if len(names) < len(args.output_dirs):
        sys.exit("eval_ocr_det.py: --names gives fewer names than output folders")
    labels = load_labels(args.labels)
    print(f"pages       {len(labels)} ({sum(len(t) for _, t in labels)} text lines)")
    results = [evaluate(labels, d) for d in args.output_dirs]
    missed = False
    for i, (name, r) in enumerate(zip(names, results)):
        line = (f"{name:<11} precision {r['precision']:6.2f}%  recall {r['recall']:6.2f}%  "
                f"F1 {r['f1']:6.2f}%  ({r['predicted']} boxes, {r['matched']} matched, "
                f"mean IoU {r['mean_iou']:.3f})")
        if i:
            line += f"  F1 {r['f1'] - results[0]['f1']:+.2f} points"
            missed |= abs(r["f1"] - results[0]["f1"]) > 1.0
        print(line)
    if args.check and missed:
        sys.exit("target missed: F1 within 1 point of float")


if __name__ == "__main__":
    main()
