"""ViVa (video-generative value model) in PyTorch, small enough to train on a CPU.

Everything that a runtime must reproduce exactly (padding, readout, normalization, scheduler, value mapping) is a
plain function in this module; the neural parts are ``ImageEncoder``/``ImageDecoder``, ``DiT`` and
``DiscriminativeBaseline``. See ``models/viva/README.md`` for the conventions.

Export constraints (torch 1.13, ONNX opset 17): LayerNorms keep their affine parameters, every reshape uses plain
Python ints taken from the config (never sizes read from tensors, except ``-1`` for the batch), attention is
written with matmul + softmax.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, asdict
from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

# ----------------------------------------------------------------------------------------------------------------
# Sequence layout
# ----------------------------------------------------------------------------------------------------------------

#: Camera slots in the order they appear in the latent sequence. The public reference code uses
#: ``[cam_left_wrist, cam_right_wrist, cam_high]``; that order only matters for reusing Wan2.2-based reference
#: weights, which we do not (our model is trained from scratch). We fix ``cam_high`` first because it is the
#: always-present primary view in ALOHA/LeRobot-style datasets and the first camera slot in the app, followed by the
#: wrists left then right. The order is baked into the learned frame embeddings, so it is recorded in the manifest
#: and must never be permuted at inference.
CAMERAS: List[str] = ["cam_high", "cam_left_wrist", "cam_right_wrist"]

#: Frame order of the 7-frame latent sequence.
FRAME_ORDER: List[str] = ["blank", "state", "cam_high", "cam_left_wrist", "cam_right_wrist", "future_state", "value"]
NUM_FRAMES = 7
NUM_COND = 5  # frames 0..4 are clean conditioning
IDX_STATE, IDX_FUTURE, IDX_VALUE = 1, 5, 6

LAMBDA_PROP = 0.5
LAMBDA_VAL = 1.0
NORM_EPS = 1e-8


@dataclass
class VivaConfig:
    image_size: int = 128          # square input images, H = W
    latent_channels: int = 16      # C'
    enc_channels: Sequence[int] = (32, 64, 96, 128)  # one stride-2 stage each -> downsample 2**len
    state_dim: int = 14
    patch: int = 2
    hidden: int = 192
    depth: int = 4
    heads: int = 6
    mlp_ratio: float = 4.0
    num_tasks: int = 1
    shift: float = 5.0
    num_train_timesteps: int = 1000
    default_steps: int = 1
    baseline_bins: int = 201
    baseline_hidden: int = 256

    @property
    def latent_size(self) -> int:
        return self.image_size // (2 ** len(self.enc_channels))

    @property
    def latent_shape(self):
        return (self.latent_channels, self.latent_size, self.latent_size)

    def to_dict(self):
        d = asdict(self)
        d["enc_channels"] = list(self.enc_channels)
        return d

    @staticmethod
    def from_dict(d):
        d = dict(d)
        d["enc_channels"] = tuple(d["enc_channels"])
        return VivaConfig(**d)


# ----------------------------------------------------------------------------------------------------------------
# Low-dimensional injection and readout
# ----------------------------------------------------------------------------------------------------------------

def pad_state(q_norm: torch.Tensor, C: int, H: int, W: int) -> torch.Tensor:
    """Repeat-padding: tile the (normalized) D-vector end to end to C*H*W elements, truncate, reshape.

    q_norm: [..., D] -> [..., C, H, W]. Element j of the flattened frame is ``q[j % D]``.
    """
    D = int(q_norm.shape[-1])
    n = C * H * W
    reps = -(-n // D)  # ceil, plain int
    lead = tuple(q_norm.shape[:-1])
    flat = q_norm.repeat(*([1] * len(lead)), reps)[..., :n]
    return flat.reshape(*lead, C, H, W)


def unpad_state(frame: torch.Tensor, D: int) -> torch.Tensor:
    """Inverse of repeat-padding: view the flattened frame as consecutive copies of length D and average the copies
    element-wise; the last partial copy contributes only to the elements it covers.

    frame: [..., C, H, W] -> [..., D]
    """
    lead = tuple(frame.shape[:-3])
    n = int(frame.shape[-3] * frame.shape[-2] * frame.shape[-1])
    flat = frame.reshape(*lead, n)
    full = n // D
    rem = n - full * D
    total = flat[..., : full * D].reshape(*lead, full, D).sum(-2) if full > 0 else torch.zeros(*lead, D)
    counts = torch.full((D,), float(full))
    if rem > 0:
        tail = flat[..., full * D:]
        total = torch.cat([total[..., :rem] + tail, total[..., rem:]], dim=-1)
        counts[:rem] += 1.0
    return total / counts


def value_frame(v: torch.Tensor, C: int, H: int, W: int) -> torch.Tensor:
    """Broadcast a value latent ``v`` (shape [...], in [-1, 1]) to every element of a [..., C, H, W] frame."""
    return v[..., None, None, None].expand(*v.shape, C, H, W).contiguous()


def read_value(frame: torch.Tensor) -> torch.Tensor:
    """Value readout: mean over the frame, then clamp((mean + 1) / 2, 0, 1). Returns *progress* (see below)."""
    m = frame.mean(dim=(-3, -2, -1))
    return ((m + 1.0) / 2.0).clamp(0.0, 1.0)


def normalize_state(s: torch.Tensor, smin: torch.Tensor, smax: torch.Tensor) -> torch.Tensor:
    """Training-set min/max normalization to [-1, 1]: clamp, then (s-min)/(max-min+1e-8)*2-1."""
    s = torch.max(torch.min(s, smax), smin)
    return (s - smin) / (smax - smin + NORM_EPS) * 2.0 - 1.0


def denormalize_state(x: torch.Tensor, smin: torch.Tensor, smax: torch.Tensor) -> torch.Tensor:
    """Inverse of ``normalize_state`` (exact inside [min, max])."""
    return (x + 1.0) / 2.0 * (smax - smin + NORM_EPS) + smin


# ----------------------------------------------------------------------------------------------------------------
# Value targets and the value convention
# ----------------------------------------------------------------------------------------------------------------

def value_targets(T: int, success: bool) -> torch.Tensor:
    """Paper eq. (1)-(2): returns G_t for the T frames of one episode.

    The paper indexes steps t = 1..T; frame index i = 0..T-1 in a dataset is step t = i + 1, so
        G(i) = (T - 1 - i) / T          for a success  (first frame (T-1)/T, last frame 0)
        G(i) = (T - 1 - i) / T + 1      for a failure  (first frame (2T-1)/T, last frame 1)
    Success returns lie in [0, 1), failure returns in [1, 2) ("cost to go": lower is better).
    """
    i = torch.arange(T, dtype=torch.float64)
    g = (T - 1 - i) / T
    if not success:
        g = g + 1.0
    return g.float()


def return_to_latent(G: torch.Tensor) -> torch.Tensor:
    """Value-latent target in [-1, 1] for a return G in [0, 2]: v = 1 - G.

    With this mapping ``read_value`` = clamp((v + 1) / 2, 0, 1) = 1 - G / 2 is directly the app's *progress*."""
    return 1.0 - G


