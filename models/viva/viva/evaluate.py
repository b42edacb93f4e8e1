"""Evaluate ViVa and the discriminative baseline with the paper's section 4.2 metrics on a held-out tensor cache.

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 -m viva.evaluate \
      --checkpoint /tmp/viva-run/checkpoint.pt --cache /tmp/heldout-cache \
      --labels /tmp/heldout-ds/meta/viva_ground_truth.json --out /tmp/eval [--window FRAMES] [--steps 1]
(run from models/viva). Writes <out>/metrics.json, <out>/metrics.md and <out>/values.json (per-frame curves).

Values are in the display convention (progress, higher = closer to success): ViVa = readout of the value frame
after ``--steps`` Euler steps (default 1, fixed noise seed), baseline = expected progress over its 201 bins.
Ground-truth progress is 1 - G/2 from the episode length and outcome (the training target).

Metrics (per model):
- pearson / spearman: correlation between the value curve and ground-truth progress, per episode, averaged over
  episodes (spearman uses average ranks for ties; a constant curve has correlation 0 by definition here).
- voc: Spearman between the value curve and frame order (0 for a constant curve), averaged over episodes.
- ERS_k = d_k (V_after - V_before) / (V_before + eps), V_before / V_after = mean value over the w frames before /
  after the event frame (the event frame in neither; windows clipped at the episode ends; an event with an empty
  window, i.e. at the first or last frame, is skipped and counted in ``skipped``). d_k = +1 milestone, -1 error.
- MS / ES: mean ERS over all milestone / error events of all episodes; MDR / ErrDR: fraction with ERS > 0.
- Default window: the app's (app/timeSpan.ts DEFAULT_ERS_WINDOW): 1/6 s, the paper's 5 frames at 30 fps, scaled by the
  cache's fps and rounded half up (2 frames at 10 fps), so this script and `viva metrics` agree by default.
- *_abs: the same with the absolute difference d_k (V_after - V_before) instead of the relative one.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time
from typing import Dict, List, Optional, Sequence

import numpy as np

EPS = 1e-6
# The app's default ERS window (app/timeSpan.ts): the paper's 5 frames at its data's 30 fps, as a duration.
DEFAULT_WINDOW_SECONDS = 5 / 30


def default_window(fps: float) -> int:
    """Whole frames of the default window at ``fps``: nearest, halves up, at least 1 (app/timeSpan.ts framesForSeconds)."""
    exact = math.floor(DEFAULT_WINDOW_SECONDS * fps * 1e6 + 0.5) / 1e6  # Math.round: halves up
    return max(1, int(math.floor(exact + 0.5)))


# ------------------------------------------------------------------------------------------------------------------
# Metric functions (pure numpy; unit-tested)
# ------------------------------------------------------------------------------------------------------------------

def rankdata(x: Sequence[float]) -> np.ndarray:
    """1-based ranks with ties given the average of the ranks they span (scipy's 'average')."""
    a = np.asarray(x, dtype=np.float64)
    n = a.size
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(n, np.float64)
    s = a[order]
    i = 0
    while i < n:
        j = i
        while j + 1 < n and s[j + 1] == s[i]:
            j += 1
        ranks[order[i:j + 1]] = 0.5 * (i + j) + 1.0
        i = j + 1
    return ranks


def pearson(x: Sequence[float], y: Sequence[float]) -> float:
    """Pearson correlation; 0.0 when either input is constant (or has fewer than 2 elements)."""
    a, b = np.asarray(x, np.float64), np.asarray(y, np.float64)
    if a.size != b.size:
        raise ValueError("length mismatch")
    if a.size < 2:
        return 0.0
    a, b = a - a.mean(), b - b.mean()
    den = math.sqrt(float((a * a).sum()) * float((b * b).sum()))
    if den <= 1e-15:
        return 0.0
    return float(np.clip((a * b).sum() / den, -1.0, 1.0))


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation = Pearson of average ranks; 0.0 when either input is constant."""
    return pearson(rankdata(x), rankdata(y))


def voc(values: Sequence[float]) -> float:
    """Value-order correlation: Spearman between the values and the frame order (0 for a constant curve)."""
    return spearman(values, np.arange(len(values)))


def event_windows(values: Sequence[float], frame: int, w: int):
    """(V_before, V_after): means over values[frame-w:frame] and values[frame+1:frame+1+w], clipped at the episode
    ends; None for an empty window."""
    v = np.asarray(values, np.float64)
    if not (0 <= frame < v.size):
        raise ValueError(f"event frame {frame} outside the episode (length {v.size})")
    if w < 1:
        raise ValueError("w must be >= 1")
    before = v[max(0, frame - w):frame]
    after = v[frame + 1:min(v.size, frame + 1 + w)]
    return (float(before.mean()) if before.size else None, float(after.mean()) if after.size else None)


def ers(values: Sequence[float], frame: int, direction: int, w: int, eps: float = EPS):
    """-> (ERS relative, ERS absolute) or None when a window is empty (event at the first/last frame)."""
    vb, va = event_windows(values, frame, w)
    if vb is None or va is None:
        return None
    d = float(direction)
    return d * (va - vb) / (vb + eps), d * (va - vb)


def event_metrics(curves: Dict[int, Sequence[float]], events: List[dict], w: int, eps: float = EPS) -> dict:
    """Aggregate ERS over all events of all episodes. events: [{episode, frame, direction (+1/-1)}]."""
    out = {"window": w, "eps": eps}
    per = {1: [], -1: []}
    skipped = {1: 0, -1: 0}
    for e in events:
        d = int(e["direction"])
        r = ers(curves[int(e["episode"])], int(e["frame"]), d, w, eps)
        if r is None:
            skipped[d] += 1
        else:
            per[d].append(r)
    for d, name, s, rate in ((1, "milestone", "MS", "MDR"), (-1, "error", "ES", "ErrDR")):
        rel = np.array([r[0] for r in per[d]], np.float64)
        ab = np.array([r[1] for r in per[d]], np.float64)
        n = int(rel.size)
        out[f"n_{name}"] = n
        out[f"skipped_{name}"] = skipped[d]
        out[s] = float(rel.mean()) if n else None
        out[rate] = float((rel > 0).mean()) if n else None
        out[f"{s}_abs"] = float(ab.mean()) if n else None
        out[f"{rate}_abs"] = float((ab > 0).mean()) if n else None
    return out


def curve_metrics(curves: Dict[int, Sequence[float]], truth: Dict[int, Sequence[float]]) -> dict:
    """Pearson / Spearman vs ground-truth progress and VOC, each averaged over episodes."""
    eps_ = sorted(curves)
    p = [pearson(curves[e], truth[e]) for e in eps_]
    s = [spearman(curves[e], truth[e]) for e in eps_]
    o = [voc(curves[e]) for e in eps_]
    return {"episodes": len(eps_), "pearson": float(np.mean(p)) if p else None,
            "spearman": float(np.mean(s)) if s else None, "voc": float(np.mean(o)) if o else None}


def all_metrics(curves, truth, events, w, eps=EPS) -> dict:
    return {**curve_metrics(curves, truth), **event_metrics(curves, events, w, eps)}


# ------------------------------------------------------------------------------------------------------------------
# Ground truth
# ------------------------------------------------------------------------------------------------------------------

def read_labels(path: str):
    """Canonical annotation JSON (viva_ground_truth.json) -> (events [{episode, frame, direction, kind, label}],
    outcomes {episode: outcome}). direction: the event's `direction` if present, else +1 milestone / -1 error."""
    with open(path) as f:
        d = json.load(f)
    events = []
    for e in d.get("events", []):
        kind = e.get("kind")
        if kind not in ("milestone", "error"):
            continue
        direction = int(e.get("direction") or (1 if kind == "milestone" else -1))
        events.append({"episode": int(e["episode"]), "frame": int(e["frame"]), "direction": direction,
                       "kind": kind, "label": e.get("label", "")})
    outcomes = {int(e["episode"]): e.get("outcome") for e in d.get("episodes", [])}
    return events, outcomes


# ------------------------------------------------------------------------------------------------------------------
# Predictions
# ------------------------------------------------------------------------------------------------------------------

def predict(checkpoint: str, cache_dir: str, steps: Optional[int] = None, batch: int = 128, seed: int = 0,
            viva: bool = True, baseline: bool = True, value_readout: Optional[dict] = None):
    """Per-frame progress curves {"viva": {ep: [..]} (if ``viva``), "baseline": {...} (if ``baseline`` and the
    checkpoint has one), "truth": {...}}, plus info."""
    import torch
    from .data import read_cache, images_to_tensor
    from .export import load_checkpoint
    from .model import CAMERAS, build_sequence, normalize_state, sample, readout, return_to_progress

    info, cfg, enc, dit, bl = load_checkpoint(checkpoint)
    cache = read_cache(cache_dir)
    if list(cache.meta["size"]) != [cfg.image_size, cfg.image_size]:
        raise SystemExit(f"cache size {cache.meta['size']} != model image size {cfg.image_size}")
    steps = int(steps or cfg.default_steps)
    smin, smax = torch.tensor(info["state_min"]), torch.tensor(info["state_max"])
    # task ids: held-out cache names -> checkpoint ids (unknown -> 0)
    ck_tasks = {n: i for i, n in enumerate(info.get("tasks") or [])}
    cache_tasks = cache.meta.get("tasks") or []
    remap = np.array([ck_tasks.get(n, 0) for n in cache_tasks] or [0], np.int64)
    task_all = remap[np.minimum(cache.task_id, len(remap) - 1)] if len(ck_tasks) > 1 else np.zeros_like(
        cache.task_id)
    K = int(info["K"])
    g = torch.Generator().manual_seed(seed)
    viva_v = np.zeros(cache.N, np.float32) if viva else None
    bl_v = np.zeros(cache.N, np.float32) if (bl is not None and baseline) else None

    def episode_noise(seq, idx, seed_, k):
        # readout "episode": one draw per (seed, draw, episode), shared by every frame of the episode (the app seeds
        # it with its own generator, so the two runtimes agree in distribution, not bit for bit).
        out = torch.empty(seq[:, 5:].shape)
        for r, i in enumerate(idx):
            ge = torch.Generator().manual_seed(seed_ * 1_000_003 + k * 7_919 + int(cache.episode[i]))
            out[r] = torch.randn(seq[:, 5:].shape[1:], generator=ge)
        return out

    t0 = time.time()
    with torch.no_grad():
        for s in range(0, cache.N, batch):
            idx = np.arange(s, min(cache.N, s + batch))
            x = images_to_tensor(np.stack([cache.frames[c][idx] for c in CAMERAS], axis=1))  # [b, 3, 3, H, W]
            b = x.shape[0]
            q = normalize_state(torch.from_numpy(cache.state[idx]), smin, smax)
            task = torch.from_numpy(task_all[idx])
            if viva_v is not None:
                lat = enc(x.reshape(b * len(CAMERAS), *x.shape[2:])).reshape(b, len(CAMERAS), *cfg.latent_shape)
                seq = build_sequence(lat, q, cfg)
                # The manifest's scheduler.readout (export.py --readout): zeros, or the mean of N draws' targets.
                if value_readout and value_readout.get("noise") == "zero":
                    out = sample(dit, seq, task, torch.zeros(seq[:, 5:].shape), steps, cfg.shift)
                else:
                    draws = int((value_readout or {}).get("samples", 1))
                    per_episode = (value_readout or {}).get("noise") == "episode"
                    antithetic = (value_readout or {}).get("noise") == "antithetic"
                    noises = []
                    for k in range(draws):
                        if antithetic and k % 2 == 1:
                            noises.append(-noises[-1])  # the pair (n, -n): antithetic variates
                        else:
                            noises.append(episode_noise(seq, idx, seed, k) if per_episode else
                                          torch.randn(seq[:, 5:].shape, generator=g))
                    outs = [sample(dit, seq, task, n, steps, cfg.shift) for n in noises]
                    out = torch.stack(outs).mean(0)
                prog, _ = readout(out, cfg.state_dim, smin, smax)
                viva_v[idx] = prog.numpy()
            if bl_v is not None:
                _, v = bl(x, q, task)
                bl_v[idx] = v.numpy()
    secs = time.time() - t0
    truth_all = return_to_progress(torch.from_numpy(cache.G)).numpy()
    curves = {"truth": {}}
    if viva_v is not None:
        curves["viva"] = {}
    if bl_v is not None:
        curves["baseline"] = {}
    off = 0
    for e in cache.meta["episodes"]:
        L, ep = int(e["length"]), int(e["index"])
        sl = slice(off, off + L)
        if viva_v is not None:
            curves["viva"][ep] = viva_v[sl].tolist()
        curves["truth"][ep] = truth_all[sl].tolist()
        if bl_v is not None:
            curves["baseline"][ep] = bl_v[sl].tolist()
        off += L
    meta = {"checkpoint": os.path.abspath(checkpoint), "cache": os.path.abspath(cache_dir), "frames": cache.N,
            "episodes": len(cache.meta["episodes"]), "viva_steps": steps, "noise_seed": seed,
            "predict_seconds": secs,
            "outcomes": {int(e["index"]): e["outcome"] for e in cache.meta["episodes"]}}
    return curves, meta


# ------------------------------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------------------------------

ROW_NAMES = {"viva": "ViVa (ours, w/o pretrain)", "baseline": "Discriminative baseline (201 bins)",
             "truth": "Ground-truth progress (training target, reference)"}


def _f(x):
    return "n/a" if x is None else f"{x:.3f}"


def markdown(results: dict, w: int) -> str:
    rows = [k for k in ("viva", "baseline", "truth") if k in results]
    L = [f"Window w = {w} frames, eps = {EPS:g}. Pearson / Spearman / VOC averaged over episodes; MS / ES / MDR / "
         "ErrDR over all events of all episodes.", "",
         "**Correlation (cf. paper Table 1)**", "",
         "| Method | Pearson | Spearman | VOC |", "|---|---|---|---|"]
    L += [f"| {ROW_NAMES[k]} | {_f(results[k]['pearson'])} | {_f(results[k]['spearman'])} | {_f(results[k]['voc'])} |"
          for k in rows]
    L += ["", "**Event sensitivity and detection (cf. paper Tables 2–3), relative ERS (eq. 3)**", "",
          "| Method | MS | ES | MDR | ErrDR | milestones | errors |", "|---|---|---|---|---|---|---|"]
    for k in rows:
        r = results[k]
        L.append(f"| {ROW_NAMES[k]} | {_f(r['MS'])} | {_f(r['ES'])} | {_f(r['MDR'])} | {_f(r['ErrDR'])} | "
                 f"{r['n_milestone']} | {r['n_error']} |")
    L += ["", "**Absolute-difference variant** (ERS_abs = d_k (V_after − V_before))", "",
          "| Method | MS_abs | ES_abs | MDR_abs | ErrDR_abs |", "|---|---|---|---|---|"]
    for k in rows:
        r = results[k]
        L.append(f"| {ROW_NAMES[k]} | {_f(r['MS_abs'])} | {_f(r['ES_abs'])} | {_f(r['MDR_abs'])} | "
                 f"{_f(r['ErrDR_abs'])} |")
    return "\n".join(L) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True, help="checkpoint.pt written by viva.train (ViVa; also its "
                    "baseline unless --baseline-checkpoint is given)")
    ap.add_argument("--baseline-checkpoint", default=None, help="take the baseline from this checkpoint instead")
    ap.add_argument("--cache", required=True, help="held-out tensor cache")
    ap.add_argument("--labels", required=True, help="ground-truth annotation JSON of the held-out dataset")
    ap.add_argument("--out", required=True)
    ap.add_argument("--window", type=int, default=None, help="ERS window w in frames (default: the app's 1/6 s at the "
                    "cache's fps, 2 frames at 10 fps)")
    ap.add_argument("--extra-windows", type=str, default="3,10", help="also report these windows (JSON only)")
    ap.add_argument("--steps", type=int, default=None, help="ViVa Euler steps (default: the model's, 1)")
    ap.add_argument("--seed", type=int, default=0, help="noise seed")
    ap.add_argument("--readout", default="sample", help="ViVa value readout as export.py --readout: sample (one "
                    "draw), zero (zero-noise start), mean:N (average of N draws) or episode:N (N draws, each shared by an "
                    "episode's frames)")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args(argv)
    import torch
    torch.set_num_threads(a.threads)
    os.makedirs(a.out, exist_ok=True)
    from .export import parse_readout
    curves, meta = predict(a.checkpoint, a.cache, a.steps, seed=a.seed, baseline=a.baseline_checkpoint is None,
                           value_readout=parse_readout(a.readout))
    meta["readout"] = a.readout
    if a.baseline_checkpoint:
        bc, bmeta = predict(a.baseline_checkpoint, a.cache, viva=False)
        if "baseline" not in bc:
            raise SystemExit(f"{a.baseline_checkpoint} has no baseline")
        curves["baseline"] = bc["baseline"]
        meta["baseline_checkpoint"] = bmeta["checkpoint"]
        meta["baseline_predict_seconds"] = bmeta["predict_seconds"]
    if a.window is None:
        with open(os.path.join(a.cache, "meta.json")) as f:
            a.window = default_window(float(json.load(f)["fps"]))
    events, outcomes = read_labels(a.labels)
    mism = [e for e, o in outcomes.items() if e in meta["outcomes"] and o != meta["outcomes"][e]]
    if mism:
        raise SystemExit(f"labels and cache disagree on the outcome of episodes {mism}")
    events = [e for e in events if e["episode"] in curves["truth"]]
    truth = curves["truth"]
    results = {k: all_metrics(c, truth, events, a.window) for k, c in curves.items()}
    extra = {}
    for w in [int(x) for x in a.extra_windows.split(",") if x.strip()]:
        extra[str(w)] = {k: event_metrics(c, events, w) for k, c in curves.items()}
    report = {"window": a.window, "eps": EPS, "data": {k: v for k, v in meta.items() if k != "outcomes"},
              "labels": os.path.abspath(a.labels), "events": {"milestone": sum(e["direction"] > 0 for e in events),
                                                               "error": sum(e["direction"] < 0 for e in events)},
              "results": results, "other_windows": extra}
    with open(os.path.join(a.out, "metrics.json"), "w") as f:
        json.dump(report, f, indent=1)
    md = markdown(results, a.window)
    with open(os.path.join(a.out, "metrics.md"), "w") as f:
        f.write(md)
    with open(os.path.join(a.out, "values.json"), "w") as f:
        json.dump({k: {str(e): [round(x, 5) for x in v] for e, v in c.items()} for k, c in curves.items()}, f)
    print(md)
    return report


if __name__ == "__main__":
    main()
