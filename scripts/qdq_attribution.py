#!/usr/bin/env python3
"""Which quantization costs a PP-OCR recognizer its accuracy: removes the quantization
of chosen tensors from a `qrt-convert --emit-qdq` model and measures what each removal
gives back.

The QDQ model carries qrt's own scales, zero points and int8 weights. ONNX Runtime
with graph optimisations disabled (`bench/ort/run_model.mjs --optimization disabled`)
runs its QuantizeLinear/DequantizeLinear nodes as written around float operators: a
float simulation of exactly that quantization (it differs from qrt-run only where
qrt's integer operators round differently from float ones, e.g. layer norm and
softmax). Removing quantization from a tensor turns its QuantizeLinear and
DequantizeLinear nodes into Identity; a tensor that only renames another one
(Reshape, Transpose, Squeeze, Slice: qrt gives them their input's quantization) goes
with it, so each *group* below is one rounding in the int8 model. Removing weight
quantization replaces the int8 weights by float ones: the QDQ model holds the weights
after qrt's passes (BatchNormalization and per-channel affine folded in), so each
output channel of the original ONNX initializer of the same base name is rescaled by
the least-squares factor onto the dequantized int8 channel, which recovers the folded
float weights up to a relative error far below the int8 step.

  scripts/qdq_attribution.py REC_qdq.onnx --float-model models/ch_PP-OCRv4_rec_infer.onnx \
      --input TEST/inputs --labels TEST/labels.txt --float-dir FLOAT_OUT --work DIR \
      [--sweep stages|groups|both] [--show-groups]

`stages` runs: the full QDQ model, float weights, float activations, and float
activations in one stage at a time (input, four backbone quarters, each quarter's
activation-function inputs and outputs apart, the squeeze-excite blocks, the neck's
convolutions, SVTR's layer norms / linear layers / attention / residual adds / swish,
the head's logits and softmax). With --calib, each stage is also run with its
activations quantized per channel rather than removed: every channel gets its own
scale and zero point from its range on the calibration inputs (of the model with float
activations), kept inside the tensor's own range, which asks what a per-channel int8
activation format would recover. `groups` removes each group's
quantization alone (--stage STAGE: only that stage's groups). Each row: exact-string and character accuracy against the labels
(scripts/eval_ocr_rec.py's decoding), the change against the full QDQ model, and the
share of lines decoded as float decodes them (less noisy than accuracy).
"""
import argparse
import importlib.util
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = pathlib.Path(__file__).resolve().parent.parent
ALIAS_OPS = {"Reshape", "Transpose", "Squeeze", "Unsqueeze", "Slice", "Flatten"}


def load_eval_module():
    spec = importlib.util.spec_from_file_location("eval_ocr_rec", REPO / "scripts" / "eval_ocr_rec.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class QdqModel:
    """The QDQ graph's activation groups and weight dequantizations."""

    def __init__(self, model):
        self.model = model
        g = model.graph
        self.producer = {o: n for n in g.node for o in n.output}
        self.consumers = {}
        for n in g.node:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)
        self.quantize = [n for n in g.node if n.op_type == "QuantizeLinear"]
        # Activation name (the QuantizeLinear's output without "_q") -> its group's root.
        self.group_of = {}
        self.groups = {}  # root -> [activation names], in graph order
        for q in self.quantize:
            name = q.output[0][:-2]
            root = self.alias_root(q.input[0]) or name
            self.group_of[name] = root
            self.groups.setdefault(root, []).append(name)
        self.order = list(self.groups)
        inits = {i.name for i in g.initializer}
        self.weight_dq = [n for n in g.node if n.op_type == "DequantizeLinear" and n.input[0] in inits
                          and any(c.op_type in ("Conv", "ConvTranspose", "Gemm", "MatMul")
                                  and c.input[1] == n.output[0] for c in self.consumers.get(n.output[0], []))]

    def alias_root(self, source):
        """The group root of the activation `source` renames, if it is a renaming op's output
        of a quantized activation; else None."""
        node = self.producer.get(source)
        if node is None or node.op_type not in ALIAS_OPS:
            return None
        dq = self.producer.get(node.input[0])
        if dq is None or dq.op_type != "DequantizeLinear":
            return None
        return self.group_of.get(dq.input[0][:-2])

    def feeds_activation(self, root):
        """Whether a HardSwish or HardSigmoid reads group `root`'s dequantized value."""
        readers = [c for d in self.consumers.get(root + "_q", []) if d.op_type == "DequantizeLinear"
                   for c in self.consumers.get(d.output[0], [])]
        return any(c.op_type in ("HardSwish", "HardSigmoid") for c in readers)

    def root_op(self, root):
        """The operator that computes group `root` ("input" for a graph input)."""
        q = next(q for q in self.quantize if q.output[0] == root + "_q")
        node = self.producer.get(q.input[0])
        return node.op_type if node is not None else "input"