def latent_to_progress(v: torch.Tensor) -> torch.Tensor:
    """Scalar value latent (mean of the value frame) -> progress in [0, 1] = clamp((v + 1) / 2, 0, 1)."""
    return ((v + 1.0) / 2.0).clamp(0.0, 1.0)


def return_to_progress(G: torch.Tensor) -> torch.Tensor:
    """App display convention: progress = 1 - G/2 in [0, 1]; higher = closer to success. Successes end at 1 and
    lie in (0.5, 1]; failures lie in (0, 0.5] and end at 0.5 (i.e. failures are always below successes)."""
    return 1.0 - G / 2.0


def progress_to_return(p: torch.Tensor) -> torch.Tensor:
    """Inverse of ``return_to_progress``: G = 2 (1 - p)."""
    return 2.0 * (1.0 - p)


# ----------------------------------------------------------------------------------------------------------------
# Flow-matching scheduler (Wan / DiffSynth FlowMatchScheduler, extra_one_step, sigma_min = 0)
# ----------------------------------------------------------------------------------------------------------------

def shift_sigma(s, shift: float):
    """sigma' = shift * sigma / (1 + (shift - 1) * sigma)."""
    return shift * s / (1.0 + (shift - 1.0) * s)


def inference_sigmas(steps: int, shift: float) -> List[float]:
    """Sigmas of an N-step sampler: linspace(1, 0, N + 1)[:-1], shifted; the step after the last one goes to 0."""
    base = torch.linspace(1.0, 0.0, steps + 1, dtype=torch.float64)[:-1]
    return [float(x) for x in shift_sigma(base, shift)]


