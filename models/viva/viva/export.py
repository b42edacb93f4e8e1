"""Export a trained ViVa checkpoint to an ONNX (opset 17) model package + manifest + parity reference vectors.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 -m viva.export \
      --checkpoint /tmp/viva-run/checkpoint.pt --out /tmp/viva-pkg [--name my-viva]

Writes <out>/{viva-model.json, encoder.onnx, denoiser.onnx, reference.json} and, if the checkpoint has a
baseline, <out>/baseline/{viva-model.json, baseline.onnx, reference.json} (kind "direct").
See models/viva/README.md for the manifest schema.
"""
from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import os

import numpy as np
import torch

from .model import (CAMERAS, FRAME_ORDER, NUM_COND, IDX_FUTURE, IDX_VALUE, LAMBDA_PROP, LAMBDA_VAL, NORM_EPS,
                    VivaConfig, ImageEncoder, DiT, DiscriminativeBaseline, build_sequence, inference_sigmas,
                    normalize_state, sample, readout, unpad_state, denormalize_state)
from .data import images_to_tensor

SCHEMA_VERSION = 1
OPSET = 17
PARITY_TOL = 1e-4


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def enc_tensor(x) -> dict:
    """Tensor -> {dtype, shape, data}: data = base64 of the little-endian row-major bytes."""
    a = x.detach().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)
    if a.dtype == np.float64:
        a = a.astype(np.float32)
    dt = {np.dtype("float32"): "float32", np.dtype("uint8"): "uint8", np.dtype("int64"): "int64",
          np.dtype("int32"): "int32"}[a.dtype]
    return {"dtype": dt, "shape": list(a.shape),
            "data": base64.b64encode(np.ascontiguousarray(a).astype(a.dtype.newbyteorder("<")).tobytes()).decode()}


def dec_tensor(d: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(d["data"]), dtype="<" + {"float32": "f4", "uint8": "u1", "int64": "i8",
                                                                   "int32": "i4"}[d["dtype"]]).reshape(d["shape"])


def load_checkpoint(path: str):
    ck = torch.load(path, map_location="cpu")
    info = ck["info"]
    cfg = VivaConfig.from_dict(info["config"])
    enc = ImageEncoder(cfg)
    enc.load_state_dict(ck["encoder"])
    dit = DiT(cfg)
    dit.load_state_dict(ck["dit"])
    bl = None
    if ck.get("baseline") is not None:
        bl = DiscriminativeBaseline(cfg)
        bl.load_state_dict(ck["baseline"])
    for m in (enc, dit, bl):
        if m is not None:
            m.eval()
    return info, cfg, enc, dit, bl


def _io(names_shapes):
    return [{"name": n, "shape": s, "dtype": d} for n, s, d in names_shapes]


def export_onnx(module, args, path, input_names, output_names):
    dyn = {n: {0: "batch"} for n in input_names + output_names}
    torch.onnx.export(module, args, path, opset_version=OPSET, input_names=input_names, output_names=output_names,
                      dynamic_axes=dyn, do_constant_folding=True)
    import onnx
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    return model


def reference_inputs(cfg: VivaConfig, smin: torch.Tensor, smax: torch.Tensor, num_tasks: int, n: int = 2,
                     seed: int = 1234):
    """Deterministic inputs: structured uint8 images, states (case 1 partly outside [min, max] to exercise the
    clamp), task ids and the initial noise of the two target frames."""
    rng = np.random.default_rng(seed)
    S = cfg.image_size
    yy, xx = np.mgrid[0:S, 0:S].astype(np.float32) / S
    imgs = np.zeros((n, len(CAMERAS), S, S, 3), np.float32)
    for i in range(n):
        for c in range(len(CAMERAS)):
            base = np.stack([xx * 200 + 30 * c, yy * 180 + 20 * i, (xx + yy) * 90 + 40], -1)
            imgs[i, c] = base + rng.normal(0, 12, base.shape)
    imgs = np.clip(imgs, 0, 255).astype(np.uint8)
    u = rng.uniform(0, 1, (n, cfg.state_dim)).astype(np.float32)
    state = smin.numpy() + u * (smax.numpy() - smin.numpy())
    if n > 1:
        state[1, 0] = smax[0].item() + 1.0
        state[1, 1] = smin[1].item() - 1.0
    task = np.arange(n, dtype=np.int64) % max(1, num_tasks)
    g = torch.Generator().manual_seed(seed)
    noise = torch.randn(n, 2, *cfg.latent_shape, generator=g)
    return imgs, torch.from_numpy(state.astype(np.float32)), torch.from_numpy(task), noise


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="viva-tiny")
    ap.add_argument("--baseline-name", default=None, help="name of the baseline package (default: NAME-baseline)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--readout", default="sample", help="the app's value readout written to scheduler.readout: "
                    "sample (one seeded noise draw, the paper's sampler; no field written), zero (start the target "
                    "frames from zeros: deterministic), mean:N (average N seeded draws), episode:N (N draws, each drawn "
                    "once per episode and shared by its frames) or antithetic:N (N even: N/2 seeded draws, each averaged "
                    "with its negation)")
    a = ap.parse_args(argv)
    torch.set_num_threads(a.threads)
    return export(a.checkpoint, a.out, a.name, a.baseline_name, parse_readout(a.readout))


