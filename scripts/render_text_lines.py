#!/usr/bin/env python3
"""Renders realistic text-line crops for PP-OCR's classifier and recognizer.

The images stand in for what PaddleOCR's detector hands on: one line of text cut
out of a photo or scan. They calibrate qrt-convert's int8 model (one split) and
measure it against the float model (another split). Two tasks:
  * --task cls (default), for the text-orientation classifier
    (ch_ppocr_mobile_v2.0_cls): lines upright (label 0) or upside down (label 180);
  * --task rec, for the recognizer (ch_PP-OCRv4_rec): upright lines labelled with
    their text, every character of which is in the recognizer's dictionary
    (models/ppocr_keys_v1.txt; a line with another character is drawn again), and
    whose width/height is at most 320/48, so that PaddleOCR's resize fills the
    model's fixed 48x320 input without squeezing the text.

Generation choices (all drawn from a seeded generator, so a split is reproducible
on a machine with the same fonts and Pillow/FreeType versions):
  * Text: ~40% Chinese (real phrases from signs, receipts and forms, or runs of
    common characters, often with digits and Chinese punctuation) when a CJK font
    is installed; ~35% Latin (English words, capitalised or not, with punctuation);
    ~25% numbers and codes (dates, times, prices, phone numbers, e-mail/web
    addresses, part numbers). Without a CJK font the Chinese share goes to the rest.
  * Fonts: the Debian fonts found among FONT_CANDIDATES (DejaVu, Liberation, FreeFont
    for Latin; WenQuanYi Micro Hei, AR PL UMing, Noto CJK for Chinese, which also
    draw Latin text). Sizes 16..72 px, log-uniform, since real crops range from
    small print to signs.
  * Aspect ratio: a target width/height in 2..11 (log-uniform; rec: 2..6) is drawn
    first and words are added until the line reaches it; lines outside 2..12
    (rec: 1..320/48) are redrawn.
  * Appearance: dark text on a light background, both slightly tinted, with a mild
    brightness gradient; margins around the text of 5..30% of the text height, as
    the detector's box expansion leaves; rotation of -3..+3 degrees; then Gaussian
    blur (radius 0..1.2 px, half the time), Gaussian noise (sigma 0..8 grey levels)
    and, a third of the time, JPEG compression (quality 40..95).
  * --difficulty hard (for checking that int8 keeps float's decisions where float is
    unsure, which the normal lines rarely make it): shorter lines (width/height
    2..5), low contrast (ink only 40..100 grey levels darker than the paper), blur
    80% of the time (radius 0.5..2 px), noise sigma 4..16, JPEG 60% of the time at
    quality 20..70. Normal-difficulty images do not change with this option's
    existence: both draw the same random numbers.
  * --difficulty medium (what the recognizer is measured on: the normal lines are
    read almost without error, the hard ones are often illegible): sizes from 12 px,
    ink 60..150 grey levels darker than paper of 165..250, blur 60% of the time
    (radius 0.4..1.6 px), noise sigma 2..12, JPEG half the time at quality 30..90.
  * Label (cls): exactly half the images of a split (a seeded permutation) are
    rotated by 180 degrees after rendering, so the degradations are the same in both
    classes. (rec): the text as drawn.

Preprocessing is PaddleOCR's for the classifier and the recognizer
(tools/infer/predict_cls.py and predict_rec.py, resize_norm_img with image shape
3,48,192 and 3,48,320): the crop, in BGR channel order as cv2.imread gives it, is
resized to height 48 and width min(W, ceil(48*w/h)) with bilinear interpolation
(cv2.INTER_LINEAR semantics, reimplemented in NumPy: half-pixel centres, no
antialiasing, rounded back to uint8), scaled to (x/255 - 0.5)/0.5, and placed at the
left of a zero-filled 3x48xW tensor (W = 192 for cls, 320 for rec; predict_rec.py
widens W for a batch's widest line, which the fixed-shape model cannot, hence rec's
bound on the aspect ratio).

Output, for --split NAME:
  OUT/NAME/inputs/NNNNN.npy  the model input (float32 [1,3,48,W]); the folder holds
                             nothing else, since qrt-convert rejects other files
                             in a calibration directory, so it serves directly as
                             `qrt-convert --calib OUT/calib/inputs` and
                             `qrt-run --input OUT/test/inputs`;
  OUT/NAME/labels.txt        cls: "NNNNN.npy LABEL" per line; rec: "NNNNN.npy<TAB>TEXT";
                             names relative to inputs/ (and to qrt-run's output
                             folder, for eval_classifier.py and eval_ocr_rec.py);
  OUT/NAME/png/NNNNN.png     the crop as the model sees it (cls: already rotated for
                             label 180);
  OUT/NAME/meta.tsv          font, size, angle and text of each image, for looking
                             into mistakes.

Only NumPy and Pillow are needed (Debian: python3-numpy python3-pil; fonts:
fonts-dejavu-core fonts-liberation2 fonts-freefont-ttf fonts-wqy-microhei
fonts-arphic-uming).
"""