def train_sigmas(num_train_timesteps: int, shift: float) -> torch.Tensor:
    """The 1000 training sigmas (same construction with N = num_train_timesteps); training samples one uniformly."""
    base = torch.linspace(1.0, 0.0, num_train_timesteps + 1, dtype=torch.float64)[:-1]
    return shift_sigma(base, shift).float()


def euler_step(x: torch.Tensor, v: torch.Tensor, sigma: float, sigma_next: float) -> torch.Tensor:
    return x + v * (sigma_next - sigma)


# ----------------------------------------------------------------------------------------------------------------
# Image autoencoder (VAE-style)
# ----------------------------------------------------------------------------------------------------------------

def _gn(c: int) -> nn.GroupNorm:
    return nn.GroupNorm(8 if c % 8 == 0 else 1, c)


class ResBlock(nn.Module):
    def __init__(self, c: int):
        super().__init__()
        self.n1, self.c1 = _gn(c), nn.Conv2d(c, c, 3, padding=1)
        self.n2, self.c2 = _gn(c), nn.Conv2d(c, c, 3, padding=1)

    def forward(self, x):
        h = self.c1(F.silu(self.n1(x)))
        h = self.c2(F.silu(self.n2(h)))
        return x + h


class ImageEncoder(nn.Module):
    """Image in [-1, 1], [B, 3, H, W] -> latent [B, C', H/2^k, W/2^k].

    ``forward`` returns the *normalized* posterior mean ((mu - latent_mean) / latent_std, per channel; the stats are
    buffers set after autoencoder training so that latents are roughly unit-scale like Wan's normalized latents).
    ``moments`` returns the raw (mu, logvar) for autoencoder training."""

    def __init__(self, cfg: VivaConfig):
        super().__init__()
        chs = list(cfg.enc_channels)
        layers: List[nn.Module] = [nn.Conv2d(3, chs[0], 3, padding=1)]
        cin = chs[0]
        for c in chs:
            layers += [nn.Conv2d(cin, c, 4, stride=2, padding=1), ResBlock(c)]
            cin = c
        layers += [_gn(cin), nn.SiLU(), nn.Conv2d(cin, 2 * cfg.latent_channels, 3, padding=1)]
        self.net = nn.Sequential(*layers)
        self.C = cfg.latent_channels
        self.register_buffer("latent_mean", torch.zeros(1, cfg.latent_channels, 1, 1))
        self.register_buffer("latent_std", torch.ones(1, cfg.latent_channels, 1, 1))

    def moments(self, x):
        h = self.net(x)
        return h[:, : self.C], h[:, self.C:].clamp(-20.0, 10.0)

    def forward(self, x):
        mu, _ = self.moments(x)
        return (mu - self.latent_mean) / self.latent_std


