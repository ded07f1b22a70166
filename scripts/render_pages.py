#!/usr/bin/env python3
"""Renders 640x640 pages of text lines with their boxes, for PP-OCR's text detector.

Each page stands in for a photo or scan that PaddleOCR's detector (ch_PP-OCRv4_det,
a DBNet) gets: several lines of text (the same Chinese, English and number
generators, fonts and dictionary check as render_text_lines.py --task rec) at
random, non-overlapping positions. The pages calibrate qrt-convert's int8 detector
(one split) and measure it against the float model (another split).

Generation choices (all drawn from generators seeded by (seed, page), so a page
does not change with --count and a split is reproducible on a machine with the
same fonts and Pillow/FreeType versions):
  * Background: light paper (grey 170..250, tinted) 80% of the time, otherwise a
    mid or dark coloured board (signs, packaging) with light text; a
    low-frequency texture (up to +-12 grey levels) and a brightness ramp in a
    random direction (up to +-30); on a third of the pages a few ruled lines and
    boxes, as on forms and tables.
  * Lines: 4..12 single lines a page, font sizes 8..48 px (log-uniform), about
    1.5..16 text heights long; on 40% of the pages also a paragraph (on 6% two):
    3..6 left-aligned lines in one font of 12..28 px, 1.3..1.8 sizes apart, which
    the detector must keep apart. Ink dark (or light on boards), a fifth of the
    time red or blue, at least 35 grey levels from the background (small, faint
    lines are what the detector misses). 30% of the lines and paragraphs are
    level, the rest rotated by -8..+8 degrees; 8% are upside down besides (as in
    photos taken the wrong way round). Each is placed where it keeps a gap
    of half its font size to the others; one that finds no place after 30 tries is
    dropped.
  * Degradation of the whole page: Gaussian blur (radius 0.3..1.0 px) 40% of the
    time, noise (sigma 0..6 grey levels), JPEG (quality 50..95) a third of the time.
  * Ground truth per line: the text's ink box (Pillow's getbbox of the string)
    grown by 1 px + 10% of its height on every side, as annotators draw boxes a
    little outside the ink (and as the detector's unclipped boxes come out: a tight
    box puts lines under 14 px at IoU < 0.5 with correct detections), rotated with
    the line; clockwise from the top left.

Preprocessing is PaddleOCR's for the detector (tools/infer/predict_det.py):
DetResizeForTest with limit_side_len 960, limit_type max leaves a 640x640 image as
it is (no side above 960, both multiples of 32); NormalizeImage then computes
(x/255 - mean)/std with mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225)
per channel in the order of the array, which is cv2.imread's BGR: so the ImageNet
statistics of red are applied to blue and vice versa, as the model was trained;
ToCHWImage makes it float32 [1, 3, 640, 640].

Output, for --split NAME:
  OUT/NAME/inputs/NNNNN.npy  the detector input; nothing else is in the folder
                             (qrt-convert --calib and qrt-run --input take it);
  OUT/NAME/labels.txt        "NNNNN.npy<TAB>[{"transcription": ..., "points":
                             [[x, y] x 4]}, ...]" per page, PaddleOCR's detection
                             label format;
  OUT/NAME/png/NNNNN.png     the page (RGB).

Only NumPy and Pillow are needed (see render_text_lines.py for the fonts).
"""

import argparse
import json
import math
import os
import re
import sys

import numpy as np
from PIL import Image, ImageDraw

import render_text_lines as lines

PAGE = 640
DET_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
DET_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
DEGRADE = {"blur_p": 0.4, "blur": (0.3, 1.0), "noise": (0.0, 6.0), "jpeg_p": 1 / 3,
           "jpeg": (50, 96)}


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Render 640x640 text pages with line boxes for PP-OCR's detector.")
    parser.add_argument("--out", default=None,
                        help="output root (default: <repo>/build/ocr-data)")
    parser.add_argument("--split", required=True,
                        help="split name, e.g. det-calib (letters, digits, _ and -)")
    parser.add_argument("--count", type=int, required=True, help="number of pages")
    parser.add_argument("--seed", type=int, required=True, help="generator seed (>= 0)")
    parser.add_argument("--dict", default=None,
                        help="recognizer dictionary the text must keep to "
                             "(default: <repo>/models/ppocr_keys_v1.txt)")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", args.split):
        parser.error(f"--split must be letters, digits, _ or -: {args.split!r}")
    if not 0 < args.count <= 99999:
        parser.error(f"--count must be in 1..99999: {args.count}")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0: {args.seed}")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if args.out is None:
        args.out = os.path.join(repo, "build", "ocr-data")
    if args.dict is None:
        args.dict = os.path.join(repo, "models", "ppocr_keys_v1.txt")
    return args