import argparse
import io
import math
import os
import re
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

# Ranges each difficulty draws from (see the module docstring).
# "ink": None draws dark ink whatever the paper; a range draws how much darker than
# the paper the ink is.
DIFFICULTY = {
    "normal": {"size": (16, 72), "ratio": (2.0, 11.0), "paper": (185, 255), "ink": None,
               "blur_p": 0.5, "blur": (0.3, 1.2), "noise": (0.0, 8.0), "jpeg_p": 1 / 3,
               "jpeg": (40, 96)},
    "medium": {"size": (12, 72), "ratio": (2.0, 11.0), "paper": (165, 250), "ink": (60, 150),
               "blur_p": 0.6, "blur": (0.4, 1.6), "noise": (2.0, 12.0), "jpeg_p": 0.5,
               "jpeg": (30, 91)},
    "hard": {"size": (16, 72), "ratio": (2.0, 5.0), "paper": (150, 240), "ink": (40, 100),
             "blur_p": 0.8, "blur": (0.5, 2.0), "noise": (4.0, 16.0), "jpeg_p": 0.6,
             "jpeg": (20, 71)},
}

# What differs between the tasks: the model's input width, the range of width/height
# a rendered line must fall in (rec: no wider than the input takes without
# squeezing), and the target ratios lines are drawn with (rec's replace the
# difficulty's).
TASKS = {
    "cls": {"input_width": 192, "line_ratio": (2.0, 12.0), "ratio": None},
    "rec": {"input_width": 320, "line_ratio": (1.0, 320 / 48), "ratio": (2.0, 6.0)},
}

# (path, face index, covers Chinese). Fixed order, so the fonts a seed picks depend
# only on which of these are installed.
FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0, False),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", 0, False),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 0, False),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 0, False),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed.ttf", 0, False),
    ("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf", 0, False),
    ("/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf", 0, False),
    ("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf", 0, False),
    ("/usr/share/fonts/truetype/liberation2/LiberationSerif-Italic.ttf", 0, False),
    ("/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf", 0, False),
    ("/usr/share/fonts/truetype/freefont/FreeSans.ttf", 0, False),
    ("/usr/share/fonts/truetype/freefont/FreeSerif.ttf", 0, False),
    ("/usr/share/fonts/truetype/freefont/FreeSerifBold.ttf", 0, False),
    ("/usr/share/fonts/truetype/freefont/FreeMono.ttf", 0, False),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, True),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, True),
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 0, True),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 0, True),
]

