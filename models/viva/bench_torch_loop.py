"""Benchmark: a PyTorch frame-by-frame ViVa inference loop over the same model as a bundled package.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 models/viva/bench_torch_loop.py \
      [--package models/viva-reference] [--frames 300] [--warmup 10] [--steps 1] [--threads 2] \
      [--weights auto|onnx|checkpoint|random] [--checkpoint RUN/checkpoint.pt] [--cache TENSOR_CACHE]

The loop is what a reference (PyTorch) implementation does per frame, one frame at a time (batch 1), under
torch.no_grad(): uint8 [3 cameras, H, W, 3] RGB + raw state -> x/127.5-1 (NCHW) and min/max state normalization ->
image encoder on the 3 views -> 7-frame sequence [blank, q_t, cam_high, cam_left_wrist, cam_right_wrist, noise,
noise] -> flow-matching Euler sampler (N steps, default 1) -> value (progress) and future-state readout.

Weights (``--weights auto`` tries them in this order):
  onnx-initializers  rebuild ImageEncoder + DiT from ``training.config`` of the package's viva-model.json and load
                     the parameters from the initializers of encoder.onnx / denoiser.onnx. torch.onnx.export keeps
                     most parameter names; Linear layers applied to 3-D inputs are exported as MatMul with an
                     anonymous, transposed weight (``onnx::MatMul_N``) and GroupNorm affines as anonymous
                     ``[C,1,1]`` Mul/Add constants (``onnx::Mul_N``/``onnx::Add_N``); those are mapped back through
                     the scope of the node that consumes them (node ``/net/net.2/n1/Mul`` -> ``net.2.n1.weight``).
                     The result is checked against the package's reference.json (latents, denoiser velocity,
                     1- and 4-step progress/future state within the package tolerance, 1e-4).
  checkpoint         ``--checkpoint PATH`` (train.py output, see export.load_checkpoint), also checked against
                     reference.json (``verified`` says whether it is the package's model).
  random-init        same architecture, random weights (speed does not depend on the values).

Images are deterministic synthetic uint8 frames (speed does not depend on their content) unless ``--cache`` names a
tensor cache with the package's image size. Prints one JSON object to stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from viva.model import (CAMERAS, NUM_COND, IDX_VALUE, VivaConfig, ImageEncoder, DiT, build_sequence,  # noqa: E402
                        normalize_state, sample, readout)
from viva.data import images_to_tensor  # noqa: E402

DEFAULT_PACKAGE = os.path.abspath(os.path.join(HERE, "..", "viva-reference"))


# ----------------------------------------------------------------------------------------------------------------
# Package manifest, model construction
# ----------------------------------------------------------------------------------------------------------------

def load_manifest(package: str) -> dict:
    with open(os.path.join(package, "viva-model.json")) as f:
        m = json.load(f)
    if m.get("kind") != "viva-flow":
        raise ValueError(f"{package}: kind {m.get('kind')!r}, expected 'viva-flow'")
    return m


def build_modules(manifest: dict):
    cfg = VivaConfig.from_dict(manifest["training"]["config"])
    enc, dit = ImageEncoder(cfg), DiT(cfg)
    enc.eval()
    dit.eval()
    smin = torch.tensor(manifest["state"]["min"], dtype=torch.float32)
    smax = torch.tensor(manifest["state"]["max"], dtype=torch.float32)
    return cfg, enc, dit, smin, smax


# ----------------------------------------------------------------------------------------------------------------
# ONNX initializers -> state_dict
# ----------------------------------------------------------------------------------------------------------------

def _scope_of(node) -> str:
    """Module path of an exported node from its scoped name: '/net/net.2/n1/Mul' -> 'net.2.n1',
    '/blocks.0/attn/qkv/MatMul' -> 'blocks.0.attn.qkv', '/t_mlp/t_mlp.0/Gemm' -> 't_mlp.0'."""
    name = node.name or (node.output[0].rsplit("_output_", 1)[0] if node.output else "")
    parts = [p for p in name.split("/") if p][:-1]  # drop the op name
    path: list = []
    for p in parts:
        if path and p.startswith(path[-1] + "."):
            path[-1] = p  # Sequential/ModuleList children are scoped as 'parent.idx'
        else:
            path.append(p)
    return ".".join(path)


def onnx_state_dict(onnx_path: str, module: torch.nn.Module):
    """Map the initializers of an exported graph onto ``module.state_dict()``.

    Returns (state_dict, report): state_dict has every key of the module's state_dict (raises if one cannot be
    mapped or a shape does not match); report lists {direct, renamed, unused} initializer names."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(onnx_path)
    want = module.state_dict()
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    consumers: dict = {}
    for node in model.graph.node:
        for k, name in enumerate(node.input):
            if name in inits:
                consumers.setdefault(name, []).append((node, k))

    got: dict = {}
    renamed, direct, unused = {}, [], []

    def put(key, arr, src):
        if key not in want:
            raise KeyError(f"{onnx_path}: initializer {src} maps to unknown parameter {key}")
        if tuple(arr.shape) != tuple(want[key].shape):
            raise ValueError(f"{onnx_path}: {src} -> {key}: shape {tuple(arr.shape)} != {tuple(want[key].shape)}")
        t = torch.from_numpy(np.array(arr, copy=True)).to(want[key].dtype)
        if key in got and not torch.equal(got[key], t):
            raise ValueError(f"{onnx_path}: conflicting values for {key}")
        got[key] = t

    for name, arr in inits.items():
        if name in want:
            put(name, arr, name)
            direct.append(name)
            continue
        mapped = False
        for node, k in consumers.get(name, []):
            scope = _scope_of(node)
            sub = module.get_submodule(scope) if scope else None
            if node.op_type == "MatMul" and k == 1 and isinstance(sub, torch.nn.Linear) and arr.ndim == 2:
                key = scope + ".weight"  # Linear y = x W^T + b exported as MatMul(x, W^T) + Add(b)
                put(key, arr.T, name)
            elif node.op_type in ("Mul", "Add") and isinstance(sub, torch.nn.GroupNorm):
                key = scope + (".weight" if node.op_type == "Mul" else ".bias")  # affine after InstanceNorm
                put(key, arr.reshape(-1), name)
            else:
                continue
            renamed[name] = key
            mapped = True
        if not mapped:
            unused.append(name)
    missing = sorted(set(want) - set(got))
    if missing:
        raise KeyError(f"{onnx_path}: no initializer for {missing}")
    return got, {"direct": direct, "renamed": renamed, "unused": unused}


