"""Train a small ViVa model on a tensor cache.

Phase 1: the image encoder as a VAE-style autoencoder on single camera frames.
Phase 2: encode every frame of every camera once (cached latents), then train the DiT with flow matching
         (and, with --baseline, the 201-bin discriminative baseline on raw images).

  LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 -m viva.train \
      --cache /tmp/viva-cache --out /tmp/viva-run --encoder-steps 500 --steps 2000 --batch 32 --baseline
(run from models/viva). Writes <out>/checkpoint.pt and <out>/train_log.json.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

from .data import read_cache, images_to_tensor, Cache
from .model import (CAMERAS, VivaConfig, ImageEncoder, ImageDecoder, DiT, DiscriminativeBaseline, build_sequence,
                    flow_matching_loss, train_sigmas, normalize_state, return_to_latent, return_to_progress, sample,
                    readout, count_params)


def log(msg):
    print(msg, flush=True)


def _cam_images(cache: Cache, idx: np.ndarray, cams=CAMERAS) -> torch.Tensor:
    """[B, ncam, 3, H, W] in [-1, 1]."""
    order = np.argsort(idx)  # memmap reads are faster sorted
    out = np.stack([cache.frames[c][idx[order]] for c in cams], axis=1)
    inv = np.empty_like(order)
    inv[order] = np.arange(len(order))
    return images_to_tensor(out[inv])


def _out_of_time(t0, max_seconds, step, steps, name, logf) -> bool:
    """Wall-clock cap of a phase (0 = none): stop before ``step`` once ``max_seconds`` have passed."""
    if max_seconds and max_seconds > 0 and step > 1 and time.time() - t0 > max_seconds:
        logf(f"[{name}] time cap {max_seconds:.0f}s reached: stopping after {step - 1}/{steps} steps")
        return True
    return False


def lr_factor(step: int, steps: int, warm: int, schedule: str) -> float:
    """LR multiplier at optimizer step ``step`` (0-based): linear warm-up over ``warm`` steps, then constant, or a
    cosine decay to 0 at ``steps`` (annealing the LR averages out the weight noise a constant LR leaves, which the
    value curve shows as frame-to-frame jitter)."""
    if step < warm:
        return (step + 1) / warm
    if schedule == "cosine":
        return 0.5 * (1 + np.cos(np.pi * min(1.0, (step - warm + 1) / max(1, steps - warm))))
    return 1.0


class Ema:
    """Exponential moving average of a module's parameters (the DiT recipe's EMA of weights); ``decay`` 0 = off."""

    def __init__(self, module: torch.nn.Module, decay: float):
        self.decay = decay
        self.shadow = {k: v.detach().clone() for k, v in module.state_dict().items()} if decay > 0 else None

    @torch.no_grad()
    def update(self, module: torch.nn.Module):
        if self.shadow is None:
            return
        for k, v in module.state_dict().items():
            if v.dtype.is_floating_point:
                self.shadow[k].mul_(self.decay).add_(v.detach(), alpha=1 - self.decay)
            else:
                self.shadow[k].copy_(v)

    def copy_to(self, module: torch.nn.Module):
        if self.shadow is not None:
            module.load_state_dict(self.shadow)


def train_encoder(cache: Cache, cfg: VivaConfig, steps: int, batch: int, lr: float, kl_weight: float, rng, logf,
                  max_seconds: float = 0.0):
    enc, dec = ImageEncoder(cfg), ImageDecoder(cfg)
    opt = torch.optim.AdamW(list(enc.parameters()) + list(dec.parameters()), lr=lr, weight_decay=0.0)
    t0, hist = time.time(), []
    for step in range(1, steps + 1):
        if _out_of_time(t0, max_seconds, step, steps, "encoder", logf):
            steps = step - 1
            break
        idx = rng.integers(0, cache.N, batch)
        cam = CAMERAS[int(rng.integers(0, len(CAMERAS)))]
        x = _cam_images(cache, idx, [cam])[:, 0]
        mu, logvar = enc.moments(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        rec = dec(z)
        rec_loss = F.mse_loss(rec, x)
        kl = 0.5 * torch.mean(mu ** 2 + logvar.exp() - 1 - logvar)
        loss = rec_loss + kl_weight * kl
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(enc.parameters(), 1.0)
        opt.step()
        if step % max(1, steps // 10) == 0 or step == steps:
            sps = step / (time.time() - t0)
            logf(f"[encoder] step {step}/{steps} rec {rec_loss.item():.5f} kl {kl.item():.4f} {sps:.2f} steps/s")
            hist.append({"step": step, "rec": rec_loss.item(), "kl": kl.item()})
    sps = steps / max(1e-9, time.time() - t0)
    return enc, dec, {"steps": steps, "batch": batch, "steps_per_s": sps, "history": hist}


@torch.no_grad()
def encode_all(cache: Cache, enc: ImageEncoder, chunk: int = 128):
    """Encode every frame of every camera; set the encoder's latent normalization (per-channel mean/std of mu) and
    return normalized latents [N, 3, C', H', W']."""
    enc.eval()
    mus = []
    for s in range(0, cache.N, chunk):
        idx = np.arange(s, min(cache.N, s + chunk))
        x = _cam_images(cache, idx)  # [b, 3, 3, H, W]
        b = x.shape[0]
        mu, _ = enc.moments(x.reshape(b * len(CAMERAS), *x.shape[2:]))
        mus.append(mu.reshape(b, len(CAMERAS), *mu.shape[1:]))
    mu = torch.cat(mus)
    mean = mu.mean(dim=(0, 1, 3, 4)).reshape(1, -1, 1, 1)
    std = mu.std(dim=(0, 1, 3, 4)).reshape(1, -1, 1, 1).clamp_min(1e-4)
    enc.latent_mean.copy_(mean)
    enc.latent_std.copy_(std)
    return (mu - mean[None]) / std[None]


def _batch_seq(cache, lat, idx, cfg, smin, smax, K):
    j = cache.future_index(idx, K)
    q = normalize_state(torch.from_numpy(cache.state[idx]), smin, smax)
    qf = normalize_state(torch.from_numpy(cache.state[j]), smin, smax)
    v = return_to_latent(torch.from_numpy(cache.G[idx]))
    return build_sequence(lat[idx], q, cfg, qf, v), torch.from_numpy(cache.task_id[idx])


def train_dit(cache, lat, cfg, train_idx, steps, batch, lr, smin, smax, K, rng, logf, max_seconds: float = 0.0,
              warmup: int | None = None, schedule: str = "constant", ema: float = 0.0, init=None):
    dit = DiT(cfg)
    if init is not None:
        dit.load_state_dict(init)
    opt = torch.optim.AdamW(dit.parameters(), lr=lr, weight_decay=0.01)
    # The warm-up length is part of the trajectory: pass it explicitly to reproduce a run stopped early.
    warm = warmup if warmup is not None else max(1, min(200, steps // 10))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, steps, warm, schedule))
    avg = Ema(dit, ema)
    table = train_sigmas(cfg.num_train_timesteps, cfg.shift)
    t0, hist = time.time(), []
    for step in range(1, steps + 1):
        if _out_of_time(t0, max_seconds, step, steps, "dit", logf):
            steps = step - 1
            break
        idx = train_idx[rng.integers(0, len(train_idx), batch)]
        seq, task = _batch_seq(cache, lat, idx, cfg, smin, smax, K)
        loss, lp, lv = flow_matching_loss(dit, seq, task, table)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(dit.parameters(), 1.0)
        opt.step()
        sched.step()
        avg.update(dit)
        if step % max(1, steps // 20) == 0 or step == steps:
            sps = step / (time.time() - t0)
            logf(f"[dit] step {step}/{steps} loss {loss.item():.4f} prop {lp.item():.4f} val {lv.item():.4f} "
                 f"{sps:.2f} steps/s")
            hist.append({"step": step, "loss": loss.item(), "prop": lp.item(), "val": lv.item()})
    sps = steps / max(1e-9, time.time() - t0)
    avg.copy_to(dit)
    return dit, {"steps": steps, "batch": batch, "steps_per_s": sps, "history": hist, "lr_schedule": schedule,
                 "ema": ema, "init": init is not None}


def train_baseline(cache, cfg, train_idx, steps, batch, lr, smin, smax, rng, logf, max_seconds: float = 0.0,
                   schedule: str = "constant", ema: float = 0.0):
    bl = DiscriminativeBaseline(cfg)
    opt = torch.optim.AdamW(bl.parameters(), lr=lr, weight_decay=0.01)
    # No warm-up (as the shipped baseline); the same schedule and EMA options as the DiT, for a like-for-like recipe.
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, steps, 0, schedule))
    avg = Ema(bl, ema)
    t0, hist = time.time(), []
    for step in range(1, steps + 1):
        if _out_of_time(t0, max_seconds, step, steps, "baseline", logf):
            steps = step - 1
            break
        idx = train_idx[rng.integers(0, len(train_idx), batch)]
        x = _cam_images(cache, idx)
        q = normalize_state(torch.from_numpy(cache.state[idx]), smin, smax)
        prog = return_to_progress(torch.from_numpy(cache.G[idx]))
        logits, _ = bl(x, q, torch.from_numpy(cache.task_id[idx]))
        loss = F.cross_entropy(logits, bl.progress_to_bin(prog))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(bl.parameters(), 1.0)
        opt.step()
        sched.step()
        avg.update(bl)
        if step % max(1, steps // 10) == 0 or step == steps:
            sps = step / (time.time() - t0)
            logf(f"[baseline] step {step}/{steps} ce {loss.item():.4f} {sps:.2f} steps/s")
            hist.append({"step": step, "ce": loss.item()})
    sps = steps / max(1e-9, time.time() - t0)
    avg.copy_to(bl)
    return bl, {"steps": steps, "batch": batch, "steps_per_s": sps, "history": hist, "lr_schedule": schedule,
                "ema": ema}


@torch.no_grad()
def evaluate(cache, lat, cfg, dit, idx, smin, smax, K, steps=1, max_n=512, baseline=None, seed=0):
    """Mean absolute error of predicted progress and future state (original units) with the N-step sampler."""
    if len(idx) == 0:
        return None
    idx = idx[:: max(1, len(idx) // max_n)][:max_n]
    dit.eval()
    g = torch.Generator().manual_seed(seed)
    seq, task = _batch_seq(cache, lat, idx, cfg, smin, smax, K)
    noise = torch.randn(seq[:, 5:].shape, generator=g)
    out = sample(dit, seq, task, noise, steps, cfg.shift)
    prog, fut = readout(out, cfg.state_dim, smin, smax)
    true_prog = return_to_progress(torch.from_numpy(cache.G[idx]))
    true_fut = torch.from_numpy(cache.state[cache.future_index(idx, K)])
    res = {"n": int(len(idx)), "steps": steps, "value_mae": float((prog - true_prog).abs().mean()),
           "future_state_mae": float((fut - true_fut).abs().mean())}
    if baseline is not None:
        baseline.eval()
        x = _cam_images(cache, idx)
        _, bv = baseline(x, normalize_state(torch.from_numpy(cache.state[idx]), smin, smax), task)
        res["baseline_value_mae"] = float((bv - true_prog).abs().mean())
    dit.train()
    return res


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=2000, help="DiT steps")
    ap.add_argument("--warmup", type=int, default=None, help="DiT LR warm-up steps (default: min(200, steps/10))")
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--encoder-steps", type=int, default=500)
    ap.add_argument("--encoder-batch", type=int, default=16)
    ap.add_argument("--baseline", action="store_true")
    ap.add_argument("--baseline-steps", type=int, default=None, help="default: --steps")
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--encoder-lr", type=float, default=1e-3)
    ap.add_argument("--kl-weight", type=float, default=1e-4)
    ap.add_argument("--K", type=int, default=None, help="future-state offset in frames (default: meta.K)")
    ap.add_argument("--latent-channels", type=int, default=16)
    ap.add_argument("--enc-channels", type=str, default="32,64,96,128")
    ap.add_argument("--hidden", type=int, default=192)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--patch", type=int, default=2)
    ap.add_argument("--shift", type=float, default=5.0)
    ap.add_argument("--default-steps", type=int, default=1)
    ap.add_argument("--no-task", action="store_true", help="ignore task ids (single learned task embedding)")
    ap.add_argument("--val-episodes", type=int, default=0, help="hold out the last N episodes for evaluation")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--encoder-minutes", type=float, default=0.0, help="wall-clock cap of phase 1 (0 = none)")
    ap.add_argument("--dit-minutes", type=float, default=0.0, help="wall-clock cap of DiT training (0 = none)")
    ap.add_argument("--baseline-minutes", type=float, default=0.0, help="wall-clock cap of the baseline (0 = none)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr-schedule", choices=("constant", "cosine"), default="constant",
                    help="after the warm-up: constant LR (the shipped runs) or a cosine decay to 0 at the last step")
    ap.add_argument("--ema", type=float, default=0.0, help="EMA decay of the DiT / baseline weights saved (0 = off)")
    ap.add_argument("--init-checkpoint", default=None,
                    help="continue from this checkpoint: its config, state range, encoder (not trained again: the "
                         "DiT's latents are the encoder's) and DiT (a --baseline is trained from scratch)")
    a = ap.parse_args(argv)

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    os.makedirs(a.out, exist_ok=True)
    logfile = open(os.path.join(a.out, "train.log"), "a")

    def logf(m):
        log(m)
        logfile.write(m + "\n")
        logfile.flush()

    cache = read_cache(a.cache)
    H, W = cache.meta["size"]
    if H != W:
        raise SystemExit("square images required (size [H, W] with H == W)")
    K = int(a.K if a.K is not None else cache.K)
    tasks = cache.meta.get("tasks") or [f"task {i}" for i in range(int(cache.task_id.max()) + 1)]
    if a.no_task:
        cache.task_id[:] = 0
        tasks = ["any"]
    init = torch.load(a.init_checkpoint, map_location="cpu") if a.init_checkpoint else None
    cfg = VivaConfig(image_size=H, latent_channels=a.latent_channels,
                     enc_channels=tuple(int(x) for x in a.enc_channels.split(",")), state_dim=cache.D,
                     patch=a.patch, hidden=a.hidden, depth=a.depth, heads=a.heads, num_tasks=len(tasks),
                     shift=a.shift, default_steps=a.default_steps)
    if init is not None:
        cfg = VivaConfig.from_dict(init["info"]["config"])
        if cfg.image_size != H or cfg.state_dim != cache.D or cfg.num_tasks != len(tasks):
            raise SystemExit(f"--init-checkpoint {a.init_checkpoint}: its image size / state dim / tasks "
                             f"({cfg.image_size}, {cfg.state_dim}, {cfg.num_tasks}) differ from the cache's "
                             f"({H}, {cache.D}, {len(tasks)})")
    eps = cache.meta["episodes"]
    val_eps = {int(e["index"]) for e in eps[len(eps) - a.val_episodes:]} if a.val_episodes > 0 else set()
    is_val = np.isin(cache.episode, list(val_eps))
    train_idx, val_idx = np.nonzero(~is_val)[0], np.nonzero(is_val)[0]
    smin = torch.from_numpy(cache.state[train_idx].min(0))
    smax = torch.from_numpy(cache.state[train_idx].max(0))
    if init is not None:  # the state normalization the checkpoint's DiT learned with
        smin, smax = torch.tensor(init["info"]["state_min"]), torch.tensor(init["info"]["state_max"])
    logf(f"cache {a.cache}: N={cache.N} D={cache.D} size={H} K={K} tasks={len(tasks)} "
         f"train frames={len(train_idx)} val frames={len(val_idx)}; latent {cfg.latent_shape}")

    if init is not None:
        enc, dec = ImageEncoder(cfg), ImageDecoder(cfg)
        enc.load_state_dict(init["encoder"])
        dec.load_state_dict(init["decoder"])
        enc.eval()
        enc_log = {**init["info"]["encoder_train"], "from": os.path.abspath(a.init_checkpoint)}
        logf(f"encoder, DiT and state range from {a.init_checkpoint}")
    else:
        enc, dec, enc_log = train_encoder(cache, cfg, a.encoder_steps, a.encoder_batch, a.encoder_lr, a.kl_weight,
                                          rng, logf, 60 * a.encoder_minutes)
    t0 = time.time()
    lat = encode_all(cache, enc)
    logf(f"encoded {cache.N}x{len(CAMERAS)} frames in {time.time() - t0:.1f}s")
    dit, dit_log = train_dit(cache, lat, cfg, train_idx, a.steps, a.batch, a.lr, smin, smax, K, rng, logf,
                              60 * a.dit_minutes, a.warmup, a.lr_schedule, a.ema, init["dit"] if init else None)
    if init is not None:
        dit_log["previous"] = init["info"]["dit_train"]
    bl, bl_log = None, None
    if a.baseline:
        bl, bl_log = train_baseline(cache, cfg, train_idx, a.baseline_steps or a.steps, a.batch, a.lr, smin, smax,
                                    rng, logf, 60 * a.baseline_minutes, a.lr_schedule, a.ema)
    metrics = {"train": evaluate(cache, lat, cfg, dit, train_idx, smin, smax, K, baseline=bl),
               "val": evaluate(cache, lat, cfg, dit, val_idx, smin, smax, K, baseline=bl)}
    logf(f"metrics {json.dumps(metrics)}")
    params = {"encoder": count_params(enc), "decoder": count_params(dec), "dit": count_params(dit)}
    if bl is not None:
        params["baseline"] = count_params(bl)
    info = {
        "config": cfg.to_dict(), "K": K, "fps": cache.meta.get("fps"), "cameras": list(CAMERAS), "tasks": tasks,
        "state_names": cache.meta["state_names"], "state_min": smin.tolist(), "state_max": smax.tolist(),
        "data": {"cache": os.path.abspath(a.cache), "frames": cache.N, "episodes": len(eps),
                 "train_frames": int(len(train_idx)), "val_episodes": sorted(val_eps),
                 "successes": int(sum(e["outcome"] == "success" for e in eps)),
                 "failures": int(sum(e["outcome"] != "success" for e in eps)),
                 "source": cache.meta.get("source")},
        "params": params, "encoder_train": enc_log, "dit_train": dit_log, "baseline_train": bl_log,
        "metrics": metrics, "args": vars(a),
    }
    ck = {"info": info, "encoder": enc.state_dict(), "decoder": dec.state_dict(), "dit": dit.state_dict(),
          "baseline": bl.state_dict() if bl is not None else None}
    torch.save(ck, os.path.join(a.out, "checkpoint.pt"))
    with open(os.path.join(a.out, "train_log.json"), "w") as f:
        json.dump(info, f, indent=1)
    logf(f"saved {a.out}/checkpoint.pt params {params}")
    return info


if __name__ == "__main__":
    main()
