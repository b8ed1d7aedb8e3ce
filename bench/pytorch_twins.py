#!/usr/bin/env python3
"""PyTorch twins of megflow's registered models, timed like bench/train.ts.

Each twin is the network `buildModel(name, DEFAULT_BENCH_SIGNALS[input], 4, {})` builds in
megflow (models/*.ts, models/layers/*.ts) written with PyTorch's own layers, at the same sizes.
The check that it is the same network: its parameter count (trainable + non-trainable, i.e.
parameters plus BatchNorm running statistics, without `num_batches_tracked`) must equal
megflow's; a twin whose count differs is refused (no timing). The expected counts come from
`--expect name=count,...` (bench/pytorch_reference.ts passes those of the models it has just
built) or, run by hand, from MEGFLOW_PARAMS below. A stronger check, `--check FILE`: the twins
load megflow's (random) weights from a file bench/_twin_check.ts writes and must give megflow's
inference output for the same input (all six agree to float32 precision, log-probabilities within
2e-5); tests/bench/pytorch_reference_test.ts runs it where torch is installed.

Timing as bench/train.ts: a fixed random batch (`[batch, 248, 250]` sensor windows,
`[batch, 250, 20, 20]` grid frames, `[batch, 248, 5]` band powers), Adam lr 1e-3, cross-entropy,
`--warmup` untimed steps, then the median of `--steps` timed training steps (forward, loss,
backward, Adam step, max-norm constraints where megflow has them, loss read back);
windows/s = batch / median seconds; cpuMsPerStep is the process's CPU time (every thread, OpenBLAS'
too) over the timed steps, per step. Inference: eval mode under torch.no_grad(), softmax read
back, one untimed batch then the median of `--steps` batches. Threads: PyTorch's default
(`torch.get_num_threads()`, reported) unless `--threads N`.

Where the twin differs from megflow (same sizes and the same amount of work, different code):
- GRU: PyTorch's fused GRU (`torch.gru`, the op nn.GRU runs) with megflow's single bias (the
  input bias; the recurrent bias is a constant zero, not a parameter), reset gate applied after
  the recurrent product (cuDNN convention) and sigmoid gates; megflow's GRU is Keras'
  `reset_after: false` with hard-sigmoid gates. Same products per step.
- cnn: the textbook EEGNet layers (temporal conv, BatchNorm, depthwise spatial conv), as
  braindecode writes it; megflow computes the same function spatial filter first.
- cascade: the 2x2 stride-2 convolutions are nn.Conv2d; megflow computes them as
  space-to-depth + matMul.
- The loss is F.cross_entropy on logits; megflow takes the log of its softmax output.

Prints one JSON object on stdout (last line):
  {"torch": ..., "python": ..., "threads": n, "interopThreads": n, "batchSize": 32,
   "models": {name: {"params", "trainableParams", "nonTrainableParams", "expectedParams",
   "windowsPerSecond", "msPerStep", "cpuMsPerStep", "stepMs", "inferenceWindowsPerSecond", "steps"}
   | {"params", "expectedParams", "refused": "why"}}}

Usage: python3 bench/pytorch_twins.py [--models cnn,gru] [--steps 5] [--warmup 2]
       [--batch 32] [--expect cnn=5604,gru=45188] [--threads N] [--count-only]
       python3 bench/pytorch_twins.py --check FILE

Not run in CI (CI has no torch); bench/pytorch_reference.ts, which runs it, is tested with a
stand-in Python.
"""

import argparse
import base64
import json
import math
import re
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# megflow's counts at the benchmark sizes (deno: buildModel(name, DEFAULT_BENCH_SIGNALS[input], 4).countParams()).
MEGFLOW_PARAMS = {
    "cnn": 5604,
    "gru": 45188,
    "vivit": 23460,
    "vivit_cross": 23460,
    "vivit_wide": 463876,
    "spectral": 44804,
    "cascade": 92068,
    "tsa": 51940,
}

N_CLASSES = 4
SHAPES = {"channels": (248, 250), "grid": (250, 20, 20), "bands": (248, 5)}
KERAS_BN = {"eps": 1e-3, "momentum": 0.1}  # Keras epsilon; megflow's momentum 0.9 in PyTorch's convention


# ---------------------------------------------------------------------------------------------
# Shared layers