def load_onnx_weights(package: str, enc: ImageEncoder, dit: DiT) -> dict:
    files = load_manifest(package)["files"]
    sd_enc, rep_enc = onnx_state_dict(os.path.join(package, files["encoder"]["path"]), enc)
    sd_dit, rep_dit = onnx_state_dict(os.path.join(package, files["denoiser"]["path"]), dit)
    enc.load_state_dict(sd_enc, strict=True)
    dit.load_state_dict(sd_dit, strict=True)
    return {"encoder": rep_enc, "denoiser": rep_dit}


def load_checkpoint_weights(path: str, cfg: VivaConfig, enc: ImageEncoder, dit: DiT):
    ck = torch.load(path, map_location="cpu")
    ck_cfg = VivaConfig.from_dict(ck["info"]["config"])
    if ck_cfg != cfg:
        raise ValueError(f"{path}: config {ck_cfg} differs from the package's {cfg}")
    enc.load_state_dict(ck["encoder"])
    dit.load_state_dict(ck["dit"])


# ----------------------------------------------------------------------------------------------------------------
# Verification against reference.json
# ----------------------------------------------------------------------------------------------------------------

def verify(package: str, cfg: VivaConfig, enc, dit, smin, smax) -> dict:
    """Recompute reference.json's cases with the torch modules; returns max abs errors and ok (all <= tolerance)."""
    from viva.export import dec_tensor

    with open(os.path.join(package, "reference.json")) as f:
        ref = json.load(f)
    tol = float(ref.get("tolerance", 1e-4))
    cases = ref["cases"]
    n = len(cases)
    C, S, D = cfg.latent_channels, cfg.latent_size, cfg.state_dim
    imgs = np.stack([dec_tensor(c["inputs"]["images_u8"]) for c in cases])
    state = torch.from_numpy(np.stack([dec_tensor(c["inputs"]["state"]) for c in cases]).copy())
    task = torch.tensor([c["inputs"]["task_id"] for c in cases], dtype=torch.long)
    noise = torch.from_numpy(np.stack([dec_tensor(c["inputs"]["noise"]) for c in cases]).copy())
    err = {}

    def diff(key, got, want):
        e = float(np.max(np.abs(np.asarray(got, np.float64) - np.asarray(want, np.float64))))
        err[key] = max(err.get(key, 0.0), e)

    with torch.no_grad():
        x = images_to_tensor(imgs)
        diff("image_input", x.numpy(), np.stack([dec_tensor(c["image_input"]) for c in cases]))
        lat = enc(x.reshape(n * len(CAMERAS), 3, cfg.image_size, cfg.image_size)).reshape(n, len(CAMERAS), C, S, S)
        diff("latents", lat.numpy(), np.stack([dec_tensor(c["latents"]) for c in cases]))
        qn = normalize_state(state, smin, smax)
        diff("state_norm", qn.numpy(), np.stack([dec_tensor(c["state_norm"]) for c in cases]))
        prefix = build_sequence(lat, qn, cfg)
        seq0 = torch.cat([prefix[:, :NUM_COND], noise], 1)
        vel = dit(seq0, torch.ones(n), task)
        diff("denoiser_velocity", vel.numpy(), np.stack([dec_tensor(c["denoiser_step"]["velocity"]) for c in cases]))
        for steps in (1, 4):
            k = f"steps_{steps}"
            if k not in cases[0]:
                continue
            fin = sample(dit, prefix, task, noise, steps, cfg.shift)
            prog, fut = readout(fin, D, smin, smax)
            diff(f"{k}.target_frames", fin[:, NUM_COND:].numpy(),
                 np.stack([dec_tensor(c[k]["target_frames"]) for c in cases]))
            diff(f"{k}.value_latent_mean", fin[:, IDX_VALUE].mean(dim=(-3, -2, -1)).numpy(),
                 [c[k]["value_latent_mean"] for c in cases])
            diff(f"{k}.progress", prog.numpy(), [c[k]["progress"] for c in cases])
            diff(f"{k}.future_state", fut.numpy(), np.stack([dec_tensor(c[k]["future_state"]) for c in cases]))
    return {"tolerance": tol, "cases": n, "max_abs_err": err, "ok": all(v <= tol for v in err.values())}