def float_weights(original, dq_node, inits):
    """The float weights the int8 ones of `dq_node` quantize, from the original model's
    initializer of the same base name, each output channel rescaled onto them."""
    q = numpy_helper.to_array(inits[dq_node.input[0]]).astype(np.float64)
    scale = numpy_helper.to_array(inits[dq_node.input[1]]).astype(np.float64)
    axis = next((a.i for a in dq_node.attribute if a.name == "axis"), 1)
    shape = [1] * q.ndim
    shape[axis] = -1
    deq = q * scale.reshape(shape) if scale.ndim else q * scale
    base = dq_node.input[0].removesuffix("_quantized")
    # Folding and depthwise equalization rename the weights they rescale per output
    # channel; the least-squares factor below undoes either.
    while base.endswith(("_folded", "_equalized")):
        base = base.removesuffix("_folded").removesuffix("_equalized")
    if base not in original:
        return None
    w = numpy_helper.to_array(original[base]).astype(np.float64)
    if w.shape != deq.shape:
        if w.ndim == 2 and w.T.shape == deq.shape:
            w = w.T
        else:
            return None
    w_c = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    d_c = np.moveaxis(deq, axis, 0).reshape(deq.shape[axis], -1)
    factor = (w_c * d_c).sum(1) / np.maximum((w_c * w_c).sum(1), 1e-30)
    fitted = np.moveaxis((w_c * factor[:, None]).reshape(np.moveaxis(w, axis, 0).shape), 0, axis)
    return fitted.astype(np.float32)


def constants(model):
    """Name -> TensorProto of every initializer and Constant node's value."""
    result = {i.name: i for i in model.graph.initializer}
    for n in model.graph.node:
        if n.op_type == "Constant":
            value = next((a.t for a in n.attribute if a.name == "value"), None)
            if value is not None:
                result[n.output[0]] = value
    return result


def to_identity(node):
    node.op_type = "Identity"
    del node.input[1:]
    del node.attribute[:]
    node.domain = ""


def variant(qdq, float_groups, float_weights_too, original_inits):
    """A copy of the QDQ model with the quantization of `float_groups` removed (and of
    every weight with `float_weights_too`)."""
    model = onnx.ModelProto()
    model.CopyFrom(qdq.model)
    g = model.graph
    names = {a for root in float_groups for a in qdq.groups[root]}
    q_outputs = {a + "_q" for a in names}
    for n in g.node:
        if n.op_type == "QuantizeLinear" and n.output[0] in q_outputs:
            to_identity(n)
        elif n.op_type == "DequantizeLinear" and n.input[0] in q_outputs:
            to_identity(n)
    missing = []
    if float_weights_too:
        inits = {i.name: i for i in g.initializer}
        dq_names = {n.name for n in qdq.weight_dq}
        for n in g.node:
            if n.name not in dq_names:
                continue
            w = float_weights(original_inits, n, inits)
            if w is None:
                missing.append(n.input[0])
                continue
            name = n.input[0] + "_float"
            g.initializer.append(numpy_helper.from_array(w, name))
            n.input[0] = name
            to_identity(n)
    return model, missing