class Gru(nn.Module):
    """A GRU over `[batch, steps, features]` with megflow's weights: kernel, recurrent kernel, one bias."""

    def __init__(self, features, units):
        super().__init__()
        self.weight_ih = nn.Parameter(torch.empty(3 * units, features))
        self.weight_hh = nn.Parameter(torch.empty(3 * units, units))
        self.bias = nn.Parameter(torch.zeros(3 * units))
        nn.init.xavier_normal_(self.weight_ih)
        nn.init.orthogonal_(self.weight_hh)
        self.units = units
        self.zero_bias = torch.zeros(3 * units)  # not a parameter: megflow's GRU has one bias
        self.keras = False  # --check: megflow's formula (gates z, r, h; hard sigmoid; reset before the product)

    def forward(self, x):
        if self.keras:
            return self.keras_forward(x)
        h0 = torch.zeros(1, x.shape[0], self.units)
        params = [self.weight_ih, self.weight_hh, self.bias, self.zero_bias]
        out, _ = torch.gru(x, h0, params, True, 1, 0.0, self.training, False, True)
        return out


    def keras_forward(self, x):
        """megflow's GRU step by step, with the weights in its gate order (z, r, h): for --check only."""
        u = self.units
        xw = x @ self.weight_ih.T + self.bias
        h = torch.zeros(x.shape[0], u)
        out = []
        for t in range(x.shape[1]):
            a = h @ self.weight_hh[: 2 * u].T
            z = torch.clamp(0.2 * (xw[:, t, :u] + a[:, :u]) + 0.5, 0, 1)
            r = torch.clamp(0.2 * (xw[:, t, u : 2 * u] + a[:, u:]) + 0.5, 0, 1)
            hh = torch.tanh(xw[:, t, 2 * u :] + (r * h) @ self.weight_hh[2 * u :].T)
            h = z * h + (1 - z) * hh
            out.append(h)
        return torch.stack(out, 1)


class AttentionPooling(nn.Module):
    """megflow's AttentionPooling: softmax over time of `tanh(h W + b) c`, weighted sum of `h`."""

    def __init__(self, features, units):
        super().__init__()
        self.hidden = nn.Linear(features, units)
        self.context = nn.Parameter(torch.empty(units, 1))
        nn.init.xavier_uniform_(self.context)

    def forward(self, h):  # [batch, steps, features]
        weights = torch.softmax((torch.tanh(self.hidden(h)) @ self.context).squeeze(-1), -1)
        return (weights.unsqueeze(1) @ h).squeeze(1)


def split_heads(y, heads, key_dim):
    """`[..., n, heads * key_dim]` -> `[..., heads, n, key_dim]`."""
    return y.reshape(*y.shape[:-1], heads, key_dim).transpose(-2, -3)


def merge_heads(y):
    """`[..., heads, n, key_dim]` -> `[..., n, heads * key_dim]`."""
    y = y.transpose(-2, -3)
    return y.reshape(*y.shape[:-2], y.shape[-2] * y.shape[-1])


class SelfAttention(nn.Module):
    """megflow's MultiHeadSelfAttention: attends within each sequence of `[..., seqLen, dim]`."""

    def __init__(self, dim, heads, key_dim):
        super().__init__()
        self.heads, self.key_dim = heads, key_dim
        self.qkv = nn.Linear(dim, 3 * heads * key_dim)
        self.out = nn.Linear(heads * key_dim, dim)

    def forward(self, x):
        shape = x.shape
        x = x.reshape(-1, shape[-2], shape[-1])
        n, length, _ = x.shape
        qkv = self.qkv(x).reshape(n, length, 3, self.heads, self.key_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]  # [n, heads, length, key_dim]
        weights = torch.softmax((q * (1 / math.sqrt(self.key_dim))) @ k.transpose(-1, -2), -1)
        return self.out(merge_heads(weights @ v)).reshape(shape)


class Mlp(nn.Module):
    """Pre-LayerNorm MLP branch: LN, dense + activation, dropout, dense, dropout."""

    def __init__(self, dim, hidden, drop):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.hidden = nn.Linear(dim, hidden)
        self.output = nn.Linear(hidden, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x):
        return self.drop(self.output(self.drop(F.gelu(self.hidden(self.norm(x))))))


class AttentionBlock(nn.Module):
    """Pre-LayerNorm transformer block over the second-to-last axis (vivit's `block`)."""

    def __init__(self, dim, heads, key_dim, mlp_ratio, drop):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.attention = SelfAttention(dim, heads, key_dim)
        self.drop = nn.Dropout(drop)
        self.mlp = Mlp(dim, mlp_ratio * dim, drop)

    def forward(self, x):
        x = x + self.drop(self.attention(self.norm(x)))
        return x + self.mlp(x)


# ---------------------------------------------------------------------------------------------
# The models (defaults of models/*.ts)