# Frequent characters of modern Chinese (all in GB2312, so every CJK font has them).
CHINESE_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年"
    "动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化"
    "高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天"
    "政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向"
    "道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革"
    "位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角"
    "期根论运农指几九区强放决西被干做必战先回则任取据处府研店铺价格服务市场城街号楼"
)
CHINESE_PHRASES = [
    "营业时间", "联系电话", "欢迎光临", "地址", "人民币", "合计金额", "发票号码",
    "有限公司", "中华人民共和国", "北京市朝阳区", "上海市浦东新区", "出口", "禁止吸烟",
    "注意安全", "停车场", "中国银行", "超市", "药店", "餐厅", "火车站", "身份证号码",
    "姓名", "性别", "出生日期", "住址", "数量", "单价", "日期", "电子邮件", "网址",
    "优惠活动", "全场八折", "新品上市", "保质期", "生产日期", "产品名称", "规格型号",
    "请勿靠近", "小心地滑", "会议室", "办公室", "收款员", "找零", "备注", "签名",
    "订单编号", "配送地址", "客服热线", "使用说明", "储存条件", "净含量", "配料表",
]
CHINESE_PUNCT = "，。：；、！？（）"
LATIN_WORDS = (
    "the of and to in is for on with as by at from this that be are was it or an not "
    "we you your our all new more about time price total amount date order number "
    "customer service open hours street road avenue city center station exit entrance "
    "please thank welcome sale discount free delivery address phone email office "
    "room floor building parking hotel restaurant coffee menu bank pharmacy market "
    "invoice receipt item quantity unit tax payment cash card change balance due "
    "name birth place nationality valid until issued product model serial weight "
    "ingredients store keep away from children warning caution danger no smoking "
    "monday tuesday friday january march october report chapter page section table "
    "figure results analysis method data system model training network image text"
).split()
LATIN_PUNCT = [",", ".", ":", ";", "!", "?", " -", " &"]


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Render text-line images for PP-OCR's orientation classifier (cls) "
                    "or recognizer (rec).")
    parser.add_argument("--task", choices=sorted(TASKS), default="cls",
                        help="cls: upright/upside-down lines; rec: lines labelled with "
                             "their text")
    parser.add_argument("--dict", default=None,
                        help="rec: the recognizer's dictionary, one character a line "
                             "(default: <repo>/models/ppocr_keys_v1.txt)")
    parser.add_argument("--out", default=None,
                        help="output root (default: <repo>/build/ocr-data)")
    parser.add_argument("--split", required=True,
                        help="split name, e.g. calib or test (letters, digits, _ and -)")
    parser.add_argument("--count", type=int, required=True, help="number of images")
    parser.add_argument("--seed", type=int, required=True, help="generator seed (>= 0)")
    parser.add_argument("--difficulty", choices=sorted(DIFFICULTY), default="normal",
                        help="medium: smaller, lower-contrast, blurrier, noisier lines; "
                             "hard: also short and lower-contrast still")
    parser.add_argument("--require-cjk", action="store_true",
                        help="fail when no Chinese font is installed instead of "
                             "rendering Latin text only")
    args = parser.parse_args(argv)
    if not re.fullmatch(r"[A-Za-z0-9_-]+", args.split):
        parser.error(f"--split must be letters, digits, _ or -: {args.split!r}")
    if args.count <= 0:
        parser.error(f"--count must be positive: {args.count}")
    if args.count > 99999:
        parser.error(f"--count must be at most 99999 (file names have 5 digits): {args.count}")
    if args.seed < 0:
        parser.error(f"--seed must be >= 0: {args.seed}")
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    if args.out is None:
        args.out = os.path.join(repo, "build", "ocr-data")
    if args.dict is None:
        args.dict = os.path.join(repo, "models", "ppocr_keys_v1.txt")
    return args


def load_dictionary(path):
    """The characters PaddleOCR's CTCLabelDecode maps classes 1..N to (plus ' ')."""
    try:
        with open(path, encoding="utf-8") as f:
            chars = f.read().splitlines()
    except OSError as e:
        sys.exit(f"render_text_lines.py: error: cannot read the dictionary: {e}")
    return set(chars) | {" "}


def find_fonts():
    """All installed candidates (any can draw Latin text), and those covering Chinese."""
    fonts = [f for f in FONT_CANDIDATES if os.path.isfile(f[0])]
    return fonts, [f for f in fonts if f[2]]


def chinese_text(rng):
    """One chunk of Chinese: a phrase, or a run of common characters, with extras."""
    r = rng.random()
    if r < 0.5:
        s = CHINESE_PHRASES[rng.integers(len(CHINESE_PHRASES))]
    else:
        s = "".join(CHINESE_CHARS[i] for i in rng.integers(len(CHINESE_CHARS),
                                                             size=rng.integers(2, 7)))
    r = rng.random()
    if r < 0.2:
        s += "：" + str(rng.integers(1, 10000))
    elif r < 0.35:
        s += CHINESE_PUNCT[rng.integers(len(CHINESE_PUNCT))]
    return s


