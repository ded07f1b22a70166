#!/usr/bin/env python3
"""Runs an ONNX model on .npy inputs with an independent NumPy reference, for
cross-checking qrt's C++ float reference executor (converter/reference).

Why not onnx.reference.ReferenceEvaluator: it first shipped in onnx 1.13, and Debian 12
has python3-onnx 1.12.0; pip and onnxruntime are not reachable from CI. So this script
implements, straight from the ONNX operator specs and in float64 NumPy, the operators
that PaddleOCR's models exported by paddle2onnx use (opset 9..13 forms): Conv,
BatchNormalization, Relu, HardSigmoid, Clip (attribute and input forms), Add, Sub, Mul,
Div, GlobalAveragePool, MaxPool, AveragePool, Shape, Cast, Slice (attribute and input
forms), Concat, Reshape, Flatten, Transpose, MatMul, Gemm, Softmax (opset < 13 and >= 13
semantics), Sigmoid, Constant. Anything else is an error naming the node. It shares no
code with the C++ executor, which is the point: agreement within 1e-4 means both read
the spec the same way. It is slow (a few seconds per image for the classifier), which
is fine for a handful of inputs.

Usage: onnx_reference_outputs.py [--tensor NAME ...] MODEL.onnx OUT_DIR IN1.npy [IN2.npy ...]
Writes OUT_DIR/<basename of INi> holding the model's first output (float32) for each,
and OUT_DIR/<stem of INi>.<NAME>.npy for each --tensor (an intermediate value, e.g. the
classifier's logits before Softmax, whose saturated probabilities say little).
"""

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper

ONNX_TO_NUMPY = {1: np.float32, 6: np.int32, 7: np.int64, 9: np.bool_, 3: np.int8,
                 2: np.uint8, 11: np.float64}


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def conv2d(x, w, b, strides, pads, dilations, group):
    n, c, h, wd = x.shape
    m, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    oh = (x.shape[2] - dilations[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (x.shape[3] - dilations[1] * (kw - 1) - 1) // strides[1] + 1
    out = np.zeros((n, m, oh, ow))
    mg = m // group
    for g in range(group):
        xg = x[:, g * cg:(g + 1) * cg]
        wg = w[g * mg:(g + 1) * mg]
        for i in range(kh):
            for j in range(kw):
                patch = xg[:, :, i * dilations[0]:i * dilations[0] + strides[0] * (oh - 1) + 1:strides[0],
                           j * dilations[1]:j * dilations[1] + strides[1] * (ow - 1) + 1:strides[1]]
                out[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, wg[:, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def pool2d(x, kernel, strides, pads, mode):
    fill = -np.inf if mode == "max" else 0.0
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])),
               constant_values=fill)
    oh = (x.shape[2] - kernel[0]) // strides[0] + 1
    ow = (x.shape[3] - kernel[1]) // strides[1] + 1
    windows = [x[:, :, i:i + strides[0] * (oh - 1) + 1:strides[0],
                 j:j + strides[1] * (ow - 1) + 1:strides[1]]
               for i in range(kernel[0]) for j in range(kernel[1])]
    stacked = np.stack(windows)
    return stacked.max(axis=0) if mode == "max" else stacked.mean(axis=0)


def auto_pads(a, x, kernel):
    if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise NotImplementedError("auto_pad")
    return list(a.get("pads", [0] * 2 * len(kernel)))


def softmax(x, axis, opset):
    if opset < 13:
        # Opset 1..12: coerce to 2-D at `axis` and normalise each row.
        shape = x.shape
        flat = x.reshape(int(np.prod(shape[:axis])), -1)
        e = np.exp(flat - flat.max(axis=1, keepdims=True))
        return (e / e.sum(axis=1, keepdims=True)).reshape(shape)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def slice_op(x, starts, ends, axes, steps):
    idx = [slice(None)] * x.ndim
    for s, e, ax, st in zip(starts, ends, axes, steps):
        idx[int(ax)] = slice(int(s), int(e), int(st))
    return x[tuple(idx)]


