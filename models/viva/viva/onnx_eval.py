"""A tiny numpy interpreter for the ONNX op subset our exported graphs use.

onnxruntime is not available to Python here, so this lets the tests run the *exported* graphs and compare them with
PyTorch (an independent check that the export is numerically right, not only structurally valid). Unknown ops raise.
"""
from __future__ import annotations

from typing import Dict

import numpy as np
import onnx
from onnx import numpy_helper

try:
    from onnx.helper import tensor_dtype_to_np_dtype as _np_dtype
except ImportError:  # onnx < 1.13
    from onnx.mapping import TENSOR_TYPE_TO_NP_TYPE

    def _np_dtype(t):
        return TENSOR_TYPE_TO_NP_TYPE[t]


def _attrs(node) -> dict:
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, a):
    strides = a.get("strides", [1, 1])
    pads = a.get("pads", [0, 0, 0, 0])
    if a.get("group", 1) != 1 or any(d != 1 for d in a.get("dilations", [1, 1])):
        raise NotImplementedError("grouped/dilated conv")
    x = np.pad(x, ((0, 0), (0, 0), (pads[0], pads[2]), (pads[1], pads[3])))
    kh, kw = w.shape[2], w.shape[3]
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::strides[0], ::strides[1]]
    y = np.einsum("bchwij,ocij->bohw", win, w, optimize=True).astype(np.float32)
    if b is not None:
        y = y + b[None, :, None, None]
    return y


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def run(model_or_path, feeds: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    m = onnx.load(model_or_path) if isinstance(model_or_path, str) else model_or_path
    env: Dict[str, np.ndarray] = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    env.update(feeds)
    for n in m.graph.node:
        a = _attrs(n)
        x = [env[i] if i else None for i in n.input]
        op = n.op_type
        if op == "Constant":
            y = numpy_helper.to_array(a["value"])
        elif op in ("Add", "Sub", "Mul", "Div", "Pow"):
            f = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide, "Pow": np.power}[op]
            y = f(x[0], x[1])
            if x[0].dtype.kind == "i" and op == "Div":
                y = (x[0] // x[1]).astype(x[0].dtype)
            y = y.astype(np.result_type(x[0].dtype, x[1].dtype))
        elif op in ("Sigmoid", "Tanh", "Cos", "Sin", "Exp", "Sqrt", "Neg", "Erf"):
            if op == "Sigmoid":
                y = 1.0 / (1.0 + np.exp(-x[0]))
            elif op == "Neg":
                y = -x[0]
            elif op == "Erf":
                import math
                y = np.vectorize(math.erf)(x[0])
            else:
                y = getattr(np, op.lower())(x[0])
            y = y.astype(x[0].dtype)
        elif op == "Shape":
            y = np.array(x[0].shape, dtype=np.int64)[a.get("start", 0):a.get("end", None)]
        elif op == "Slice":
            data, starts, ends = x[0], x[1], x[2]
            axes = x[3] if len(x) > 3 and x[3] is not None else np.arange(len(starts))
            steps = x[4] if len(x) > 4 and x[4] is not None else np.ones(len(starts), np.int64)
            sl = [slice(None)] * data.ndim
            for s, e, ax, st in zip(starts, ends, axes, steps):
                sl[int(ax)] = slice(int(s), int(max(min(e, 2 ** 62), -2 ** 62)), int(st))
            y = data[tuple(sl)]
        elif op == "Reshape":
            shape = [int(d) for d in x[1]]
            shape = [x[0].shape[i] if d == 0 else d for i, d in enumerate(shape)]
            y = x[0].reshape(shape)
        elif op == "Transpose":
            y = np.transpose(x[0], a.get("perm"))
        elif op == "Unsqueeze":
            axes = sorted(int(v) % (x[0].ndim + len(x[1])) for v in x[1])
            y = x[0]
            for ax in axes:
                y = np.expand_dims(y, ax)
        elif op == "Concat":
            y = np.concatenate(x, axis=a["axis"])
        elif op == "Gather":
            y = np.take(x[0], x[1].astype(np.int64), axis=a.get("axis", 0))
        elif op == "Cast":
            y = x[0].astype(_np_dtype(a["to"]))
        elif op == "MatMul":
            y = np.matmul(x[0], x[1]).astype(np.float32)
        elif op == "Gemm":
            A = x[0].T if a.get("transA", 0) else x[0]
            B = x[1].T if a.get("transB", 0) else x[1]
            y = a.get("alpha", 1.0) * (A @ B)
            if len(x) > 2 and x[2] is not None:
                y = y + a.get("beta", 1.0) * x[2]
            y = y.astype(np.float32)
        elif op == "Conv":
            y = _conv(x[0], x[1], x[2] if len(x) > 2 else None, a)
        elif op == "InstanceNormalization":
            axes = tuple(range(2, x[0].ndim))
            mu = x[0].mean(axis=axes, keepdims=True)
            var = ((x[0] - mu) ** 2).mean(axis=axes, keepdims=True)
            sh = (1, -1) + (1,) * (x[0].ndim - 2)
            y = ((x[0] - mu) / np.sqrt(var + a.get("epsilon", 1e-5)) * x[1].reshape(sh) + x[2].reshape(sh))
            y = y.astype(np.float32)
        elif op == "LayerNormalization":
            ax = a.get("axis", -1) % x[0].ndim
            axes = tuple(range(ax, x[0].ndim))
            mu = x[0].mean(axis=axes, keepdims=True)
            var = ((x[0] - mu) ** 2).mean(axis=axes, keepdims=True)
            y = (x[0] - mu) / np.sqrt(var + a.get("epsilon", 1e-5)) * x[1]
            if len(x) > 2 and x[2] is not None:
                y = y + x[2]
            y = y.astype(np.float32)
        elif op == "Softmax":
            y = _softmax(x[0], a.get("axis", -1)).astype(np.float32)
        elif op == "ReduceSum":
            axes = tuple(int(v) for v in x[1]) if len(x) > 1 and x[1] is not None else None
            y = x[0].sum(axis=axes, keepdims=bool(a.get("keepdims", 1))).astype(x[0].dtype)
        else:
            raise NotImplementedError(f"onnx_eval: op {op}")
        env[n.output[0]] = np.asarray(y)
    return {o.name: env[o.name] for o in m.graph.output}