def latin_text(rng):
    word = LATIN_WORDS[rng.integers(len(LATIN_WORDS))]
    r = rng.random()
    if r < 0.25:
        word = word.capitalize()
    elif r < 0.32:
        word = word.upper()
    if rng.random() < 0.12:
        word += LATIN_PUNCT[rng.integers(len(LATIN_PUNCT))]
    return word


def number_text(rng):
    kind = rng.integers(9)
    d = lambda n: "".join(str(x) for x in rng.integers(10, size=n))  # noqa: E731
    if kind == 0:
        return f"{rng.integers(1990, 2030)}-{rng.integers(1, 13):02d}-{rng.integers(1, 29):02d}"
    if kind == 1:
        return f"{rng.integers(0, 24):02d}:{rng.integers(0, 60):02d}"
    if kind == 2:
        return ["¥", "$", "€", "USD ", "RMB "][rng.integers(5)] + \
            f"{rng.integers(1, 5000)}.{rng.integers(0, 100):02d}"
    if kind == 3:
        return f"Tel: {d(3)}-{d(4)}-{d(4)}"
    if kind == 4:
        return f"+86 1{d(2)} {d(4)} {d(4)}"
    if kind == 5:
        return f"{LATIN_WORDS[rng.integers(len(LATIN_WORDS))]}@example.com"
    if kind == 6:
        return f"www.{LATIN_WORDS[rng.integers(len(LATIN_WORDS))]}.com"
    if kind == 7:
        return f"No. {d(int(rng.integers(3, 9)))}"
    return f"{rng.integers(1, 100)}%"


def make_line(rng, kind, font, font_size, target_ratio):
    """Adds chunks of the given kind until the text's width/height reaches target_ratio."""
    parts = []
    text = ""
    for _ in range(60):
        if kind == "zh":
            # Mostly Chinese, sometimes a number or a Latin word in between, as on receipts.
            r = rng.random()
            chunk = chinese_text(rng) if r < 0.8 else (number_text(rng) if r < 0.93
                                                      else latin_text(rng))
            sep = "" if (not parts or rng.random() < 0.7) else " "
        elif kind == "en":
            chunk = latin_text(rng) if rng.random() < 0.9 else number_text(rng)
            sep = " " if parts else ""
        else:
            chunk = number_text(rng) if rng.random() < 0.7 else latin_text(rng)
            sep = " " if parts else ""
        candidate = text + sep + chunk
        left, top, right, bottom = font.getbbox(candidate)
        # Height of a full line in this font rather than of these glyphs, so the ratio
        # does not jump for lines without ascenders.
        height = font_size * 1.2
        if (right - left) / height > target_ratio and parts:
            break
        parts.append(chunk)
        text = candidate
    return text


def log_uniform(rng, lo, hi):
    return math.exp(rng.uniform(math.log(lo), math.log(hi)))


def pick_line(rng, fonts, cjk_fonts, sizes, ratios):
    """Draws a kind of text, a font, a size (px) in sizes and a line of about a
    width/height in ratios; returns (font path, font, size, text)."""
    kinds = ["zh", "en", "num"]
    probs = [0.40, 0.35, 0.25] if cjk_fonts else [0.0, 0.55, 0.45]
    kind = kinds[rng.choice(3, p=probs)]
    pool = cjk_fonts if kind == "zh" else fonts
    path, index, _ = pool[rng.integers(len(pool))]
    font_size = int(round(log_uniform(rng, *sizes)))
    font = ImageFont.truetype(path, font_size, index=index)
    text = make_line(rng, kind, font, font_size, log_uniform(rng, *ratios))
    return path, font, font_size, text