class ImageDecoder(nn.Module):
    """Raw (un-normalized) latent -> image in [-1, 1]; used only for autoencoder training."""

    def __init__(self, cfg: VivaConfig):
        super().__init__()
        chs = list(cfg.enc_channels)[::-1]
        layers: List[nn.Module] = [nn.Conv2d(cfg.latent_channels, chs[0], 3, padding=1)]
        cin = chs[0]
        for c in chs:
            layers += [ResBlock(cin), nn.ConvTranspose2d(cin, c, 4, stride=2, padding=1)]
            cin = c
        layers += [_gn(cin), nn.SiLU(), nn.Conv2d(cin, 3, 3, padding=1)]
        self.net = nn.Sequential(*layers)

    def forward(self, z):
        return torch.tanh(self.net(z))


# ----------------------------------------------------------------------------------------------------------------
# DiT denoiser
# ----------------------------------------------------------------------------------------------------------------

def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10000.0) -> torch.Tensor:
    """Sinusoidal embedding of timesteps t (= sigma * num_train_timesteps), [B] -> [B, dim]."""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.cos(args), torch.sin(args)], dim=-1)


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, tokens: int):
        super().__init__()
        self.h, self.d, self.n = heads, dim // heads, tokens
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        qkv = self.qkv(x).reshape(-1, self.n, 3, self.h, self.d).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = torch.softmax(torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(self.d)), dim=-1)
        out = torch.matmul(att, v).permute(0, 2, 1, 3).reshape(-1, self.n, self.h * self.d)
        return self.proj(out)


class DiTBlock(nn.Module):
    def __init__(self, dim: int, heads: int, tokens: int, mlp_ratio: float):
        super().__init__()
        self.n1 = nn.LayerNorm(dim, eps=1e-6)  # affine kept (export pitfall), modulation on top
        self.attn = Attention(dim, heads, tokens)
        self.n2 = nn.LayerNorm(dim, eps=1e-6)
        hid = int(dim * mlp_ratio)
        self.mlp = nn.Sequential(nn.Linear(dim, hid), nn.GELU(approximate="tanh"), nn.Linear(hid, dim))
        self.ada = nn.Sequential(nn.SiLU(), nn.Linear(dim, 6 * dim))
        nn.init.zeros_(self.ada[1].weight)
        nn.init.zeros_(self.ada[1].bias)

    def forward(self, x, c):
        sh1, sc1, g1, sh2, sc2, g2 = self.ada(c)[:, None].chunk(6, dim=-1)
        x = x + g1 * self.attn(self.n1(x) * (1 + sc1) + sh1)
        x = x + g2 * self.mlp(self.n2(x) * (1 + sc2) + sh2)
        return x


class DiT(nn.Module):
    """Denoiser over the 7-frame latent sequence.

    forward(latents [B, 7, C', H', W'], sigma [B], task_id [B] int64) -> velocity [B, 7, C', H', W'].
    The timestep fed to the embedding is sigma * num_train_timesteps. Velocity is predicted for every frame; only
    the two target frames are used (loss and sampler)."""

    def __init__(self, cfg: VivaConfig):
        super().__init__()
        self.cfg = cfg
        C, S, p = cfg.latent_channels, cfg.latent_size, cfg.patch
        assert S % p == 0, "latent size must be divisible by the patch size"
        self.C, self.S, self.p, self.g = C, S, p, S // p
        self.tpf = self.g * self.g  # tokens per frame
        self.ntok = NUM_FRAMES * self.tpf
        pd = C * p * p
        D = cfg.hidden
        self.embed = nn.Linear(pd, D)
        self.frame_emb = nn.Parameter(torch.randn(1, NUM_FRAMES, 1, D) * 0.02)
        self.pos_emb = nn.Parameter(torch.randn(1, 1, self.tpf, D) * 0.02)
        self.t_mlp = nn.Sequential(nn.Linear(256, D), nn.SiLU(), nn.Linear(D, D))
        self.task_emb = nn.Embedding(max(1, cfg.num_tasks), D)
        nn.init.normal_(self.task_emb.weight, std=0.02)
        self.blocks = nn.ModuleList([DiTBlock(D, cfg.heads, self.ntok, cfg.mlp_ratio) for _ in range(cfg.depth)])
        self.norm_out = nn.LayerNorm(D, eps=1e-6)
        self.ada_out = nn.Sequential(nn.SiLU(), nn.Linear(D, 2 * D))
        self.out = nn.Linear(D, pd)
        for m in (self.ada_out[1], self.out):
            nn.init.zeros_(m.weight)
            nn.init.zeros_(m.bias)

    def patchify(self, x):
        C, g, p = self.C, self.g, self.p
        x = x.reshape(-1, NUM_FRAMES, C, g, p, g, p).permute(0, 1, 3, 5, 2, 4, 6)
        return x.reshape(-1, NUM_FRAMES, self.tpf, C * p * p)

    def unpatchify(self, x):
        C, g, p = self.C, self.g, self.p
        x = x.reshape(-1, NUM_FRAMES, g, g, C, p, p).permute(0, 1, 4, 2, 5, 3, 6)
        return x.reshape(-1, NUM_FRAMES, C, self.S, self.S)

    def forward(self, latents, sigma, task_id):
        D = self.cfg.hidden
        h = self.embed(self.patchify(latents)) + self.frame_emb + self.pos_emb
        h = h.reshape(-1, self.ntok, D)
        t = sigma * float(self.cfg.num_train_timesteps)
        c = self.t_mlp(timestep_embedding(t, 256)) + self.task_emb(task_id)
        for blk in self.blocks:
            h = blk(h, c)
        sh, sc = self.ada_out(c)[:, None].chunk(2, dim=-1)
        h = self.out(self.norm_out(h) * (1 + sc) + sh)
        return self.unpatchify(h.reshape(-1, NUM_FRAMES, self.tpf, self.C * self.p * self.p))