class Cnn(nn.Module):
    """EEGNet-8,2 (models/cnn.ts), the textbook layer order."""

    def __init__(self, n_chans=248, f1=8, depth=2, f2=16, kern=64, sep_kern=16, drop=0.25):
        super().__init__()
        self.temporal = nn.Conv2d(1, f1, (1, kern), padding="same", bias=False)
        self.temporal_bn = nn.BatchNorm2d(f1, **KERAS_BN)
        self.spatial = nn.Conv2d(f1, f1 * depth, (n_chans, 1), groups=f1, bias=False)
        self.spatial_bn = nn.BatchNorm2d(f1 * depth, **KERAS_BN)
        self.depthwise = nn.Conv2d(f1 * depth, f1 * depth, (1, sep_kern), padding="same", groups=f1 * depth, bias=False)
        self.pointwise = nn.Conv2d(f1 * depth, f2, 1, bias=False)
        self.separable_bn = nn.BatchNorm2d(f2, **KERAS_BN)
        self.drop = nn.Dropout(drop)
        self.classifier = nn.Linear(f2 * 7, N_CLASSES)

    def forward(self, x):  # [batch, 248, 250]
        x = self.spatial(self.temporal_bn(self.temporal(x.unsqueeze(1))))
        x = self.drop(F.avg_pool2d(F.elu(self.spatial_bn(x)), (1, 4)))
        x = self.separable_bn(self.pointwise(self.depthwise(x)))
        x = self.drop(F.avg_pool2d(F.elu(x), (1, 8)))
        return self.classifier(x.flatten(1))

    def constrain(self):
        """megflow's max-norm constraints, applied after every update (training/train_step.ts)."""
        with torch.no_grad():
            self.spatial.weight.copy_(torch.renorm(self.spatial.weight, 2, 0, 1.0))
            self.classifier.weight.copy_(torch.renorm(self.classifier.weight, 2, 0, 0.25))


class GruAttention(nn.Module):
    """models/gru_attention.ts: time pooling, sensor projection, GRU, attention pooling."""

    def __init__(self, n_chans=248, projection=64, units=64, attention=64, drop=0.25):
        super().__init__()
        self.projection = nn.Linear(n_chans, projection)
        self.gru = Gru(projection, units)
        self.pooling = AttentionPooling(units, attention)
        self.drop = nn.Dropout(drop)
        self.classifier = nn.Linear(units, N_CLASSES)

    def forward(self, x):  # [batch, 248, 250]
        x = F.avg_pool1d(x, 2).transpose(1, 2)  # [batch, 125, 248]
        return self.classifier(self.drop(self.pooling(self.gru(self.projection(x)))))