def parse_readout(text: str):
    """--readout text -> the manifest's scheduler.readout object, or None for the default single draw."""
    if text == "sample":
        return None
    if text == "zero":
        return {"noise": "zero"}
    if text.startswith("mean:") and text[5:].isdigit() and 1 <= int(text[5:]) <= 64:
        return {"noise": "sample", "samples": int(text[5:])}
    if text.startswith("episode:") and text[8:].isdigit() and 1 <= int(text[8:]) <= 64:
        return {"noise": "episode", "samples": int(text[8:])}
    if text.startswith("antithetic:") and text[11:].isdigit() and 2 <= int(text[11:]) <= 64 and int(text[11:]) % 2 == 0:
        return {"noise": "antithetic", "samples": int(text[11:])}
    raise SystemExit(f"--readout must be sample, zero, mean:N, episode:N or antithetic:N (N from 1 to 64, even for "
                     f"antithetic), got {text!r}")


def export(checkpoint: str, out: str, name: str = "viva-tiny", baseline_name: str | None = None,
           value_readout: dict | None = None) -> dict:
    os.makedirs(out, exist_ok=True)
    info, cfg, enc, dit, bl = load_checkpoint(checkpoint)
    C, S = cfg.latent_channels, cfg.latent_size
    D, I = cfg.state_dim, cfg.image_size
    smin = torch.tensor(info["state_min"], dtype=torch.float32)
    smax = torch.tensor(info["state_max"], dtype=torch.float32)
    tasks = info["tasks"]

    # --- ONNX graphs -------------------------------------------------------------------------------------------
    with torch.no_grad():
        export_onnx(enc, (torch.zeros(2, 3, I, I),), os.path.join(out, "encoder.onnx"), ["image"], ["latent"])
        export_onnx(dit, (torch.zeros(2, 7, C, S, S), torch.ones(2), torch.zeros(2, dtype=torch.long)),
                    os.path.join(out, "denoiser.onnx"), ["latents", "sigma", "task_id"], ["velocity"])

    # --- reference vectors (computed in PyTorch, batch of 2 cases) ---------------------------------------------
    imgs_u8, state, task, noise = reference_inputs(cfg, smin, smax, len(tasks))
    n = imgs_u8.shape[0]
    cases = []
    with torch.no_grad():
        x = images_to_tensor(imgs_u8)  # [n, 3, 3, I, I]
        lat = enc(x.reshape(n * len(CAMERAS), 3, I, I)).reshape(n, len(CAMERAS), C, S, S)
        qn = normalize_state(state, smin, smax)
        prefix = build_sequence(lat, qn, cfg)
        seq0 = torch.cat([prefix[:, :NUM_COND], noise], 1)
        vel0 = dit(seq0, torch.ones(n), task)
        runs = {}
        for steps in (1, 4):
            fin = sample(dit, prefix, task, noise, steps, cfg.shift)
            prog, fut = readout(fin, D, smin, smax)
            runs[steps] = (fin, prog, fut)
    for i in range(n):
        c = {"inputs": {"images_u8": enc_tensor(imgs_u8[i]), "state": enc_tensor(state[i]),
                        "task_id": int(task[i]), "noise": enc_tensor(noise[i])},
             "image_input": enc_tensor(x[i]), "latents": enc_tensor(lat[i]), "state_norm": enc_tensor(qn[i]),
             "denoiser_step": {"sigma": 1.0, "input": enc_tensor(seq0[i]), "velocity": enc_tensor(vel0[i])}}
        for steps, (fin, prog, fut) in runs.items():
            c[f"steps_{steps}"] = {"sigmas": inference_sigmas(steps, cfg.shift),
                                   "target_frames": enc_tensor(fin[i, NUM_COND:]),
                                   "value_latent_mean": float(fin[i, IDX_VALUE].mean()),
                                   "progress": float(prog[i]), "future_state": enc_tensor(fut[i])}
        cases.append(c)
    ref = {"schema_version": SCHEMA_VERSION, "tolerance": PARITY_TOL,
           "encoding": "tensors are {dtype, shape, data}; data = base64 of little-endian row-major bytes",
           "notes": "images_u8 is [camera, H, W, 3] RGB in camera-slot order; image_input = images_u8/127.5-1 as "
                    "[camera, 3, H, W]; noise is the initial value of the two target frames [future_state, value]; "
                    "denoiser_step.input is the 7-frame sequence at sigma=1 (prefix + noise).",
           "cases": cases}
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(ref, f)

    files = {
        "encoder": {"path": "encoder.onnx",
                    "inputs": _io([("image", ["batch", 3, I, I], "float32")]),
                    "outputs": _io([("latent", ["batch", C, S, S], "float32")])},
        "denoiser": {"path": "denoiser.onnx",
                     "inputs": _io([("latents", ["batch", 7, C, S, S], "float32"), ("sigma", ["batch"], "float32"),
                                    ("task_id", ["batch"], "int64")]),
                     "outputs": _io([("velocity", ["batch", 7, C, S, S], "float32")])},
        "reference": {"path": "reference.json"},
    }
    for v in files.values():
        p = os.path.join(out, v["path"])
        v["sha256"], v["bytes"] = sha256(p), os.path.getsize(p)

    manifest = common_manifest(info, cfg, name, tasks)
    manifest.update({
        "kind": "viva-flow",
        "files": files,
        "latent": {"channels": C, "height": S, "width": S, "num_frames": 7, "frame_order": FRAME_ORDER,
                   "conditioning_frames": list(range(NUM_COND)), "target_frames": [IDX_FUTURE, IDX_VALUE],
                   "blank": "zeros",
                   "state_injection": "repeat_pad: frame.flat[j] = state_norm[j % D], j < C*H*W, reshape [C,H,W]",
                   "value_injection": "broadcast: every element = value latent",
                   "encoder_normalization": "built into encoder.onnx (per-channel (mu-mean)/std)"},
        "scheduler": {"type": "flow_match_euler", "shift": cfg.shift, "num_train_timesteps": cfg.num_train_timesteps,
                      "default_steps": cfg.default_steps,
                      "sigmas": "s_i = shift*u_i/(1+(shift-1)*u_i), u = linspace(1, 0, steps+1)[:-1]",
                      "step": "x <- x + v*(s_next - s) on the two target frames only; s_next after the last step "
                              "is 0; the prefix stays clean",
                      "init": "target frames <- standard normal noise",
                      "denoiser_sigma_input": "sigma as float32 [batch]; the timestep sigma*num_train_timesteps "
                                              "is computed inside the graph",
                      "example_sigmas": {str(k): inference_sigmas(k, cfg.shift) for k in (1, 2, 4)},
                      **({"readout": value_readout} if value_readout else {})},
        "future_state": {"readout": "unpad: flatten the future_state frame, average the consecutive length-D "
                                    "copies element-wise (last partial copy covers its first elements), then "
                                    "denormalize (x+1)/2*(max-min+1e-8)+min"},
    })
    with open(os.path.join(out, "viva-model.json"), "w") as f:
        json.dump(manifest, f, indent=1)

    if bl is not None:
        export_baseline(bl, info, cfg, baseline_name or name + "-baseline", tasks, os.path.join(out, "baseline"), imgs_u8, state, task)
    return manifest