def render_line(rng, fonts, cjk_fonts, p):
    """Returns (RGB PIL image, description) of one upright text line."""
    path, font, font_size, text = pick_line(rng, fonts, cjk_fonts, p["size"], p["ratio"])

    left, top, right, bottom = font.getbbox(text)
    text_h = bottom - top
    ref_h = max(text_h, font_size * 0.7)
    m_top, m_bottom = (rng.uniform(0.05, 0.30, size=2) * ref_h).astype(int)
    m_left, m_right = (rng.uniform(0.05, 0.30, size=2) * ref_h).astype(int)
    w = right - left + m_left + m_right
    h = text_h + m_top + m_bottom

    # Slightly tinted light paper and dark ink, with enough contrast to be legible.
    bg = np.clip(rng.uniform(*p["paper"]) + rng.uniform(-20, 20, size=3), 130, 255)
    if p["ink"] is not None:
        fg = np.clip(bg.mean() - rng.uniform(*p["ink"]) + rng.uniform(-15, 15, size=3), 0, 255)
    else:
        fg = np.clip(rng.uniform(0, 90) + rng.uniform(-25, 25, size=3), 0, 120)
    canvas = Image.new("RGB", (w, h), tuple(int(c) for c in bg))
    draw = ImageDraw.Draw(canvas)
    draw.text((m_left - left, m_top - top), text, font=font, fill=tuple(int(c) for c in fg))

    angle = rng.uniform(-3.0, 3.0)
    canvas = canvas.rotate(angle, resample=Image.BICUBIC, expand=True,
                           fillcolor=tuple(int(c) for c in bg))

    # Uneven lighting: a linear brightness ramp in a random direction.
    arr = np.asarray(canvas).astype(np.float32)
    hh, ww = arr.shape[:2]
    theta = rng.uniform(0, 2 * math.pi)
    yy, xx = np.mgrid[0:hh, 0:ww].astype(np.float32)
    ramp = (math.cos(theta) * xx / max(ww, 1) + math.sin(theta) * yy / max(hh, 1))
    arr += (rng.uniform(-25, 25) * ramp)[..., None]
    canvas = Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8))

    desc = {"font": os.path.basename(path), "size": font_size, "angle": round(angle, 2),
            "text": text}
    return canvas, desc


def degrade(rng, img, p):
    """Blur, sensor noise and JPEG artefacts of a camera or scanner."""
    if rng.random() < p["blur_p"]:
        img = img.filter(ImageFilter.GaussianBlur(radius=rng.uniform(*p["blur"])))
    arr = np.asarray(img).astype(np.float32)
    arr += rng.normal(0.0, rng.uniform(*p["noise"]), size=arr.shape)
    img = Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8))
    if rng.random() < p["jpeg_p"]:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=int(rng.integers(*p["jpeg"])))
        buf.seek(0)
        img = Image.open(buf).convert("RGB")
    return img


def resize_bilinear_cv2(img, out_w, out_h):
    """cv2.resize(img, (out_w, out_h)) with INTER_LINEAR on a uint8 HxWxC array."""
    in_h, in_w = img.shape[:2]

    def taps(out_n, in_n):
        # Half-pixel centres; OpenCV clamps to the edge pixel instead of extrapolating.
        src = (np.arange(out_n, dtype=np.float64) + 0.5) * (in_n / out_n) - 0.5
        i0 = np.floor(src).astype(np.int64)
        frac = src - i0
        frac[i0 < 0] = 0.0
        i0[i0 < 0] = 0
        last = i0 >= in_n - 1
        frac[last] = 0.0
        i0[last] = in_n - 1
        i1 = np.minimum(i0 + 1, in_n - 1)
        return i0, i1, frac

    y0, y1, fy = taps(out_h, in_h)
    x0, x1, fx = taps(out_w, in_w)
    f = img.astype(np.float64)
    top = f[y0][:, x0] * (1 - fx)[None, :, None] + f[y0][:, x1] * fx[None, :, None]
    bottom = f[y1][:, x0] * (1 - fx)[None, :, None] + f[y1][:, x1] * fx[None, :, None]
    out = top * (1 - fy)[:, None, None] + bottom * fy[:, None, None]
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def preprocess(img_rgb, out_w):
    """PaddleOCR's classifier/recognizer input: float32 [1, 3, 48, out_w], BGR, in [-1, 1]."""
    c, out_h = 3, 48
    bgr = np.asarray(img_rgb)[:, :, ::-1]
    h, w = bgr.shape[:2]
    resized_w = min(out_w, int(math.ceil(out_h * w / float(h))))
    resized = resize_bilinear_cv2(bgr, resized_w, out_h).astype(np.float32)
    resized = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    padded = np.zeros((1, c, out_h, out_w), dtype=np.float32)
    padded[0, :, :, :resized_w] = resized
    return padded