def run_node(node, v, opset):
    a = attrs(node)
    i = [v[name] if name else None for name in node.input]
    op = node.op_type
    if op == "Constant":
        return numpy_helper.to_array(a["value"])
    if op == "Conv":
        k = i[1].shape[2:]
        return conv2d(i[0], i[1], i[2] if len(i) > 2 else None, a.get("strides", [1, 1]),
                      auto_pads(a, i[0], k), a.get("dilations", [1, 1]), a.get("group", 1))
    if op == "BatchNormalization":
        x, scale, bias, mean, var = i[:5]
        r = lambda t: t.reshape(1, -1, *([1] * (x.ndim - 2)))  # noqa: E731
        return (x - r(mean)) / np.sqrt(r(var) + a.get("epsilon", 1e-5)) * r(scale) + r(bias)
    if op == "Relu":
        return np.maximum(i[0], 0)
    if op == "Sigmoid":
        return 1 / (1 + np.exp(-i[0]))
    if op == "HardSigmoid":
        return np.clip(a.get("alpha", 0.2) * i[0] + a.get("beta", 0.5), 0, 1)
    if op == "Clip":
        lo = a.get("min", -np.inf) if len(i) < 2 or i[1] is None else i[1]
        hi = a.get("max", np.inf) if len(i) < 3 or i[2] is None else i[2]
        return np.clip(i[0], lo, hi)
    if op in ("Add", "Sub", "Mul", "Div"):
        x, y = i
        if op == "Div" and np.issubdtype(x.dtype, np.integer):
            return (x // y).astype(x.dtype)
        return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}[op](x, y)
    if op == "GlobalAveragePool":
        return i[0].mean(axis=tuple(range(2, i[0].ndim)), keepdims=True)
    if op in ("MaxPool", "AveragePool"):
        k = a["kernel_shape"]
        if a.get("ceil_mode", 0) or (op == "AveragePool" and a.get("count_include_pad", 0) == 0
                                     and any(auto_pads(a, i[0], k))):
            raise NotImplementedError(f"{op} with ceil_mode or excluded padding")
        return pool2d(i[0], k, a.get("strides", [1] * len(k)), auto_pads(a, i[0], k),
                      "max" if op == "MaxPool" else "avg")
    if op == "Shape":
        return np.array(i[0].shape, dtype=np.int64)
    if op == "Cast":
        return i[0].astype(ONNX_TO_NUMPY[a["to"]])
    if op == "Slice":
        if "starts" in a:  # opset < 10: attributes
            axes = a.get("axes", list(range(len(a["starts"]))))
            return slice_op(i[0], a["starts"], a["ends"], axes, [1] * len(axes))
        axes = i[3] if len(i) > 3 and i[3] is not None else range(len(i[1]))
        steps = i[4] if len(i) > 4 and i[4] is not None else [1] * len(i[1])
        return slice_op(i[0], i[1], i[2], axes, steps)
    if op == "Concat":
        return np.concatenate(i, axis=a["axis"])
    if op == "Reshape":
        shape = [int(d) for d in i[1]]
        shape = [i[0].shape[k] if d == 0 and not a.get("allowzero", 0) else d
                 for k, d in enumerate(shape)]
        return i[0].reshape(shape)
    if op == "Flatten":
        ax = a.get("axis", 1)
        return i[0].reshape(int(np.prod(i[0].shape[:ax])), -1)
    if op == "Transpose":
        return i[0].transpose(a.get("perm", None))
    if op == "MatMul":
        return np.matmul(i[0], i[1])
    if op == "Gemm":
        x = i[0].T if a.get("transA", 0) else i[0]
        w = i[1].T if a.get("transB", 0) else i[1]
        y = a.get("alpha", 1.0) * (x @ w)
        return y + a.get("beta", 1.0) * i[2] if len(i) > 2 and i[2] is not None else y
    if op == "Softmax":
        return softmax(i[0], a.get("axis", 1 if opset < 13 else -1), opset)
    raise NotImplementedError(f"operator {op} (node {node.name or node.output[0]})")


def run_model(model, inputs, keep=()):
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    v = {}
    for t in model.graph.initializer:
        arr = numpy_helper.to_array(t)
        v[t.name] = arr.astype(np.float64) if arr.dtype == np.float32 else arr
    v.update(inputs)
    for node in model.graph.node:
        try:
            out = run_node(node, v, opset)
        except NotImplementedError as e:
            sys.exit(f"onnx_reference_outputs.py: error: unsupported: {e}")
        if out.dtype == np.float32:
            out = out.astype(np.float64)  # compute in float64: a reference, not a model
        v[node.output[0]] = out
    missing = [name for name in keep if name not in v]
    if missing:
        sys.exit(f"onnx_reference_outputs.py: error: no tensor named {', '.join(missing)}")
    return [v[o.name] for o in model.graph.output] + [v[name] for name in keep]


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tensor", action="append", default=[],
                        help="also write this intermediate tensor (repeatable)")
    parser.add_argument("model", help=".onnx file")
    parser.add_argument("out_dir", help="where the outputs go (created)")
    parser.add_argument("inputs", nargs="+", help=".npy inputs for the model's single input")
    args = parser.parse_args(argv)
    if not os.path.isfile(args.model):
        parser.error(f"no such model: {args.model}")
    for path in args.inputs:
        if not os.path.isfile(path):
            parser.error(f"no such input: {path}")

    model = onnx.load(args.model)
    initializers = {t.name for t in model.graph.initializer}
    real_inputs = [x.name for x in model.graph.input if x.name not in initializers]
    if len(real_inputs) != 1:
        parser.error(f"the model has {len(real_inputs)} inputs; this script handles one")
    os.makedirs(args.out_dir, exist_ok=True)
    for path in args.inputs:
        x = np.load(path)
        if x.dtype != np.float32:
            parser.error(f"{path}: dtype {x.dtype}, expected float32")
        values = run_model(model, {real_inputs[0]: x.astype(np.float64)}, args.tensor)
        out = values[0]
        dest = os.path.join(args.out_dir, os.path.basename(path))
        np.save(dest, out.astype(np.float32))
        stem = os.path.splitext(os.path.basename(path))[0]
        for name, value in zip(args.tensor, values[len(model.graph.output):]):
            np.save(os.path.join(args.out_dir, f"{stem}.{name}.npy"), value.astype(np.float32))
        print(f"{dest}: {np.array2string(out.astype(np.float32).ravel()[:8], precision=6)}")


if __name__ == "__main__":
    main(sys.argv[1:])