def common_manifest(info, cfg, name, tasks):
    I, D = cfg.image_size, cfg.state_dim
    K, fps = info["K"], info.get("fps")
    m = info.get("metrics") or {}
    # The training videos' frame size before resizing (tensor cache meta source.frame_size), when known: the app
    # warns before scoring a dataset whose frames have another aspect ratio.
    frame = ((info.get("data") or {}).get("source") or {}).get("frame_size")
    source = {"source": {"width": int(frame["width"]), "height": int(frame["height"])}} if frame else {}
    return {
        "schema_version": SCHEMA_VERSION,
        "name": name,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "framework": {"exporter": "torch " + torch.__version__, "opset": OPSET},
        "cameras": [{"slot": i, "name": c, "frame_index": 2 + i} for i, c in enumerate(CAMERAS)],
        "image": {"height": I, "width": I, "channels": 3, "layout": "NCHW", "channel_order": "RGB",
                  "dtype": "float32", "normalization": {"scale": 1 / 127.5, "offset": -1.0, "formula": "x/127.5-1"},
                  "resize": "ffmpeg scale=WxH:flags=area (as the tensor cache was made), full frame, no crop, aspect not preserved",
                  "scale_filter": "area", **source},
        "state": {"dim": D, "names": info["state_names"], "min": info["state_min"], "max": info["state_max"],
                  "normalization": {"formula": "clamp(s, min, max); (s-min)/(max-min+eps)*2-1", "eps": NORM_EPS}},
        "K": K, "fps": fps, "horizon_s": (K / fps) if fps else None,
        "value": {"convention": "progress", "range": [0.0, 1.0], "higher_is_better": True,
                  "return": "G_t = (T-t)/T (success), (T-t)/T + 1 (failure), t = 1..T (frame i = t-1)",
                  "latent_target": "v = 1 - G in [-1, 1]",
                  "readout": "progress = clamp((mean(value frame) + 1)/2, 0, 1) = 1 - G/2",
                  "success_range": "(0.5, 1], ends at 1", "failure_range": "(0, 0.5], ends at 0.5",
                  "from_return": "progress = 1 - G/2", "to_return": "G = 2*(1 - progress)"},
        "tasks": {t: i for i, t in enumerate(tasks)},
        "task_input": "task_id int64 [batch]; a task not in the table should use 0",
        "training": {"data": info["data"], "params": info["params"],
                     "encoder_steps": info["encoder_train"]["steps"], "dit_steps": info["dit_train"]["steps"],
                     "batch": info["dit_train"]["batch"], "loss_weights": {"prop": LAMBDA_PROP, "val": LAMBDA_VAL},
                     "config": info["config"]},
        "metrics": {"status": "placeholder", "train_value_mae": (m.get("train") or {}).get("value_mae"),
                    "val_value_mae": (m.get("val") or {}).get("value_mae"), "ers": None, "ers_window": None},
        "parity": {"reference": "reference.json", "tolerance": PARITY_TOL},
    }