class Vivit(nn.Module):
    """models/vivit.ts: tubelet stem, spatial then temporal transformer (VIVIT_DEFAULTS: the cross recipe's
    network, 8 spatial filters, 8 FIR cell filters of 32 taps, log mean powers per whole-grid 50-sample tubelet,
    linear tokens, no spatial blocks, 2 temporal blocks, 32-wide tokens).

    With `cell_filters` (the recipe's `cellFilters`) and no `cell_filter_taps`: each cell's `t` samples of a
    time group first go through `cell_filters` filters (no bias) and a BatchNorm, and the tubelets
    `[1, h, w * cell_filters]` are cut from the `[groups, rows, cols * cell_filters]` filter outputs.
    With `spatial_filters` S as well (`spatialFilters`, whole-grid tubelets only): each filter's
    outputs over all cells are mixed by the same S spatial filters (no bias), and each time group is
    one tubelet of the `cell_filters * S` values (filter-major).
    With `cell_filter_taps` K (`cellFilterTaps`, needs S; vivit.ts `bandPowerLayers`): every frame's cells
    mixed by the S spatial filters first, each spatial filter's series through the same `cell_filters` FIR
    filters of K taps over the whole window (TemporalFilterBank: a cross-correlation, zero-padded
    floor((K - 1) / 2) samples before and the rest after, no bias), each output's log(1 + mean square) over
    every tubelet's `t` samples (LogMeanPower), a BatchNorm over the S * cell_filters values (spatial-filter
    major), and each time group is one tubelet of them.
    `stem`: "energy" projects each tubelet to `2 * dim`, squares and mixes with a Dense without bias;
    "linear" projects to `dim`.
    """

    def __init__(self, tubelet=(50, 20, 20), grid=(250, 20, 20), dim=32, heads=2, key_dim=16, depth=2, drop=0.1,
                 spatial_depth=0, cell_filters=8, spatial_filters=8, cell_filter_taps=32, stem="linear"):
        super().__init__()
        t, h, w = tubelet
        self.cell_filters, self.n_spatial_filters, self.taps, self.stem = cell_filters, spatial_filters, cell_filter_taps, stem
        if cell_filters > 0:
            cells = grid[1] * grid[2]
            self.cell_pieces = (grid[0] // t, t, cells)
            if cell_filter_taps > 0:
                self.pool = t
                self.cell = nn.Conv1d(1, cell_filters, cell_filter_taps, bias=False)
                self.cell_padding = ((cell_filter_taps - 1) // 2, cell_filter_taps - 1 - (cell_filter_taps - 1) // 2)
                self.cell_norm = nn.BatchNorm1d(cell_filters * spatial_filters, **{"eps": 1e-3, "momentum": 0.01})
            else:
                self.cell = nn.Linear(t, cell_filters, bias=False)
                self.cell_norm = nn.BatchNorm1d(cell_filters, **{"eps": 1e-3, "momentum": 0.01})
            if spatial_filters > 0:
                self.spatial_filters = nn.Linear(cells, spatial_filters, bias=False)
                grid, tubelet = (grid[0] // t, 1, cell_filters * spatial_filters), (1, 1, cell_filters * spatial_filters)
            else:
                grid, tubelet = (grid[0] // t, grid[1], grid[2] * cell_filters), (1, h, w * cell_filters)
            t, h, w = tubelet
        self.tubelet, self.grid = tubelet, grid
        self.groups = grid[0] // t
        self.patches = (grid[1] // h) * (grid[2] // w)
        if stem == "energy":
            self.embedding = nn.Linear(t * h * w, 2 * dim)
            self.energy = nn.Linear(2 * dim, dim, bias=False)
        else:
            self.embedding = nn.Linear(t * h * w, dim)
        self.stem_norm = nn.BatchNorm1d(dim, **{"eps": 1e-3, "momentum": 0.01})  # Keras' default 0.99
        self.spatial_position = nn.Parameter(torch.randn(self.patches, dim) * 0.02)
        spatial_depth = depth if spatial_depth is None else spatial_depth
        self.spatial = nn.Sequential(*[AttentionBlock(dim, heads, key_dim, 2, drop) for _ in range(spatial_depth)])
        self.spatial_norm = nn.LayerNorm(dim)
        self.temporal_position = nn.Parameter(torch.randn(self.groups, dim) * 0.02)
        self.temporal = nn.Sequential(*[AttentionBlock(dim, heads, key_dim, 2, drop) for _ in range(depth)])
        self.head_norm = nn.LayerNorm(dim)
        self.drop = nn.Dropout(drop)
        self.classifier = nn.Linear(dim, N_CLASSES)
        nn.init.zeros_(self.classifier.weight)

    def band_powers(self, x):
        """`[batch, times, rows, cols]` -> `[batch, groups, S * cell_filters]`: vivit.ts `bandPowerLayers`."""
        b, n = x.shape[0], x.shape[1]
        x = self.spatial_filters(x.reshape(b, n, -1))  # [batch, times, S]
        s = x.shape[-1]
        x = F.pad(x.transpose(1, 2).reshape(b * s, 1, n), self.cell_padding)
        x = self.cell(x).reshape(b, s * self.cell_filters, n // self.pool, self.pool)  # rows: spatial filter major
        x = torch.log1p(torch.square(x).mean(-1))  # [batch, S * cell_filters, groups]
        return self.cell_norm(x).transpose(1, 2)

    def forward(self, x):  # [batch, 250, 20, 20]
        b = x.shape[0]
        if self.cell_filters > 0 and self.taps > 0:
            x = self.band_powers(x)
        elif self.cell_filters > 0:
            x = self.cell(x.reshape(b, *self.cell_pieces).transpose(2, 3))  # [batch, groups, cells, filters]
            x = self.cell_norm(x.reshape(-1, self.cell_filters)).reshape(b, *self.cell_pieces[:1], -1, self.cell_filters)
            if self.n_spatial_filters > 0:
                x = self.spatial_filters(x.transpose(2, 3))  # [batch, groups, filters, spatial filters]
        t, h, w = self.tubelet
        x = x.reshape(b, self.groups, t, self.grid[1] // h, h, self.grid[2] // w, w)
        x = x.permute(0, 1, 3, 5, 4, 6, 2).reshape(b, self.groups, self.patches, t * h * w)
        x = self.embedding(x)
        if self.stem == "energy":
            x = self.energy(torch.square(x))  # [batch, groups, patches, dim]
        x = self.stem_norm(x.reshape(-1, x.shape[-1])).reshape(x.shape)
        x = self.spatial(self.drop(x + self.spatial_position))
        x = self.spatial_norm(x).mean(2) + self.temporal_position  # [batch, groups, dim]
        x = self.temporal(x).mean(1)
        return self.classifier(self.drop(self.head_norm(x)))


def vivit_cross():
    """The network train-cross trains for vivit (training/model_recipes.ts `vivit.cross.modelOptions`)."""
    return Vivit(tubelet=(50, 20, 20), dim=32, heads=2, spatial_depth=0, depth=2, cell_filters=8, spatial_filters=8,
                 cell_filter_taps=32, stem="linear")


def vivit_wide():
    """vivit's registry default before session 21 (bench/train.ts `vivit_wide`), a network no recipe trains."""
    return Vivit(tubelet=(25, 10, 10), dim=64, heads=4, spatial_depth=2, cell_filters=0, spatial_filters=0,
                 cell_filter_taps=0, stem="energy")


class Spectral(nn.Module):
    """models/spectral.ts: BatchNorm-standardised band powers, one hidden layer."""

    def __init__(self, n_features=248 * 5, hidden=32, drop=0.25):
        super().__init__()
        self.standardise = nn.BatchNorm1d(n_features, **KERAS_BN)
        self.hidden = nn.Linear(n_features, hidden)
        self.drop = nn.Dropout(drop)
        self.classifier = nn.Linear(hidden, N_CLASSES)

    def forward(self, x):  # [batch, 248, 5]
        x = self.drop(self.standardise(x.flatten(1)))
        return self.classifier(self.drop(F.relu(self.hidden(x))))


class Cascade(nn.Module):
    """models/cascade.ts (AA-CascadeNet): frame CNN on stacks of 10 frames, GRU, attention."""

    def __init__(self, depth=10, filters=(16, 32), frame_units=64, units=64, heads=2, key_dim=16, drop=0.25):
        super().__init__()
        self.depth = depth
        self.conv1 = nn.Conv2d(depth, filters[0], 2, stride=2, bias=False)
        self.bn1 = nn.BatchNorm2d(filters[0], **{"eps": 1e-3, "momentum": 0.01})
        self.conv2 = nn.Conv2d(filters[0], filters[1], 2, stride=2, bias=False)
        self.bn2 = nn.BatchNorm2d(filters[1], **{"eps": 1e-3, "momentum": 0.01})
        self.frame_linear = nn.Linear(filters[1] * 25, frame_units, bias=False)
        self.frame_bn = nn.BatchNorm1d(frame_units, **{"eps": 1e-3, "momentum": 0.01})
        self.drop = nn.Dropout(drop)
        self.gru = Gru(frame_units, units)
        self.attention_norm = nn.LayerNorm(units)
        self.attention = SelfAttention(units, heads, key_dim)
        self.pooling = AttentionPooling(units, 64)
        self.classifier = nn.Linear(units, N_CLASSES)

    def forward(self, x):  # [batch, 250, 20, 20]
        b, n_times, rows, cols = x.shape
        x = F.avg_pool1d(x.reshape(b, n_times, rows * cols).transpose(1, 2), 2)  # [batch, 400, 125]
        steps = x.shape[2] // self.depth
        x = x[:, :, : steps * self.depth].reshape(b, rows, cols, steps, self.depth)
        x = x.permute(0, 3, 4, 1, 2).reshape(b * steps, self.depth, rows, cols)  # stacks as channels
        x = F.elu(self.bn1(self.conv1(x)))
        x = F.elu(self.bn2(self.conv2(x)))
        x = self.drop(F.elu(self.frame_bn(self.frame_linear(x.flatten(1)))))
        h = self.gru(x.reshape(b, steps, -1))
        h = h + self.drop(self.attention(self.attention_norm(h)))
        return self.classifier(self.drop(self.pooling(h)))


class RouterAttention(nn.Module):
    """models/layers/router_attention.ts: routers gather from the sensors, sensors read them back."""

    def __init__(self, n_segs, routers, dim, heads, key_dim):
        super().__init__()
        inner = heads * key_dim
        self.heads, self.key_dim = heads, key_dim
        self.routers = nn.Parameter(torch.randn(n_segs, routers, dim) * 0.02)
        names = ["gather_query", "gather_key", "gather_value", "distribute_query", "distribute_key", "distribute_value"]
        self.proj = nn.ModuleDict({name: nn.Linear(dim, inner) for name in names})
        self.gather_output = nn.Linear(inner, dim)
        self.distribute_output = nn.Linear(inner, dim)

    def attend(self, q, k, v):
        scale = 1 / math.sqrt(self.key_dim)
        heads = [split_heads(y, self.heads, self.key_dim) for y in (q, k, v)]
        weights = torch.softmax((heads[0] * scale) @ heads[1].transpose(-1, -2), -1)
        return merge_heads(weights @ heads[2])

    def forward(self, x):  # [batch, sensors, segments, dim]
        tokens = x.transpose(1, 2)  # [batch, segments, sensors, dim]
        p = self.proj
        routers = p["gather_query"](self.routers).expand(x.shape[0], -1, -1, -1)
        buffer = self.gather_output(self.attend(routers, p["gather_key"](tokens), p["gather_value"](tokens)))
        out = self.attend(p["distribute_query"](tokens), p["distribute_key"](buffer), p["distribute_value"](buffer))
        return self.distribute_output(out).transpose(1, 2)


class Tsa(nn.Module):
    """models/tsa.ts (Crossformer two-stage attention), depth 1."""

    def __init__(self, n_chans=248, n_times=250, projection=32, seg_len=25, dim=32, heads=2, key_dim=16, routers=4, drop=0.1):
        super().__init__()
        self.seg_len = seg_len
        n_segs = n_times // seg_len
        self.projection = nn.Linear(n_chans, projection, bias=False)
        self.segment = nn.Linear(seg_len, dim)
        self.position = nn.Parameter(torch.randn(projection, n_segs, dim) * 0.02)
        self.embed_hidden = nn.Linear(dim, 2 * dim)
        self.embed_output = nn.Linear(2 * dim, dim)
        self.drop = nn.Dropout(drop)
        self.time_norm = nn.LayerNorm(dim)
        self.time_attention = SelfAttention(dim, heads, key_dim)
        self.time_mlp = Mlp(dim, 2 * dim, drop)
        self.sensor_norm = nn.LayerNorm(dim)
        self.sensor_attention = RouterAttention(n_segs, routers, dim, heads, key_dim)
        self.sensor_mlp = Mlp(dim, 2 * dim, drop)
        self.head_norm = nn.LayerNorm(projection * dim)
        self.classifier = nn.Linear(projection * dim, N_CLASSES)

    def forward(self, x):  # [batch, 248, 250]
        b = x.shape[0]
        x = self.projection(x.transpose(1, 2)).transpose(1, 2)  # [batch, 32, 250]
        x = self.segment(x.reshape(b, x.shape[1], -1, self.seg_len)) + self.position  # [batch, 32, 10, 32]
        x = self.drop(x + self.embed_output(F.gelu(self.embed_hidden(x))))
        x = x + self.drop(self.time_attention(self.time_norm(x)))
        x = x + self.time_mlp(x)
        x = x + self.drop(self.sensor_attention(self.sensor_norm(x)))
        x = x + self.sensor_mlp(x)
        return self.classifier(self.drop(self.head_norm(x.mean(2).flatten(1))))


TWINS = {
    "cnn": ("channels", Cnn),
    "gru": ("channels", GruAttention),
    "vivit": ("grid", Vivit),
    "vivit_cross": ("grid", vivit_cross),
    "vivit_wide": ("grid", vivit_wide),
    "spectral": ("bands", Spectral),
    "cascade": ("grid", Cascade),
    "tsa": ("channels", Tsa),
}


# ---------------------------------------------------------------------------------------------
# Counting and timing


def count_params(model):
    """(trainable, non-trainable): parameters, and buffers other than BatchNorm's step counter."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    buffers = sum(b.numel() for name, b in model.named_buffers() if not name.endswith("num_batches_tracked"))
    return trainable, frozen + buffers


def train_step(model, optimizer, xs, ys):
    optimizer.zero_grad(set_to_none=True)
    loss = F.cross_entropy(model(xs), ys)
    loss.backward()
    optimizer.step()
    if hasattr(model, "constrain"):
        model.constrain()
    return loss.item()


def predict(model, xs):
    with torch.no_grad():
        return torch.softmax(model(xs), -1).numpy()


def timed(fn, count):
    times = []
    for _ in range(count):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def bench_model(name, expected, steps, warmup, batch, count_only):
    layout, make = TWINS[name]
    torch.manual_seed(20240501)
    model = make()
    trainable, non_trainable = count_params(model)
    result = {
        "params": trainable + non_trainable,
        "trainableParams": trainable,
        "nonTrainableParams": non_trainable,
        "expectedParams": expected,
    }
    if expected is not None and result["params"] != expected:
        result["refused"] = f"the twin has {result['params']} parameters, megflow's {name} has {expected}: not the same network"
        return result
    if count_only:
        return result
    xs = torch.randn(batch, *SHAPES[layout])
    ys = torch.arange(batch) % N_CLASSES
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(warmup):
        train_step(model, optimizer, xs, ys)
    cpu_started = time.process_time()
    step_s = timed(lambda: train_step(model, optimizer, xs, ys), steps)
    cpu_s = time.process_time() - cpu_started
    model.eval()
    if warmup > 0:
        predict(model, xs)
    infer_s = timed(lambda: predict(model, xs), steps)
    median = statistics.median(step_s)
    result.update({
        "windowsPerSecond": batch / median,
        "msPerStep": median * 1000,
        "cpuMsPerStep": cpu_s * 1000 / steps,
        "stepMs": [round(s * 1000, 2) for s in step_s],
        "inferenceWindowsPerSecond": batch / statistics.median(infer_s),
        "steps": steps,
    })
    return result


# ---------------------------------------------------------------------------------------------
# --check: megflow's weights into the twin, same output (bench/_twin_check.ts writes the file)


def unpack(packed):
    """bench/_twin_check.ts' `{shape, float32}` (base64 of little-endian float32) as a tensor."""
    return torch.frombuffer(bytearray(base64.b64decode(packed["float32"])), dtype=torch.float32).reshape(packed["shape"])


class Weights:
    """megflow's weights by name (`layer/weight`, without tfjs' `_N` suffixes), copied into a twin."""

    def __init__(self, weights):
        self.w = {re.sub(r"_\d+$", "", k): unpack(v) for k, v in weights.items()}
        self.used = set()

    def __getitem__(self, key):
        self.used.add(key)
        return self.w[key]

    def dense(self, linear, prefix, kernel=None):
        linear.weight.copy_((self[prefix + "/kernel"] if kernel is None else kernel).T)
        if linear.bias is not None:
            linear.bias.copy_(self[prefix + "/bias"])

    def norm(self, module, prefix):
        module.weight.copy_(self[prefix + "/gamma"])
        module.bias.copy_(self[prefix + "/beta"])
        if getattr(module, "running_mean", None) is not None:
            module.running_mean.copy_(self[prefix + "/moving_mean"])
            module.running_var.copy_(self[prefix + "/moving_variance"])

    def attention(self, module, prefix):
        module.qkv.weight.copy_(self[prefix + "/qkv_kernel"].T)
        module.qkv.bias.copy_(self[prefix + "/qkv_bias"])
        module.out.weight.copy_(self[prefix + "/output_kernel"].T)
        module.out.bias.copy_(self[prefix + "/output_bias"])

    def gru(self, module, prefix):
        module.weight_ih.copy_(self[prefix + "/kernel"].T)
        module.weight_hh.copy_(self[prefix + "/recurrent_kernel"].T)
        module.bias.copy_(self[prefix + "/bias"])
        module.keras = True

    def pooling(self, module, prefix):
        self.dense(module.hidden, prefix)
        module.context.copy_(self[prefix + "/context"])

    def mlp(self, module, prefix):
        self.norm(module.norm, prefix + "_mlp_norm")
        self.dense(module.hidden, prefix + "_mlp_hidden")
        self.dense(module.output, prefix + "_mlp_output")

    def block(self, module, prefix):
        self.norm(module.norm, prefix + "_attention_norm")
        self.attention(module.attention, prefix + "_attention")
        self.mlp(module.mlp, prefix)


def load_cnn(m, w):
    m.temporal.weight.copy_(w["temporal_spatial/temporal_kernel"].permute(3, 2, 0, 1))
    w.norm(m.temporal_bn, "temporal_spatial")
    spatial = w["temporal_spatial/spatial_kernel"]  # [sensors, 1, F1, D]: filter f * D + d
    m.spatial.weight.copy_(spatial.reshape(spatial.shape[0], -1).T.reshape(-1, 1, spatial.shape[0], 1))
    w.norm(m.spatial_bn, "spatial_bn")
    m.depthwise.weight.copy_(w["separable_conv/depthwise_kernel"].permute(2, 3, 0, 1))
    m.pointwise.weight.copy_(w["separable_conv/pointwise_kernel"].permute(3, 2, 0, 1))
    w.norm(m.separable_bn, "separable_bn")
    kernel = w["classifier/kernel"]  # rows (time, filter), channels last; the twin flattens (filter, time)
    w.dense(m.classifier, "classifier", kernel.reshape(7, 16, -1).permute(1, 0, 2).reshape(112, -1))


def load_gru(m, w):
    w.dense(m.projection, "sensor_projection")
    w.gru(m.gru, "gru")
    w.pooling(m.pooling, "attention_pooling")
    w.dense(m.classifier, "classifier")


def load_vivit(m, w):
    if m.cell_filters > 0:
        if m.taps > 0:
            m.cell.weight.copy_(w["cell_filters/kernel"].reshape(m.taps, -1).T.unsqueeze(1))  # [taps, 1, 1, F]
        else:
            w.dense(m.cell, "cell_filters")
        w.norm(m.cell_norm, "cell_filter_norm")
        if m.n_spatial_filters > 0:
            w.dense(m.spatial_filters, "spatial_filters")
    w.dense(m.embedding, "tubelet_embedding")
    if m.stem == "energy":
        w.dense(m.energy, "tubelet_energy")
    w.norm(m.stem_norm, "tubelet_norm")
    m.spatial_position.copy_(w["spatial_position/embeddings"])
    for i, block in enumerate(m.spatial):
        w.block(block, f"spatial_{i}")
    w.norm(m.spatial_norm, "spatial_norm")
    m.temporal_position.copy_(w["temporal_position/embeddings"])
    for i, block in enumerate(m.temporal):
        w.block(block, f"temporal_{i}")
    w.norm(m.head_norm, "head_norm")
    w.dense(m.classifier, "classifier")


def load_spectral(m, w):
    w.norm(m.standardise, "standardise")
    w.dense(m.hidden, "hidden")
    w.dense(m.classifier, "classifier")


def load_cascade(m, w):
    for i, (conv, bn) in enumerate([(m.conv1, m.bn1), (m.conv2, m.bn2)], 1):
        kernel = w[f"stage_{i}_conv/kernel"]  # rows (block row, block col, channel): space to depth
        conv.weight.copy_(kernel.reshape(2, 2, conv.in_channels, -1).permute(3, 2, 0, 1))
        w.norm(bn, f"stage_{i}_batch_norm")
    kernel = w["frame_linear/kernel"]  # rows (row, col, channel), channels last
    w.dense(m.frame_linear, "frame_linear", kernel.reshape(5, 5, 32, -1).permute(2, 0, 1, 3).reshape(800, -1))
    w.norm(m.frame_bn, "frame_batch_norm")
    w.gru(m.gru, "gru")
    w.norm(m.attention_norm, "attention_norm")
    w.attention(m.attention, "self_attention")
    w.pooling(m.pooling, "attention_pooling")
    w.dense(m.classifier, "classifier")


def load_tsa(m, w):
    w.dense(m.projection, "sensor_projection")
    w.dense(m.segment, "segment_embedding")
    m.position.copy_(w["segment_embedding/position"])
    w.dense(m.embed_hidden, "embedding_mlp_hidden")
    w.dense(m.embed_output, "embedding_mlp_output")
    w.norm(m.time_norm, "tsa_0_time_norm")
    w.attention(m.time_attention, "tsa_0_time_attention")
    w.mlp(m.time_mlp, "tsa_0_time")
    w.norm(m.sensor_norm, "tsa_0_sensor_norm")
    router = m.sensor_attention
    router.routers.copy_(w["tsa_0_sensor_attention/routers"])
    for name, linear in list(router.proj.items()) + [
        ("gather_output", router.gather_output),
        ("distribute_output", router.distribute_output),
    ]:
        linear.weight.copy_(w[f"tsa_0_sensor_attention/{name}_kernel"].T)
        linear.bias.copy_(w[f"tsa_0_sensor_attention/{name}_bias"])
    w.mlp(m.sensor_mlp, "tsa_0_sensor")
    w.norm(m.head_norm, "head_norm")
    w.dense(m.classifier, "classifier")


LOADERS = {
    "cnn": load_cnn,
    "gru": load_gru,
    "vivit": load_vivit,
    "vivit_cross": load_vivit,
    "vivit_wide": load_vivit,
    "spectral": load_spectral,
    "cascade": load_cascade,
    "tsa": load_tsa,
}


def check(path):
    """Each twin with megflow's weights: its weight count and the largest difference of the softmax outputs."""
    with open(path) as file:
        models = json.load(file)["models"]
    report = {}
    for name, data in models.items():
        torch.manual_seed(0)
        model = TWINS[name][1]()
        weights = Weights(data["weights"])
        with torch.no_grad():
            LOADERS[name](model, weights)
            model.eval()
            x = unpack(data["input"])
            probs = torch.softmax(model(x), -1)
        expected = unpack(data["output"])
        unused = sorted(set(weights.w) - weights.used)
        # log-probabilities too: a saturated softmax hides differences in its small entries
        log_diff = (probs.clamp_min(1e-30).log() - expected.clamp_min(1e-30).log()).abs().max().item()
        report[name] = {
            "params": sum(count_params(model)),
            "expectedParams": data["params"],
            "maxAbsDiff": (probs - expected).abs().max().item(),
            "maxLogDiff": log_diff,
            "unusedWeights": unused,
        }
        print(
            f"check {name}: max |twin - megflow| = {report[name]['maxAbsDiff']:.2e}, of log-probabilities {log_diff:.2e}, unused {unused}",
            file=sys.stderr,
        )
    print(json.dumps({"models": report}))


def parse_expect(text):
    expected = {}
    for item in filter(None, (text or "").split(",")):
        name, _, count = item.partition("=")
        expected[name.strip()] = int(count)
    return expected


def blas_libraries():
    """The BLAS-like libraries this process has loaded (their paths, from /proc/self/maps; [] elsewhere).

    PyTorch's speed on this Debian build depends on which libblas.so.3 the system links: the reference
    BLAS (libblas3) or OpenBLAS take vivit's twin from ~640 to ~50 ms of CPU per step.
    """
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if len(line.split()) >= 6}
    except OSError:
        return []
    return sorted(p for p in paths if re.search(r"blas|blis|mkl|atlas", p.rsplit("/", 1)[-1], re.IGNORECASE))


def main(argv):
    parser = argparse.ArgumentParser(description="PyTorch twins of megflow's models, timed like bench/train.ts")
    parser.add_argument("--models", default=",".join(TWINS))
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--expect", default=None, help="name=count,...: megflow's parameter counts (default: MEGFLOW_PARAMS)")
    parser.add_argument("--count-only", action="store_true", help="count parameters, time nothing")
    parser.add_argument("--check", metavar="FILE", help="load megflow's weights (bench/_twin_check.ts) and compare outputs")
    parser.add_argument("--threads", type=int, default=0, help="torch.set_num_threads(N) (default: PyTorch's own)")
    args = parser.parse_args(argv)
    if args.check:
        return check(args.check)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    expected = parse_expect(args.expect) if args.expect is not None else dict(MEGFLOW_PARAMS)
    models = [name for name in args.models.split(",") if name]
    unknown = [name for name in models if name not in TWINS]
    if unknown:
        parser.error(f"no twin for {', '.join(unknown)}; twins: {', '.join(TWINS)}")
    report = {
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "threads": torch.get_num_threads(),
        "interopThreads": torch.get_num_interop_threads(),
        "blas": blas_libraries(),
        "batchSize": args.batch,
        "models": {},
    }
    for name in models:
        result = bench_model(name, expected.get(name), args.steps, args.warmup, args.batch, args.count_only)
        report["models"][name] = result
        if "windowsPerSecond" in result:
            detail = f"{result['windowsPerSecond']:.1f} windows/s training, {result['inferenceWindowsPerSecond']:.1f} inference"
        else:
            detail = result.get("refused", "counted")
        print(f"pytorch {name}: {result['params']} params, {detail}", file=sys.stderr, flush=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1:])