# ----------------------------------------------------------------------------------------------------------------
# Sequence assembly, loss and sampling
# ----------------------------------------------------------------------------------------------------------------

def build_sequence(cam_latents: torch.Tensor, q_norm: torch.Tensor, cfg: VivaConfig,
                   q_future_norm: Optional[torch.Tensor] = None, v_latent: Optional[torch.Tensor] = None):
    """[blank, q_t, cam_high, cam_left_wrist, cam_right_wrist, q_{t+K}, v_t] as [B, 7, C', H', W'].

    cam_latents: [B, 3, C', H', W'] (normalized encoder outputs in CAMERAS order). Target frames default to zeros."""
    C, S = cfg.latent_channels, cfg.latent_size
    B = cam_latents.shape[0]
    blank = torch.zeros(B, 1, C, S, S)
    zq = pad_state(q_norm, C, S, S)[:, None]
    zf = pad_state(q_future_norm, C, S, S)[:, None] if q_future_norm is not None else torch.zeros(B, 1, C, S, S)
    zv = value_frame(v_latent, C, S, S)[:, None] if v_latent is not None else torch.zeros(B, 1, C, S, S)
    return torch.cat([blank, zq, cam_latents, zf, zv], dim=1)


def flow_matching_loss(dit: DiT, clean: torch.Tensor, task_id: torch.Tensor, sigmas_table: torch.Tensor,
                       generator: Optional[torch.Generator] = None):
    """clean: [B, 7, ...]. Only frames 5, 6 are noised; prefix stays clean. Returns (loss, prop_mse, val_mse)."""
    B = clean.shape[0]
    idx = torch.randint(0, sigmas_table.numel(), (B,), generator=generator)
    sigma = sigmas_table[idx]
    noise = torch.randn(clean[:, NUM_COND:].shape, generator=generator)
    s = sigma[:, None, None, None, None]
    tgt = clean[:, NUM_COND:]
    noisy = torch.cat([clean[:, :NUM_COND], (1 - s) * tgt + s * noise], dim=1)
    v = dit(noisy, sigma, task_id)
    target = noise - tgt
    mse_prop = F.mse_loss(v[:, IDX_FUTURE], target[:, 0])
    mse_val = F.mse_loss(v[:, IDX_VALUE], target[:, 1])
    return LAMBDA_PROP * mse_prop + LAMBDA_VAL * mse_val, mse_prop, mse_val