def load_model(package: str, weights: str = "auto", checkpoint: str | None = None):
    """Build the package's ImageEncoder + DiT and load weights. Returns (cfg, enc, dit, smin, smax, info) with
    info = {weights, verification, tried}."""
    manifest = load_manifest(package)
    cfg, enc, dit, smin, smax = build_modules(manifest)
    order = {"auto": ["onnx", "checkpoint", "random"], "onnx": ["onnx"], "checkpoint": ["checkpoint"],
             "random": ["random"]}[weights]
    tried = []
    for w in order:
        if w == "onnx":
            try:
                mapping = load_onnx_weights(package, enc, dit)
                ver = verify(package, cfg, enc, dit, smin, smax)
                if ver["ok"]:
                    n_ren = len(mapping["encoder"]["renamed"]) + len(mapping["denoiser"]["renamed"])
                    return cfg, enc, dit, smin, smax, {"weights": "onnx-initializers", "verification": ver,
                                                        "renamed_initializers": n_ren, "tried": tried}
                tried.append({"onnx": f"verification failed: {ver['max_abs_err']}"})
            except Exception as e:  # onnx missing, mapping incomplete, ...
                tried.append({"onnx": f"{type(e).__name__}: {e}"})
            cfg, enc, dit, smin, smax = build_modules(manifest)  # discard partially loaded weights
        elif w == "checkpoint":
            if not checkpoint or not os.path.exists(checkpoint):
                tried.append({"checkpoint": f"not available ({checkpoint or 'no --checkpoint'})"})
                continue
            try:
                load_checkpoint_weights(checkpoint, cfg, enc, dit)
                ver = verify(package, cfg, enc, dit, smin, smax)
                return cfg, enc, dit, smin, smax, {"weights": "checkpoint", "checkpoint": checkpoint,
                                                    "verification": ver, "tried": tried}
            except Exception as e:
                tried.append({"checkpoint": f"{type(e).__name__}: {e}"})
                cfg, enc, dit, smin, smax = build_modules(manifest)
        else:
            torch.manual_seed(0)
            cfg, enc, dit, smin, smax = build_modules(manifest)
            return cfg, enc, dit, smin, smax, {"weights": "random-init", "verification": None, "tried": tried}
    raise RuntimeError(f"no weights could be loaded: {tried}")


# ----------------------------------------------------------------------------------------------------------------
# Inputs
# ----------------------------------------------------------------------------------------------------------------

