#!/usr/bin/env python3
"""PaddleOCR's whole pipeline on one page, float against int8: detect, crop,
classify orientation, recognize; prints the text lines and the time of each stage.

  ocr_pipeline.py [--page PAGE.png] [--float DET CLS REC] [--int8 DET CLS REC]
                  [--qrt-run PATH] [--threads N]

Each model runs through the runner its file calls for: a .onnx file through ONNX
Runtime (fp32; bench/ort/run_model.mjs, in a node process), a .qrt file through
`qrt-run`; so --float takes the original ONNX models (the default: models/) and
--int8 the converted .qrt files. (Passing .onnx files to --int8 as well runs the
pipeline twice in float, which checks the plumbing.) Every stage hands the runner a
folder of .npy inputs and reads the outputs of the same names back, as
scripts/eval_ocr_*.py do.

Without --page it renders one with render_pages.py's generator (--seed) and saves it
next to the other files under --work. The page must be 640x640: the detector takes
that fixed shape, and PaddleOCR's DetResizeForTest leaves such a page as it is.

The stages follow PaddleOCR's TextSystem (tools/infer/predict_system.py):
  detect     render_pages.preprocess, the detector, eval_ocr_det.boxes_from_map
             (DBPostProcess with predict_det.py's defaults), sorted_boxes
             (top to bottom, then left to right within 10 px);
  crop       get_rotate_crop_image: each quad warped to an upright
             max-side-length rectangle (a perspective warp with bilinear sampling
             and replicated borders; PaddleOCR's cv2 call samples bicubically),
             turned by 90 degrees when it is at least 1.5 times as high as wide;
  classify   the orientation classifier on render_text_lines.preprocess(crop, 192);
             a crop is turned by 180 degrees when the class is 180 with score > 0.9;
  recognize  the recognizer on render_text_lines.preprocess(crop, 320) (a crop
             wider than 320/48 is squeezed to the fixed input width), greedy CTC
             decoding (eval_ocr_rec.ctc_greedy_decode); lines whose mean
             probability is below 0.5 are dropped (drop_score).
Timings per stage: "wall" is everything the stage did (pre- and post-processing,
starting the runner, loading the model, writing and reading files); "model" is the
time inside the model's runs as the runner reports it (`--timings` of
run_model.mjs and of qrt-run).
"""
import argparse
import json
import pathlib
import subprocess
import sys
import tempfile
import time

import numpy as np
from PIL import Image

import eval_ocr_det
import eval_ocr_rec
import render_pages
import render_text_lines

REPO = pathlib.Path(__file__).resolve().parent.parent
CLS_THRESH = 0.9
DROP_SCORE = 0.5
SORT_ROW_TOLERANCE = 10


class Runner:
    """Runs one model on a batch of arrays through ORT (.onnx) or qrt-run (.qrt)."""

    def __init__(self, model, qrt_run, threads, work_dir):
        self.model = pathlib.Path(model)
        if not self.model.is_file():
            sys.exit(f"ocr_pipeline.py: no model file {self.model}")
        self.kind = {".onnx": "ORT fp32", ".qrt": "qrt"}.get(self.model.suffix)
        if self.kind is None:
            sys.exit(f"ocr_pipeline.py: {self.model}: expected a .onnx or .qrt file")
        self.qrt_run = qrt_run
        self.threads = threads
        self.work_dir = work_dir

    def run(self, arrays):
        """arrays: {name: float32 array}; returns ({name: output}, model ms or None)."""
        stage = pathlib.Path(tempfile.mkdtemp(prefix=self.model.stem + "-", dir=self.work_dir))
        in_dir, out_dir, timings = stage / "in", stage / "out", stage / "timings.json"
        in_dir.mkdir()
        for name, array in arrays.items():
            np.save(in_dir / name, array)
        if self.kind == "qrt":
            command = [self.qrt_run, str(self.model), "--input", str(in_dir), "--output-dir",
                       str(out_dir), "--threads", str(self.threads), "--timings", str(timings)]
        else:
            command = ["node", str(REPO / "bench" / "ort" / "run_model.mjs"), str(self.model),
                       "--input", str(in_dir), "--output-dir", str(out_dir), "--threads",
                       str(self.threads), "--timings", str(timings)]
        try:
            result = subprocess.run(command, capture_output=True, text=True)
        except OSError as e:
            sys.exit(f"ocr_pipeline.py: cannot start {command[0]}: {e}")
        if result.returncode != 0:
            sys.exit(f"ocr_pipeline.py: {' '.join(command)} failed:\n{result.stderr.strip()}")
        outputs = {name: np.load(out_dir / name) for name in arrays}
        model_ms = sum(json.loads(timings.read_text()).values()) if timings.is_file() else None
        return outputs, model_ms