def background(rng):
    """Returns (float32 HxWx3 page, True when it is dark so text must be light)."""
    board = rng.random() < 0.2
    if board:
        base = rng.uniform(20, 140, size=3)
    else:
        base = np.clip(rng.uniform(170, 250) + rng.uniform(-15, 15, size=3), 0, 255)
    page = np.broadcast_to(base, (PAGE, PAGE, 3)).astype(np.float32)
    # Low-frequency texture: coarse noise upsampled smoothly.
    coarse = rng.uniform(-1, 1, size=(9, 9)).astype(np.float32)
    texture = np.asarray(Image.fromarray(coarse, mode="F").resize((PAGE, PAGE), Image.BICUBIC))
    page = page + rng.uniform(0, 12) * texture[..., None]
    yy, xx = np.mgrid[0:PAGE, 0:PAGE].astype(np.float32) / PAGE
    theta = rng.uniform(0, 2 * math.pi)
    page += (rng.uniform(-30, 30) * (math.cos(theta) * xx + math.sin(theta) * yy))[..., None]
    return page, board


def ink_colour(rng, bg_grey, board):
    """A text colour at least 35 grey levels away from the background."""
    if board:
        grey = rng.uniform(min(255, bg_grey + 35), 255)
    else:
        grey = rng.uniform(0, max(0, bg_grey - 35))
    colour = np.full(3, grey) + rng.uniform(-15, 15, size=3)
    if rng.random() < 0.2:  # red or blue ink
        channel = 0 if rng.random() < 0.5 else 2
        colour[channel] = min(255, colour[channel] + rng.uniform(80, 160))
    return tuple(int(c) for c in np.clip(colour, 0, 255))


def rotate_points(points, angle_deg, centre):
    """Rotates (x, y) points as Image.rotate(angle) turns the image (counter-clockwise)."""
    a = math.radians(angle_deg)
    c, s = math.cos(a), math.sin(a)
    d = points - centre
    return np.stack([centre[0] + c * d[:, 0] + s * d[:, 1],
                     centre[1] - s * d[:, 0] + c * d[:, 1]], axis=1)


def render_text_layer(font, texts, pitch, ink, angle):
    """Lines of text pitch px apart, left-aligned, as one RGBA layer (rotated,
    expanded), and each line's box in that layer."""
    inks = [np.array(font.getbbox(t), dtype=np.float64) + [0, k * pitch, 0, k * pitch]
            for k, t in enumerate(texts)]
    left, top = min(b[0] for b in inks), min(b[1] for b in inks)
    right, bottom = max(b[2] for b in inks), max(b[3] for b in inks)
    pad = int(math.ceil(0.2 * (inks[0][3] - inks[0][1]))) + 2
    w, h = int(right - left) + 2 * pad, int(bottom - top) + 2 * pad
    layer = Image.new("RGBA", (w, h), ink + (0,))
    draw = ImageDraw.Draw(layer)
    origin = np.array([pad - left, pad - top])
    quads = []
    for k, (text, (x0, y0, x1, y1)) in enumerate(zip(texts, inks)):
        draw.text((origin[0], origin[1] + k * pitch), text, font=font, fill=ink + (255,))
        margin = 1 + 0.1 * (y1 - y0)
        x0, y0, x1, y1 = x0 - margin, y0 - margin, x1 + margin, y1 + margin
        quads.append(np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]) + origin)
    rotated = layer.rotate(angle, resample=Image.BICUBIC, expand=True)
    # Image.rotate(expand=True) turns about the centre and re-centres in the new size.
    shift = np.array([rotated.width - w, rotated.height - h]) / 2
    return rotated, [rotate_points(q, angle, np.array([w / 2, h / 2])) + shift for q in quads]


def pick_texts(rng, fonts, cjk_fonts, alphabet, paragraph):
    """(font, size, texts, pitch): one line, or 3..6 lines of a paragraph in one font,
    all of dictionary characters; None when the draws keep failing."""
    for _ in range(20):
        path, font, size, text = lines.pick_line(rng, fonts, cjk_fonts,
                                                 (12, 28) if paragraph else (8, 48), (1.5, 16.0))
        if text.strip() and alphabet.issuperset(text):
            break
    else:
        return None
    if not paragraph:
        return font, size, [text], 0.0
    kind = "zh" if any(path == f[0] for f in cjk_fonts) and rng.random() < 0.7 else "en"
    texts = [text]
    for _ in range(int(rng.integers(2, 6))):
        more = lines.make_line(rng, kind, font, size, lines.log_uniform(rng, 4.0, 16.0))
        if more.strip() and alphabet.issuperset(more):
            texts.append(more)
    return font, size, texts, size * rng.uniform(1.3, 1.8)