def export_baseline(bl, info, cfg, name, tasks, out, imgs_u8, state, task):
    os.makedirs(out, exist_ok=True)
    I, D = cfg.image_size, cfg.state_dim
    smin = torch.tensor(info["state_min"])
    smax = torch.tensor(info["state_max"])
    with torch.no_grad():
        export_onnx(bl, (torch.zeros(2, 3, 3, I, I), torch.zeros(2, D), torch.zeros(2, dtype=torch.long)),
                    os.path.join(out, "baseline.onnx"), ["images", "state", "task_id"], ["logits", "value"])
        x = images_to_tensor(imgs_u8)
        qn = normalize_state(state, smin, smax)
        logits, value = bl(x, qn, task)
    cases = [{"inputs": {"images_u8": enc_tensor(imgs_u8[i]), "state": enc_tensor(state[i]),
                         "task_id": int(task[i])},
              "images": enc_tensor(x[i]), "state_norm": enc_tensor(qn[i]), "logits": enc_tensor(logits[i]),
              "value": float(value[i])} for i in range(len(imgs_u8))]
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump({"schema_version": SCHEMA_VERSION, "tolerance": PARITY_TOL, "cases": cases}, f)
    files = {"model": {"path": "baseline.onnx",
                       "inputs": _io([("images", ["batch", 3, 3, I, I], "float32"), ("state", ["batch", D], "float32"),
                                      ("task_id", ["batch"], "int64")]),
                       "outputs": _io([("logits", ["batch", cfg.baseline_bins], "float32"),
                                       ("value", ["batch"], "float32")])},
             "reference": {"path": "reference.json"}}
    for v in files.values():
        p = os.path.join(out, v["path"])
        v["sha256"], v["bytes"] = sha256(p), os.path.getsize(p)
    m = common_manifest(info, cfg, name, tasks)
    bt = info.get("baseline_train") or {}
    # the baseline's conv trunk is trained end to end with it: no autoencoder phase, no DiT
    m["training"]["encoder_steps"] = None
    m["training"]["dit_steps"] = None
    m["training"]["baseline_steps"] = bt.get("steps")
    m["training"]["batch"] = bt.get("batch", m["training"]["batch"])
    m["training"]["params"] = {"baseline": (info.get("params") or {}).get("baseline")}
    m["kind"] = "direct"
    m["files"] = files
    m["direct"] = {"bins": cfg.baseline_bins, "bin_centers": "progress k/(bins-1), k = 0..bins-1",
                   "value_output": "value = sum softmax(logits) * centers (progress)",
                   "images_input": "[batch, camera slot, 3, H, W], normalized like image.normalization",
                   "state_input": "normalized state (state.normalization)"}
    with open(os.path.join(out, "viva-model.json"), "w") as f:
        json.dump(m, f, indent=1)
    return m


if __name__ == "__main__":
    main()