def channel_ranges(qdq, roots, args, shapes):
    """Per-channel (min, max) over the calibration inputs of each rank-4 group in `roots`,
    from the model with float activations (its values are what the ranges must hold)."""
    roots = [r for r in roots if len(shapes.get(r, [])) == 4]
    if not roots:
        return {}
    model, _ = variant(qdq, list(qdq.order), False, {})
    g = model.graph
    parts = []
    for r in roots:
        for op in ("ReduceMin", "ReduceMax"):
            parts.append(f"{r}_{op}")
            g.node.append(helper.make_node(op, [r], [parts[-1]], axes=[0, 2, 3], keepdims=0))
    g.node.append(helper.make_node("Concat", parts, ["channel_ranges"], axis=0))
    del g.output[:]
    g.output.append(helper.make_tensor_value_info("channel_ranges", TensorProto.FLOAT, None))
    work = args.work / "channel_ranges"
    work.mkdir(parents=True, exist_ok=True)
    onnx.save(model, work / "model.onnx")
    ran = subprocess.run(["node", str(REPO / "bench" / "ort" / "run_model.mjs"), str(work / "model.onnx"),
                          "--optimization", "disabled", "--input", str(args.calib), "--output-dir",
                          str(work / "out")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if ran.returncode != 0:
        sys.exit(f"qdq_attribution.py: channel ranges: run_model.mjs failed:\n{ran.stderr}")
    values = np.stack([np.load(f).reshape(-1) for f in sorted((work / "out").glob("*.npy"))])
    shutil.rmtree(work)
    lo, hi = values.min(0), values.max(0)
    ranges, offset = {}, 0
    for r in roots:
        c = shapes[r][1]
        ranges[r] = (lo[offset:offset + c], hi[offset + c:offset + 2 * c])
        offset += 2 * c
    return ranges


def per_channel_variant(qdq, roots, ranges):
    """A copy of the QDQ model with each group of `roots` that `ranges` covers quantized
    per channel: asymmetric, each channel's range (with 0) clipped to the tensor's. The
    group's renamings lose their own quantization (in qrt they share the root's, so the
    root's rounding is the group's only one)."""
    model = onnx.ModelProto()
    model.CopyFrom(qdq.model)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    for root in roots:
        if root not in ranges:
            continue
        for name in qdq.groups[root]:
            nodes = [n for n in g.node if (n.op_type == "QuantizeLinear" and n.output[0] == name + "_q") or
                     (n.op_type == "DequantizeLinear" and n.input[0] == name + "_q")]
            if name != root:
                for n in nodes:
                    to_identity(n)
                continue
            scale = float(numpy_helper.to_array(inits[nodes[0].input[1]]))
            zero = numpy_helper.to_array(inits[nodes[0].input[2]])
            info = np.iinfo(zero.dtype)
            tensor_lo = scale * (info.min - float(zero))
            tensor_hi = scale * (info.max - float(zero))
            lo = np.clip(np.minimum(ranges[root][0], 0), tensor_lo, 0)
            hi = np.clip(np.maximum(ranges[root][1], 0), 0, tensor_hi)
            scales = np.maximum((hi - lo) / (info.max - info.min), 1e-12)
            zeros = np.clip(np.round(info.min - lo / scales), info.min, info.max).astype(zero.dtype)
            g.initializer.extend([numpy_helper.from_array(scales.astype(np.float32), name + "_channel_scale"),
                                  numpy_helper.from_array(zeros, name + "_channel_zero")])
            for n in nodes:
                n.input[1], n.input[2] = name + "_channel_scale", name + "_channel_zero"
                del n.attribute[:]
                n.attribute.append(helper.make_attribute("axis", 1))
    return model


def stages(qdq):
    """Stage name -> group roots, from the graph's structure (PP-OCRv4's recognizer)."""
    ops = {root: qdq.root_op(root) for root in qdq.order}
    order = qdq.order
    ln = [i for i, r in enumerate(order) if ops[r] == "LayerNormalization"]
    pool = next(i for i, r in enumerate(order) if ops[r] == "AveragePool")
    gemms = [i for i, r in enumerate(order) if ops[r] == "Gemm"]
    # Squeeze-excite: global pool, the ReLU and conv after it, the gate and its product.
    se = set()
    for i, r in enumerate(order):
        if ops[r] == "GlobalAveragePool":
            se.update(order[i:i + 5])
    result = {"input": [order[0]]}
    backbone = [r for r in order[1:pool + 1] if r not in se]
    quarter = (len(backbone) + 3) // 4
    for k in range(4):
        roots = backbone[k * quarter:(k + 1) * quarter]
        result[f"backbone {k + 1}/4"] = roots
        # The tensors HardSwish/HardSigmoid read (qrt's LOOKUP inputs) and the others.
        result[f"backbone {k + 1}/4 activation inputs"] = [r for r in roots if qdq.feeds_activation(r)]
        result[f"backbone {k + 1}/4 other tensors"] = [r for r in roots if not qdq.feeds_activation(r)]
    result["squeeze-excite"] = sorted(se, key=order.index)
    result["neck convs"] = order[pool + 1:ln[0]] + order[ln[-1] + 1:gemms[-1]]
    svtr = order[ln[0]:ln[-1] + 1]
    head = order[gemms[-1]:]
    attention_ops = {"MatMul", "Softmax", "Slice", "Mul"}
    result["SVTR layer norms"] = [r for r in svtr if ops[r] == "LayerNormalization"]
    result["SVTR linear"] = [r for r in svtr if ops[r] == "Gemm"]
    result["SVTR attention"] = [r for r in svtr if ops[r] in attention_ops and "swish" not in r]
    result["SVTR residual adds"] = [r for r in svtr if ops[r] == "Add"]
    result["SVTR swish"] = [r for r in svtr if "swish" in r]
    result["head logits"] = head[:1]
    result["head softmax"] = head[1:]
    return result


def run(model, name, args, evaluation, labels, float_texts):
    work = args.work / name.replace(" ", "_").replace("/", "-")
    work.mkdir(parents=True, exist_ok=True)
    path = work / "model.onnx"
    onnx.save(model, path)
    out = work / "out"
    # ORT warns about each Q/DQ scale left unused; only a failure's messages matter.
    ran = subprocess.run(["node", str(REPO / "bench" / "ort" / "run_model.mjs"), str(path),
                          "--optimization", "disabled", "--threads", str(args.threads), "--input",
                          str(args.input), "--output-dir", str(out)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if ran.returncode != 0:
        sys.exit(f"qdq_attribution.py: {name}: run_model.mjs failed:\n{ran.stderr}")
    exact, char, _ = evaluation.evaluate(labels, out, args.dict, False)
    texts = decode_all(evaluation, labels, out, args.dict)
    agree = 100.0 * sum(a == b for a, b in zip(texts, float_texts)) / len(labels)
    shutil.rmtree(work)
    return exact, char, agree


def decode_all(evaluation, labels, folder, dict_path):
    charset = None
    texts = []
    for name, _ in labels:
        probs = evaluation.load_output(folder / name)
        if charset is None:
            charset = evaluation.load_charset(dict_path, probs.shape[1])
        texts.append(evaluation.ctc_greedy_decode(probs, charset).replace(" ", ""))
    return texts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("qdq", type=pathlib.Path, help="qrt-convert --emit-qdq model")
    parser.add_argument("--float-model", type=pathlib.Path, required=True,
                        help="the original float ONNX model (for float weights)")
    parser.add_argument("--input", type=pathlib.Path, required=True, help="folder of input .npy files")
    parser.add_argument("--labels", type=pathlib.Path, required=True)
    parser.add_argument("--float-dir", type=pathlib.Path, required=True,
                        help="the float model's outputs for the same files")
    parser.add_argument("--work", type=pathlib.Path, required=True, help="scratch folder")
    parser.add_argument("--sweep", choices=["stages", "groups", "both"], default="stages")
    parser.add_argument("--stage", action="append", default=[],
                        help="with --sweep groups/both: only this stage's groups (repeatable)")
    parser.add_argument("--calib", type=pathlib.Path,
                        help="calibration inputs: also run each stage with per-channel activations")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--show-groups", action="store_true", help="list each stage's groups")
    parser.add_argument("--dict", type=pathlib.Path, default=REPO / "models" / "ppocr_keys_v1.txt")
    args = parser.parse_args()

    evaluation = load_eval_module()
    labels = evaluation.load_labels(args.labels)
    float_texts = decode_all(evaluation, labels, args.float_dir, args.dict)
    qdq = QdqModel(onnx.load(args.qdq))
    original = constants(onnx.load(args.float_model))
    stage_map = stages(qdq)
    if args.show_groups:
        for stage, roots in stage_map.items():
            print(f"{stage}: {', '.join(roots)}")

    experiments = [("full QDQ", [], False), ("float weights", [], True),
                   ("float activations", list(qdq.order), False)]
    if args.sweep in ("stages", "both"):
        experiments += [(f"float {stage}", roots, False) for stage, roots in stage_map.items()]
        if args.calib:
            inferred = onnx.shape_inference.infer_shapes(qdq.model).graph
            shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
                      for v in list(inferred.value_info) + list(inferred.input)}
            ranges = channel_ranges(qdq, list(qdq.order), args, shapes)
            experiments += [(f"per-channel {stage}", roots, ranges) for stage, roots in stage_map.items()
                            if any(r in ranges for r in roots)]
    if args.sweep in ("groups", "both"):
        unknown = [stage for stage in args.stage if stage not in stage_map]
        if unknown:
            sys.exit(f"qdq_attribution.py: unknown --stage {unknown}; stages: {list(stage_map)}")
        roots = ([r for stage in args.stage for r in stage_map[stage]] if args.stage else qdq.order)
        experiments += [(f"float {root} ({qdq.root_op(root)})", [root], False) for root in roots]
    base = None
    print(f"{'experiment':<52} {'exact':>7} {'char':>7} {'d exact':>8} {'d char':>7} {'=float':>7}")
    for name, roots, how in experiments:
        if isinstance(how, dict):  # per-channel ranges
            model = per_channel_variant(qdq, roots, how)
        else:
            model, missing = variant(qdq, roots, how, original)
            if missing:
                print(f"  (no float weights found for {', '.join(missing)}: left int8)")
        exact, char, agree = run(model, name, args, evaluation, labels, float_texts)
        if base is None:
            base = (exact, char)
        print(f"{name:<52} {exact:6.2f}% {char:6.2f}% {exact - base[0]:+7.2f} {char - base[1]:+7.2f} "
              f"{agree:6.2f}%", flush=True)


if __name__ == "__main__":
    sys.exit(main())