def place(rng, layer, quads, gap, taken):
    """A position for the layer keeping gap to the taken boxes, or None after 30 tries."""
    if layer.width >= PAGE - 8 or layer.height >= PAGE - 8:
        return None
    for _ in range(30):
        offset = np.array([rng.integers(4, PAGE - 4 - layer.width + 1),
                           rng.integers(4, PAGE - 4 - layer.height + 1)])
        corners = np.concatenate(quads) + offset
        box = (*(corners.min(axis=0) - gap), *(corners.max(axis=0) + gap))
        if all(box[2] <= t[0] or t[2] <= box[0] or box[3] <= t[1] or t[3] <= box[1]
               for t in taken):
            taken.append(box)
            return offset
    return None


def draw_rules(rng, page_img, grey):
    """Ruled lines and boxes, as on forms (drawn before the text)."""
    draw = ImageDraw.Draw(page_img)
    colour = tuple(int(c) for c in np.clip(grey - rng.uniform(60, 140), 0, 255) * np.ones(3))
    for _ in range(int(rng.integers(1, 5))):
        x0, y0 = rng.uniform(0, PAGE, size=2)
        if rng.random() < 0.5:
            draw.line([(x0, y0), (x0 + rng.uniform(100, 500), y0)], fill=colour,
                      width=int(rng.integers(1, 3)))
        else:
            x1, y1 = x0 + rng.uniform(60, 300), y0 + rng.uniform(30, 200)
            draw.rectangle([(x0, y0), (x1, y1)], outline=colour, width=int(rng.integers(1, 3)))


def render_page(rng, fonts, cjk_fonts, alphabet):
    """Returns (RGB page, [{"transcription", "points"}])."""
    page, board = background(rng)
    bg_grey = float(page.mean())
    page_img = Image.fromarray(np.clip(np.rint(page), 0, 255).astype(np.uint8))
    if rng.random() < 1 / 3 and not board:
        draw_rules(rng, page_img, bg_grey)
    taken = []  # axis-aligned boxes of placed lines and paragraphs, with their gaps
    boxes = []
    paragraphs = int(rng.random() < 0.4) + int(rng.random() < 0.15)
    for item in range(int(rng.integers(4, 13)) + paragraphs):
        picked = pick_texts(rng, fonts, cjk_fonts, alphabet, item < paragraphs)
        if picked is None:
            continue
        font, size, texts, pitch = picked
        angle = 0.0 if rng.random() < 0.3 else rng.uniform(-8.0, 8.0)
        if rng.random() < 0.08:
            angle += 180.0  # upside down, for the orientation classifier
        layer, quads = render_text_layer(font, texts, pitch, ink_colour(rng, bg_grey, board),
                                         angle)
        offset = place(rng, layer, quads, 0.5 * size, taken)
        if offset is None:
            continue
        page_img.paste(layer, tuple(int(v) for v in offset), layer)
        for text, quad in zip(texts, quads):
            boxes.append({"transcription": text,
                          "points": [[round(float(x), 1), round(float(y), 1)]
                                     for x, y in quad + offset]})
    return page_img, boxes


def preprocess(img_rgb):
    """PaddleOCR's detector input: float32 [1, 3, 640, 640] (see the module docstring)."""
    bgr = np.asarray(img_rgb)[:, :, ::-1].astype(np.float32)
    normalised = (bgr / 255.0 - DET_MEAN) / DET_STD
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None], dtype=np.float32)


def main(argv):
    args = parse_args(argv)
    fonts, cjk_fonts = lines.find_fonts()
    if not fonts:
        sys.exit("render_pages.py: error: none of render_text_lines.FONT_CANDIDATES is "
                 "installed (Debian: apt-get install -y fonts-dejavu-core)")
    alphabet = lines.load_dictionary(args.dict)
    out_dir = os.path.join(args.out, args.split)
    inputs_dir = os.path.join(out_dir, "inputs")
    png_dir = os.path.join(out_dir, "png")
    os.makedirs(inputs_dir, exist_ok=True)
    os.makedirs(png_dir, exist_ok=True)
    # Remove what an earlier, larger run of this split left.
    for folder in (inputs_dir, png_dir):
        for name in os.listdir(folder):
            if re.fullmatch(r"\d{5}\.(npy|png)", name):
                os.remove(os.path.join(folder, name))

    labels = []
    total = 0
    for i in range(args.count):
        rng = np.random.default_rng([args.seed, i])
        img, boxes = render_page(rng, fonts, cjk_fonts, alphabet)
        img = lines.degrade(rng, img, DEGRADE)
        name = f"{i:05d}"
        img.save(os.path.join(png_dir, name + ".png"))
        np.save(os.path.join(inputs_dir, name + ".npy"), preprocess(img))
        labels.append(f"{name}.npy\t{json.dumps(boxes, ensure_ascii=False)}")
        total += len(boxes)
    with open(os.path.join(out_dir, "labels.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(labels) + "\n")
    print(f"{out_dir}: {args.count} pages, {total} text lines"
          f"{'' if cjk_fonts else ' (no CJK font: Latin only)'}")


if __name__ == "__main__":
    main(sys.argv[1:])