@torch.no_grad()
def sample(dit: DiT, prefix_seq: torch.Tensor, task_id: torch.Tensor, noise: torch.Tensor, steps: int,
           shift: float):
    """Euler sampler. prefix_seq: [B, 7, ...] (only frames 0..4 used), noise: [B, 2, ...] initial target frames.
    Returns the final [B, 7, ...] sequence (prefix untouched)."""
    sig = inference_sigmas(steps, shift)
    x = noise.clone()
    prefix = prefix_seq[:, :NUM_COND]
    B = prefix.shape[0]
    for i, s in enumerate(sig):
        s_next = sig[i + 1] if i + 1 < len(sig) else 0.0
        v = dit(torch.cat([prefix, x], 1), torch.full((B,), s), task_id)
        x = euler_step(x, v[:, NUM_COND:], s, s_next)
    return torch.cat([prefix, x], 1)


def readout(seq: torch.Tensor, state_dim: int, smin: torch.Tensor, smax: torch.Tensor):
    """Final sequence -> (progress [B], future_state [B, D] in original units)."""
    progress = read_value(seq[:, IDX_VALUE])
    fut = denormalize_state(unpad_state(seq[:, IDX_FUTURE], state_dim), smin, smax)
    return progress, fut


# ----------------------------------------------------------------------------------------------------------------
# Discriminative baseline (pi*0.6-style 201-bin value classifier)
# ----------------------------------------------------------------------------------------------------------------

class DiscriminativeBaseline(nn.Module):
    """Images [B, 3 cams, 3, H, W] in [-1, 1] + normalized state [B, D] + task id -> logits over ``bins`` bins.

    Bin k has centre progress k / (bins - 1) (uniform over progress in [0, 1], equivalently over G in [0, 2]);
    the value is the expected progress under softmax(logits)."""

    def __init__(self, cfg: VivaConfig):
        super().__init__()
        self.cfg = cfg
        chs = list(cfg.enc_channels)
        layers: List[nn.Module] = [nn.Conv2d(3, chs[0], 3, padding=1)]
        cin = chs[0]
        for c in chs:
            layers += [nn.Conv2d(cin, c, 4, stride=2, padding=1), ResBlock(c)]
            cin = c
        layers += [_gn(cin), nn.SiLU()]
        self.trunk = nn.Sequential(*layers)
        self.feat = cin
        S = cfg.latent_size
        self.pool = nn.Linear(cin * S * S, cfg.baseline_hidden)
        H = cfg.baseline_hidden
        self.cam_emb = nn.Parameter(torch.zeros(1, len(CAMERAS), H))
        self.state = nn.Linear(cfg.state_dim, H)
        self.task_emb = nn.Embedding(max(1, cfg.num_tasks), H)
        self.head = nn.Sequential(nn.Linear(H * (len(CAMERAS) + 1), 2 * H), nn.SiLU(), nn.Linear(2 * H, H), nn.SiLU(),
                                  nn.Linear(H, cfg.baseline_bins))
        self.register_buffer("centers", torch.linspace(0.0, 1.0, cfg.baseline_bins))

    def forward(self, images, state_norm, task_id):
        S, H, ncam = self.cfg.latent_size, self.cfg.baseline_hidden, len(CAMERAS)
        x = images.reshape(-1, 3, self.cfg.image_size, self.cfg.image_size)
        f = self.trunk(x).reshape(-1, ncam, self.feat * S * S)
        f = self.pool(f) + self.cam_emb  # [B, 3, H]
        s = self.state(state_norm) + self.task_emb(task_id)
        h = torch.cat([f.reshape(-1, ncam * H), s], dim=-1)
        logits = self.head(h)
        value = (torch.softmax(logits, dim=-1) * self.centers).sum(-1)
        return logits, value

    def progress_to_bin(self, p: torch.Tensor) -> torch.Tensor:
        return torch.round(p.clamp(0, 1) * (self.cfg.baseline_bins - 1)).long()


def count_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