def main(argv):
    args = parse_args(argv)
    fonts, cjk_fonts = find_fonts()
    if not fonts:
        sys.exit("render_text_lines.py: error: none of the fonts in FONT_CANDIDATES is "
                 "installed (Debian: apt-get install -y fonts-dejavu-core)")
    if args.require_cjk and not cjk_fonts:
        sys.exit("render_text_lines.py: error: --require-cjk but no Chinese font is installed "
                 "(Debian: apt-get install -y fonts-wqy-microhei fonts-arphic-uming)")

    task = TASKS[args.task]
    params = dict(DIFFICULTY[args.difficulty])
    if task["ratio"] is not None:
        params["ratio"] = (task["ratio"][0], min(task["ratio"][1], params["ratio"][1]))
    alphabet = load_dictionary(args.dict) if args.task == "rec" else None
    out_dir = os.path.join(args.out, args.split)
    inputs_dir = os.path.join(out_dir, "inputs")
    png_dir = os.path.join(out_dir, "png")
    os.makedirs(inputs_dir, exist_ok=True)
    os.makedirs(png_dir, exist_ok=True)
    # Remove what an earlier, larger run of this split left, so labels.txt lists every
    # input, and what the older flat layout (images and inputs in OUT/NAME) left.
    for folder in (out_dir, inputs_dir, png_dir):
        for name in os.listdir(folder):
            if re.fullmatch(r"\d{5}\.(npy|png)", name):
                os.remove(os.path.join(folder, name))

    # cls: exactly half upside down. Per-image generators seeded by (seed, index), so
    # an image does not change when --count does.
    labels = np.zeros(args.count, dtype=np.int64)
    if args.task == "cls":
        upside_down = np.random.default_rng([args.seed, 0x180]).permutation(args.count)
        labels[upside_down[: args.count // 2]] = 180

    lines, meta = [], ["file\tlabel\tfont\tsize\tangle\twidth\theight\ttext"]
    for i in range(args.count):
        rng = np.random.default_rng([args.seed, i])
        for _ in range(20):
            img, desc = render_line(rng, fonts, cjk_fonts, params)
            lo, hi = task["line_ratio"]
            if (lo <= img.width / img.height <= hi and
                    (alphabet is None or alphabet.issuperset(desc["text"]))):
                break
        else:
            sys.exit(f"render_text_lines.py: error: image {i}: no line with width/height "
                     f"in {lo:g}..{hi:.3g}"
                     f"{' and dictionary characters only' if alphabet else ''} after 20 tries")
        img = degrade(rng, img, params)
        if labels[i] == 180:
            img = img.rotate(180)
        name = f"{i:05d}"
        img.save(os.path.join(png_dir, name + ".png"))
        np.save(os.path.join(inputs_dir, name + ".npy"), preprocess(img, task["input_width"]))
        lines.append(f"{name}.npy\t{desc['text']}" if args.task == "rec"
                     else f"{name}.npy {labels[i]}")
        meta.append(f"{name}.npy\t{labels[i]}\t{desc['font']}\t{desc['size']}\t{desc['angle']}"
                    f"\t{img.width}\t{img.height}\t{desc['text']}")

    with open(os.path.join(out_dir, "labels.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(out_dir, "meta.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(meta) + "\n")
    used = sorted({m.split("\t")[2] for m in meta[1:]})
    content = (f"{sum(len(m.split(chr(9))[-1]) for m in meta[1:])} characters"
               if args.task == "rec" else f"{int((labels == 180).sum())} rotated 180")
    print(f"{out_dir}: {args.count} {args.task} images ({content}), {len(used)} fonts, "
          f"{args.difficulty}{'' if cjk_fonts else ', no CJK font: Latin only'}")


if __name__ == "__main__":
    main(sys.argv[1:])