def sorted_boxes(boxes):
    """PaddleOCR's sorted_boxes: by top-left y then x, with rows 10 px tolerant."""
    boxes = sorted(boxes, key=lambda b: (b[0][1], b[0][0]))
    for i in range(len(boxes) - 1):
        for j in range(i, -1, -1):
            if (abs(boxes[j + 1][0][1] - boxes[j][0][1]) < SORT_ROW_TOLERANCE and
                    boxes[j + 1][0][0] < boxes[j][0][0]):
                boxes[j], boxes[j + 1] = boxes[j + 1], boxes[j]
            else:
                break
    return boxes


def homography(src, dst):
    """The 3x3 matrix mapping the four src points onto the four dst points."""
    rows, rhs = [], []
    for (x, y), (u, v) in zip(src, dst):
        rows += [[x, y, 1, 0, 0, 0, -u * x, -u * y], [0, 0, 0, x, y, 1, -v * x, -v * y]]
        rhs += [u, v]
    return np.append(np.linalg.solve(np.array(rows, float), np.array(rhs, float)), 1).reshape(3, 3)


def rotate_crop(page, quad):
    """get_rotate_crop_image: the quad (clockwise from top left) as an upright image."""
    w = int(max(np.hypot(*(quad[0] - quad[1])), np.hypot(*(quad[2] - quad[3]))))
    h = int(max(np.hypot(*(quad[0] - quad[3])), np.hypot(*(quad[1] - quad[2]))))
    w, h = max(w, 1), max(h, 1)
    # Output pixel (x, y) samples the page at H^-1 (x, y), as cv2.warpPerspective does.
    to_page = homography(np.array([[0, 0], [w, 0], [w, h], [0, h]], float), quad)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    p = to_page @ np.stack([xx.ravel(), yy.ravel(), np.ones(xx.size)])
    sx = np.clip(p[0] / p[2], 0, page.shape[1] - 1)
    sy = np.clip(p[1] / p[2], 0, page.shape[0] - 1)
    x0, y0 = np.floor(sx).astype(int), np.floor(sy).astype(int)
    x1, y1 = np.minimum(x0 + 1, page.shape[1] - 1), np.minimum(y0 + 1, page.shape[0] - 1)
    fx, fy = (sx - x0)[:, None], (sy - y0)[:, None]
    f = page.astype(np.float64)
    top = f[y0, x0] * (1 - fx) + f[y0, x1] * fx
    bottom = f[y1, x0] * (1 - fx) + f[y1, x1] * fx
    crop = np.clip(np.rint(top * (1 - fy) + bottom * fy), 0, 255).astype(np.uint8)
    crop = crop.reshape(h, w, 3)
    if h / w >= 1.5:
        crop = np.rot90(crop)  # counter-clockwise, as PaddleOCR's np.rot90
    return np.ascontiguousarray(crop)


def line_inputs(names, crops, width):
    """The classifier's (width 192) or recognizer's (320) inputs for the crops."""
    return {n: render_text_lines.preprocess(Image.fromarray(c), width)
            for n, c in zip(names, crops)}


def run_side(page, runners, charset_path):
    """The pipeline with one set of runners; returns ([(box, text, score)], timings)."""
    timings = {}

    start = time.perf_counter()
    outputs, model_ms = runners["det"].run({"page.npy": render_pages.preprocess(page)})
    prob = outputs["page.npy"].reshape(outputs["page.npy"].shape[-2:]).astype(np.float32)
    boxes = sorted_boxes([box for box, _ in eval_ocr_det.boxes_from_map(prob)])
    crops = [rotate_crop(np.asarray(page), box) for box in boxes]
    timings["detect + crop"] = (time.perf_counter() - start, model_ms)

    start = time.perf_counter()
    names = [f"{i:05d}.npy" for i in range(len(crops))]
    model_ms = None
    if crops:
        outputs, model_ms = runners["cls"].run(line_inputs(names, crops, 192))
        for i, name in enumerate(names):
            scores = outputs[name].reshape(-1)
            if int(np.argmax(scores)) == 1 and scores[1] > CLS_THRESH:
                crops[i] = np.ascontiguousarray(crops[i][::-1, ::-1])
    timings["classify"] = (time.perf_counter() - start, model_ms)

    start = time.perf_counter()
    results = []
    model_ms = None
    if crops:
        outputs, model_ms = runners["rec"].run(line_inputs(names, crops, 320))
        charset = None
        for box, name in zip(boxes, names):
            probs = outputs[name].reshape(-1, outputs[name].shape[-1])
            if charset is None:
                charset = eval_ocr_rec.load_charset(charset_path, probs.shape[1])
            text = eval_ocr_rec.ctc_greedy_decode(probs, charset)
            best = probs.argmax(axis=1)
            keep = np.concatenate([[True], best[1:] != best[:-1]]) & (best != 0)
            score = float(probs.max(axis=1)[keep].mean()) if keep.any() else 0.0
            if score >= DROP_SCORE:
                results.append((box, text, score))
    timings["recognize"] = (time.perf_counter() - start, model_ms)
    return results, timings


