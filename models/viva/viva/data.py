"""Reader for the ViVa tensor cache (written by the TypeScript exporter or ``make_synthetic_cache.py``).

Cache folder layout (all binary files little-endian, C order, no header):
  meta.json
  frames_<camera>.u8   uint8   [N, H, W, 3]  RGB, one file per camera in meta.cameras, same frame order for all
  state.f32            float32 [N, D]
  episode.i32          int32   [N]          episode index (meta.episodes[k].index) of each frame
  frame.i32            int32   [N]          frame index within its episode, 0..length-1
Frames of all episodes are concatenated in the order of meta.episodes, each episode's frames in time order.
See models/viva/README.md for meta.json.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Dict, List

import numpy as np
import torch

from .model import CAMERAS, value_targets

FORMAT = "viva-tensor-cache"
VERSION = 1


@dataclass
class Cache:
    root: str
    meta: dict
    frames: Dict[str, np.ndarray]  # camera -> memmap [N, H, W, 3] uint8
    state: np.ndarray  # [N, D] float32
    episode: np.ndarray  # [N] int32
    frame: np.ndarray  # [N] int32
    ep_start: np.ndarray  # [N] global index of the first frame of each frame's episode
    ep_len: np.ndarray  # [N] episode length of each frame
    success: np.ndarray  # [N] bool
    task_id: np.ndarray  # [N] int64
    G: np.ndarray  # [N] float32 return (paper eq. 2)

    @property
    def N(self) -> int:
        return int(self.state.shape[0])

    @property
    def D(self) -> int:
        return int(self.state.shape[1])

    @property
    def K(self) -> int:
        return int(self.meta["K"])

    def future_index(self, i: np.ndarray, K: int | None = None) -> np.ndarray:
        """Global index of frame t+K, clamped to the last frame of the same episode."""
        K = self.K if K is None else K
        return np.minimum(i + K, self.ep_start[i] + self.ep_len[i] - 1)


def read_cache(root: str, cameras: List[str] | None = None) -> Cache:
    with open(os.path.join(root, "meta.json")) as f:
        meta = json.load(f)
    if meta.get("format", FORMAT) != FORMAT:
        raise ValueError(f"not a {FORMAT}: {meta.get('format')}")
    H, W = meta["size"]
    eps = meta["episodes"]
    N = sum(int(e["length"]) for e in eps)
    D = len(meta["state_names"])
    cams = cameras or meta["cameras"]
    missing = [c for c in CAMERAS if c not in meta["cameras"]]
    if missing:
        raise ValueError(f"cache lacks cameras {missing}; ViVa needs {CAMERAS}")
    frames = {}
    for c in cams:
        p = os.path.join(root, f"frames_{c}.u8")
        if os.path.getsize(p) != N * H * W * 3:
            raise ValueError(f"{p}: size {os.path.getsize(p)} != N*H*W*3 = {N * H * W * 3}")
        frames[c] = np.memmap(p, dtype="<u1", mode="r", shape=(N, H, W, 3))
    state = np.fromfile(os.path.join(root, "state.f32"), dtype="<f4")
    if state.size != N * D:
        raise ValueError(f"state.f32 has {state.size} floats, expected N*D = {N * D}")
    state = state.reshape(N, D)
    episode = np.fromfile(os.path.join(root, "episode.i32"), dtype="<i4")
    frame = np.fromfile(os.path.join(root, "frame.i32"), dtype="<i4")
    if episode.size != N or frame.size != N:
        raise ValueError("episode.i32 / frame.i32 must have N entries")
    ep_start = np.zeros(N, np.int64)
    ep_len = np.zeros(N, np.int64)
    success = np.zeros(N, bool)
    task_id = np.zeros(N, np.int64)
    G = np.zeros(N, np.float32)
    off = 0
    for e in eps:
        L = int(e["length"])
        sl = slice(off, off + L)
        if not (np.all(episode[sl] == int(e["index"])) and np.array_equal(frame[sl], np.arange(L))):
            raise ValueError(f"episode {e['index']}: episode.i32/frame.i32 do not match meta order")
        ep_start[sl], ep_len[sl] = off, L
        success[sl] = e["outcome"] == "success"
        task_id[sl] = int(e.get("task_id", 0))
        G[sl] = value_targets(L, e["outcome"] == "success").numpy()
        off += L
    return Cache(root, meta, frames, state, episode, frame, ep_start, ep_len, success, task_id, G)


def images_to_tensor(u8: np.ndarray) -> torch.Tensor:
    """uint8 [..., H, W, 3] RGB -> float32 [..., 3, H, W] in [-1, 1] (x / 127.5 - 1)."""
    t = torch.from_numpy(np.ascontiguousarray(u8)).float()
    return (t / 127.5 - 1.0).movedim(-1, -3).contiguous()


class VivaDataset(torch.utils.data.Dataset):
    """Per-frame samples: (images [3 cams, 3, H, W] in [-1, 1] (CAMERAS order), q_t [D], q_{t+K} [D] (clamped to
    the episode end), G_t (scalar), task_id). States are raw (unnormalized)."""

    def __init__(self, cache: Cache, indices: np.ndarray | None = None, K: int | None = None):
        self.c = cache
        self.idx = np.arange(cache.N) if indices is None else np.asarray(indices)
        self.K = cache.K if K is None else K

    def __len__(self):
        return len(self.idx)

    def __getitem__(self, k):
        i = int(self.idx[k])
        j = int(self.c.future_index(np.array([i]), self.K)[0])
        imgs = images_to_tensor(np.stack([self.c.frames[cam][i] for cam in CAMERAS]))
        return (imgs, torch.from_numpy(self.c.state[i].copy()), torch.from_numpy(self.c.state[j].copy()),
                torch.tensor(float(self.c.G[i])), torch.tensor(int(self.c.task_id[i])))