def synthetic_frames(n: int, size: int, smin: np.ndarray, smax: np.ndarray, seed: int = 0):
    """Deterministic uint8 [n, 3 cameras, size, size, 3] frames (moving gradients + fixed noise) and raw states
    [n, D] that sweep through [min, max]."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    grain = rng.normal(0, 10, (len(CAMERAS), size, size, 3)).astype(np.float32)
    imgs = np.empty((n, len(CAMERAS), size, size, 3), np.uint8)
    for i in range(n):
        ph = 2 * np.pi * i / max(n, 1)
        for c in range(len(CAMERAS)):
            base = np.stack([xx * 200 + 40 * np.sin(ph + c), yy * 180 + 40 * np.cos(ph), (xx + yy) * 90 + 30 * c], -1)
            imgs[i, c] = np.clip(base + grain[c], 0, 255).astype(np.uint8)
    t = (np.sin(np.linspace(0, 4 * np.pi, n))[:, None] + 1) / 2
    state = (smin[None] + t * (smax - smin)[None]).astype(np.float32)
    return imgs, state


def cache_frames(root: str, n: int, size: int):
    from viva.data import read_cache
    c = read_cache(root)
    H, W = c.meta["size"]
    if (H, W) != (size, size):
        raise ValueError(f"{root}: cache size {H}x{W}, model expects {size}x{size}")
    idx = np.arange(n) % c.N
    imgs = np.stack([np.asarray(c.frames[cam][idx]) for cam in CAMERAS], 1)
    return imgs, np.ascontiguousarray(c.state[idx], dtype=np.float32), c.task_id[idx]


# ----------------------------------------------------------------------------------------------------------------
# The loop
# ----------------------------------------------------------------------------------------------------------------

def infer_frame(cfg, enc, dit, smin, smax, imgs_u8, state, task_id, noise, steps):
    """One frame, batch 1: uint8 [3, H, W, 3] + raw state [D] -> (progress, future state [D])."""
    I, C, S = cfg.image_size, cfg.latent_channels, cfg.latent_size
    with torch.no_grad():
        x = images_to_tensor(imgs_u8)  # [3 cams, 3, I, I]
        q = normalize_state(torch.from_numpy(state)[None], smin, smax)
        lat = enc(x).reshape(1, len(CAMERAS), C, S, S)
        prefix = build_sequence(lat, q, cfg)
        fin = sample(dit, prefix, task_id, noise, steps, cfg.shift)
        prog, fut = readout(fin, cfg.state_dim, smin, smax)
    return float(prog[0]), fut[0].numpy()


def video_frames(files, width, height):
    """Frames of each camera as a reference implementation reads them: full-resolution RGB from the video, one frame
    at a time (here from an ffmpeg pipe per camera, as PyAV/decord would decode them)."""
    import subprocess
    procs = [subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-i", f, "-f", "rawvideo", "-pix_fmt", "rgb24",
                               "pipe:1"], stdout=subprocess.PIPE) for f in files]
    size = width * height * 3
    try:
        while True:
            frames = []
            for p in procs:
                buf = p.stdout.read(size)
                if len(buf) < size:
                    return
                frames.append(np.frombuffer(buf, np.uint8).reshape(height, width, 3))
            yield frames
    finally:
        for p in procs:
            p.kill()
            p.wait()


def run_videos(package, files, width, height, steps=1, threads=2, weights="auto", checkpoint=None, seed=0):
    """End to end, frame by frame: decode each camera's frame, resize in torch (area, like the app's ffmpeg scale),
    normalize, encode, sample, read out. Timed from the first decoded frame to the last value."""
    import torch.nn.functional as F
    torch.set_num_threads(threads)
    cfg, enc, dit, smin, smax, info = load_model(package, weights, checkpoint)
    _, states = synthetic_frames(1, cfg.image_size, smin.numpy(), smax.numpy(), seed)
    g = torch.Generator().manual_seed(seed)
    task = torch.tensor([0], dtype=torch.long)
    S = cfg.image_size
    n = 0
    t0 = time.perf_counter()
    for frames in video_frames(files, width, height):
        with torch.no_grad():
            x = torch.stack([torch.from_numpy(f.copy()).permute(2, 0, 1) for f in frames]).float()
            x = F.interpolate(x, size=(S, S), mode="area").round().clamp(0, 255)
            u8 = x.permute(0, 2, 3, 1).to(torch.uint8).numpy()
        noise = torch.randn(1, 2, *cfg.latent_shape, generator=g)
        infer_frame(cfg, enc, dit, smin, smax, u8, states[0], task, noise, steps)
        n += 1
    seconds = time.perf_counter() - t0
    return {
        "mode": "videos",
        "frames": n,
        "seconds": round(seconds, 4),
        "framesPerSecond": round(n / seconds, 2) if seconds > 0 else 0,
        "steps": steps,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "weights": info["weights"],
        "note": (f"PyTorch frame-by-frame loop over {len(files)} videos of {width}x{height}: decode one frame per "
                 f"camera at full resolution, resize to {S}x{S} with F.interpolate(area), then the same per-frame "
                 f"inference as the model-only loop; batch 1, torch.no_grad()."),
    }


def run(package=DEFAULT_PACKAGE, frames=300, warmup=10, steps=1, threads=2, weights="auto", checkpoint=None,
        cache=None, seed=0):
    torch.set_num_threads(threads)
    cfg, enc, dit, smin, smax, info = load_model(package, weights, checkpoint)
    total = warmup + frames
    if cache:
        imgs, states, tasks = cache_frames(cache, total, cfg.image_size)
        source = f"tensor cache {cache}"
    else:
        imgs, states = synthetic_frames(total, cfg.image_size, smin.numpy(), smax.numpy(), seed)
        tasks = np.zeros(total, np.int64)
        source = "synthetic deterministic uint8 frames"
    g = torch.Generator().manual_seed(seed)
    noises = [torch.randn(1, 2, *cfg.latent_shape, generator=g) for _ in range(total)]  # drawn outside the timing
    task_t = [torch.tensor([int(t)], dtype=torch.long) for t in tasks]
    progress = []
    for i in range(warmup):
        infer_frame(cfg, enc, dit, smin, smax, imgs[i], states[i], task_t[i], noises[i], steps)
    t0 = time.perf_counter()
    for i in range(warmup, total):
        p, _ = infer_frame(cfg, enc, dit, smin, smax, imgs[i], states[i], task_t[i], noises[i], steps)
        progress.append(p)
    seconds = time.perf_counter() - t0
    ver = info.get("verification")
    note = (f"PyTorch frame-by-frame loop, batch 1, torch.no_grad(): uint8 3x{cfg.image_size}x{cfg.image_size} "
            f"views + state -> normalize -> ImageEncoder (3 views) -> 7-frame sequence -> {steps}-step "
            f"flow-matching Euler sampler -> value + future-state readout; {frames} timed frames after {warmup} "
            f"warm-up; inputs: {source}; noise pre-drawn. Weights: {info['weights']}")
    if ver is not None:
        note += (f" ({'verified' if ver['ok'] else 'NOT matching'} against {os.path.basename(package)}/reference.json"
                 f", max abs err {max(ver['max_abs_err'].values()):.2e}, tol {ver['tolerance']:g})")
    else:
        note += " (architecture only; speed does not depend on weight values)"
    return {
        "frames": frames,
        "seconds": round(seconds, 4),
        "framesPerSecond": round(frames / seconds, 2),
        "msPerFrame": round(1000 * seconds / frames, 3),
        "steps": steps,
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "weights": info["weights"],
        "verified": bool(ver and ver["ok"]),
        "verification": ver,
        "weightsTried": info["tried"],
        "package": os.path.relpath(package, os.getcwd()) if package.startswith(os.getcwd()) else package,
        "imageSize": cfg.image_size,
        "latent": list(cfg.latent_shape),
        "warmup": warmup,
        "meanProgress": round(float(np.mean(progress)), 6) if progress else None,
        "note": note,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package", default=DEFAULT_PACKAGE)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--steps", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--weights", choices=["auto", "onnx", "checkpoint", "random"], default="auto")
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--cache", default=None, help="tensor cache to read frames/states from (model image size)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--videos", default=None, help="comma-separated camera videos (slot order): end-to-end mode")
    ap.add_argument("--video-size", default=None, help="WxH of the videos (end-to-end mode)")
    a = ap.parse_args(argv)
    if a.videos:
        w, h = (int(v) for v in a.video_size.split("x"))
        out = run_videos(os.path.abspath(a.package), a.videos.split(","), w, h, a.steps, a.threads, a.weights,
                         a.checkpoint, a.seed)
        json.dump(out, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    out = run(os.path.abspath(a.package), a.frames, a.warmup, a.steps, a.threads, a.weights, a.checkpoint, a.cache,
              a.seed)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