def describe(models):
    return ", ".join(f"{stage} {r.model.name} ({r.kind})" for stage, r in models.items())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", type=pathlib.Path, help="a 640x640 image (default: render one)")
    parser.add_argument("--seed", type=int, default=12, help="seed of the rendered page")
    parser.add_argument("--float", nargs=3, metavar=("DET", "CLS", "REC"), dest="float_models",
                        default=[str(REPO / "models" / m) for m in (
                            "ch_PP-OCRv4_det_infer.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx",
                            "ch_PP-OCRv4_rec_infer.onnx")])
    parser.add_argument("--int8", nargs=3, metavar=("DET", "CLS", "REC"), dest="int8_models",
                        help="the int8 .qrt models (default: float only)")
    parser.add_argument("--qrt-run", default=str(REPO / "build" / "release" / "runtime" / "tools"
                                                 / "qrt-run"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--dict", type=pathlib.Path, default=REPO / "models" / "ppocr_keys_v1.txt")
    parser.add_argument("--work", type=pathlib.Path, default=REPO / "build" / "ocr-pipeline",
                        help="folder for the page and the runners' files")
    args = parser.parse_args()
    if args.threads < 1:
        parser.error("--threads must be positive")
    args.work.mkdir(parents=True, exist_ok=True)

    truth = None
    if args.page is None:
        fonts, cjk_fonts = render_text_lines.find_fonts()
        if not fonts:
            sys.exit("ocr_pipeline.py: no fonts to render a page "
                     "(scripts/install-deps.sh --models)")
        rng = np.random.default_rng([args.seed, 0])
        page, truth = render_pages.render_page(rng, fonts, cjk_fonts,
                                               render_text_lines.load_dictionary(str(args.dict)))
        page = render_text_lines.degrade(rng, page, render_pages.DEGRADE)
        args.page = args.work / f"page-{args.seed}.png"
        page.save(args.page)
        print(f"page {args.page} (rendered, seed {args.seed}, {len(truth)} lines)")
    else:
        try:
            page = Image.open(args.page).convert("RGB")
        except OSError as e:
            sys.exit(f"ocr_pipeline.py: cannot read {args.page}: {e}")
        print(f"page {args.page}")
    if page.size != (render_pages.PAGE, render_pages.PAGE):
        sys.exit(f"ocr_pipeline.py: the page is {page.width}x{page.height}; the detector takes "
                 f"{render_pages.PAGE}x{render_pages.PAGE}")

    sides = [("float", args.float_models)]
    if args.int8_models:
        sides.append(("int8", args.int8_models))
    reports = []
    with tempfile.TemporaryDirectory(dir=args.work) as work:
        for label, paths in sides:
            runners = {stage: Runner(path, args.qrt_run, args.threads, work)
                       for stage, path in zip(("det", "cls", "rec"), paths)}
            print(f"\n== {label}: {describe(runners)}")
            results, timings = run_side(page, runners, args.dict)
            for box, text, score in results:
                x, y = (int(v) for v in box[0])
                print(f"  ({x:3d},{y:3d})  {score:.3f}  {text}")
            reports.append((label, results, timings))

    print(f"\n== timings, ms ({args.threads} thread(s); wall / model)")
    print(f"  {'stage':<15}" + "".join(f"{label:>22}" for label, _, _ in reports))
    stages = list(reports[0][2])
    for stage in stages + ["total"]:
        cells = []
        for _, _, timings in reports:
            picked = timings.values() if stage == "total" else [timings[stage]]
            wall = 1000 * sum(w for w, _ in picked)
            models = [m for _, m in picked]
            model = "-" if any(m is None for m in models) else f"{sum(models):.1f}"
            cells.append(f"{wall:.1f} / {model}")
        print(f"  {stage:<15}" + "".join(f"{c:>22}" for c in cells))
    print()
    if truth is not None:
        # Spaces ignored, as eval_ocr_rec.py does by default.
        expected = [t["transcription"].replace(" ", "") for t in truth]
        for label, results, _ in reports:
            read = {text.replace(" ", "") for _, text, _ in results}
            print(f"{label}: {sum(t in read for t in expected)} of the page's {len(expected)} "
                  "lines read exactly")
    if len(reports) == 2:
        a, b = ([text for _, text, _ in r[1]] for r in reports)
        same = sum(x == y for x, y in zip(a, b))
        print(f"lines: float {len(a)}, int8 {len(b)}; identical text in {same} of "
              f"{max(len(a), len(b))}")


if __name__ == "__main__":
    main()
