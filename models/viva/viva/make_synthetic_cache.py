"""Write a small synthetic tensor cache (see data.py / README.md) so tests and smoke training run without the app.

Episodes: a 14-D "bimanual" state follows smooth sinusoidal trajectories toward a goal; successes reach it, failures
stall half-way and drift. Each camera renders a structured scene: background gradient, a square "gripper" whose
position follows the state (different projection per camera), a progress bar, and a red tint once a failure starts.

  /usr/bin/python3 -m viva.make_synthetic_cache --out /tmp/viva-cache --episodes 8 --length 60 --size 128
"""
from __future__ import annotations

import argparse
import json
import os

import numpy as np

from .model import CAMERAS
from .data import FORMAT, VERSION

STATE_NAMES = [f"{arm}_{j}" for arm in ("left", "right") for j in
               ("waist", "shoulder", "elbow", "forearm_roll", "wrist_angle", "wrist_rotate", "gripper")]


def _render(cam_i: int, q: np.ndarray, prog: float, failing: bool, H: int, W: int, rng) -> np.ndarray:
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.zeros((H, W, 3), np.float32)
    img[..., 0] = 40 + 60 * xx / W + 20 * cam_i
    img[..., 1] = 60 + 50 * yy / H
    img[..., 2] = 90 + 30 * cam_i
    # gripper square position from a camera-specific projection of the state
    a, b = q[(cam_i * 3) % 14], q[(cam_i * 3 + 5) % 14]
    cy, cx = (0.5 + 0.35 * np.tanh(a)) * H, (0.5 + 0.35 * np.tanh(b)) * W
    r = max(2, H // 10)
    m = (np.abs(yy - cy) < r) & (np.abs(xx - cx) < r)
    img[m] = [230, 220, 60]
    # object that moves toward the goal corner with progress
    oy, ox = (0.2 + 0.6 * prog) * H, (0.8 - 0.6 * prog) * W
    m2 = (yy - oy) ** 2 + (xx - ox) ** 2 < (r * 0.8) ** 2
    img[m2] = [40, 200, 230]
    img[: max(1, H // 16), : int(W * prog)] = [255, 255, 255]  # progress bar
    if failing:
        img[..., 0] += 60
        img[..., 1] *= 0.7
    img += rng.normal(0, 4, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def make_cache(out: str, episodes: int = 8, length: int = 60, size: int = 128, fps: int = 30, K: int = 10,
               fail_every: int = 3, num_tasks: int = 2, seed: int = 0, jitter: int = 10) -> dict:
    rng = np.random.default_rng(seed)
    os.makedirs(out, exist_ok=True)
    H = W = size
    D = len(STATE_NAMES)
    frames = {c: [] for c in CAMERAS}
    states, ep_idx, fr_idx, eps = [], [], [], []
    for e in range(episodes):
        L = int(length + rng.integers(-jitter, jitter + 1)) if jitter else length
        success = (e % fail_every) != fail_every - 1
        phase = rng.uniform(0, 2 * np.pi, D)
        goal = rng.uniform(-1.5, 1.5, D)
        fail_at = int(L * rng.uniform(0.3, 0.6))
        for t in range(L):
            prog = t / max(1, L - 1)
            failing = (not success) and t >= fail_at
            p_eff = prog if not failing else fail_at / L
            q = goal * p_eff + 0.3 * np.sin(2 * np.pi * prog * 2 + phase)
            if failing:
                q = q + 0.05 * (t - fail_at) * np.cos(phase)
            q = q.astype(np.float32)
            q[6] = q[13] = float(p_eff > 0.5)  # grippers
            for ci, c in enumerate(CAMERAS):
                frames[c].append(_render(ci, q, p_eff, failing, H, W, rng))
            states.append(q)
            ep_idx.append(e)
            fr_idx.append(t)
        eps.append({"index": e, "length": L, "outcome": "success" if success else "failure",
                    "task_id": e % num_tasks})
    for c in CAMERAS:
        np.stack(frames[c]).astype("<u1").tofile(os.path.join(out, f"frames_{c}.u8"))
    np.stack(states).astype("<f4").tofile(os.path.join(out, "state.f32"))
    np.asarray(ep_idx, "<i4").tofile(os.path.join(out, "episode.i32"))
    np.asarray(fr_idx, "<i4").tofile(os.path.join(out, "frame.i32"))
    meta = {
        "format": FORMAT, "version": VERSION, "fps": fps, "cameras": list(CAMERAS), "size": [H, W],
        "state_names": STATE_NAMES, "K": K, "num_frames": len(states),
        "tasks": [f"synthetic task {i}" for i in range(num_tasks)],
        "source": {"kind": "synthetic", "generator": "models/viva/viva/make_synthetic_cache.py", "seed": seed,
                   "frame_size": {"width": W, "height": H}},
        "episodes": eps,
    }
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--episodes", type=int, default=8)
    ap.add_argument("--length", type=int, default=60)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--fps", type=int, default=30)
    ap.add_argument("--K", type=int, default=10)
    ap.add_argument("--tasks", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    m = make_cache(a.out, a.episodes, a.length, a.size, a.fps, a.K, num_tasks=a.tasks, seed=a.seed)
    print(f"wrote {m['num_frames']} frames x {len(CAMERAS)} cameras to {a.out}")


if __name__ == "__main__":
    main()
