"""A learned model of the article pair: soft sentence alignment over frozen USE vectors.

Each article is read as a fixed layout of USE vectors — title, lead passage,
the first :data:`HEAD` sentences and the last :data:`TAIL` sentences — each
slot with its own learned position embedding. The two layouts are projected,
soft-aligned against each other (attention whose logits mix a learned
bilinear score with the raw USE cosine), compared slot by slot
(``[e, ẽ, e·ẽ, |e−ẽ|]`` → ReLU layer), pooled with a learned gate (which
sentences matter) and by max, and read out as the seven SemEval scores. Both
directions share their weights and are combined symmetrically, so
``predict(a, b) == predict(b, a)``.

Training needs torch (the optional ``train`` extra); inference is plain numpy
over the weights in a small ``.npz`` (``storyline/models/pair_model.npz``).
The model exposes what drove its judgement: :meth:`PairModel.explain` gives
the sentence pairs with the most attention mass (gate weight × alignment
weight, averaged over both directions). The scorer uses its seven outputs as
one more feature group (``pairmodel``), trained out of fold, and LightGBM
decides how far to trust them.

The shipped weights are made, with the combiner, by ``storyline train pairs
dev_pairs.jsonl dev_pairs_mt.jsonl --workers 2 --out storyline/models/pair_scorer.json``
(SemEval-2022 Task 8 dev data; see docs/benchmarks.md for the time it takes). Every trained model is
:data:`MEMBERS` networks of different seeds whose outputs are averaged: one network's run-to-run
spread (±0.002 overall stacked, ±0.01 per language pair) was as large as the gaps left. Grouped
5-fold CV, nested, on profiles of the current analysis code: three networks averaged 0.746–0.751 Pearson
on overall alone (one: 0.724–0.733), stacked 0.797–0.800 (one: 0.795–0.799) against 0.792 for the same
feature groups without them.

>>> import numpy as np
>>> model = PairModel.random(seed=0)
>>> x = np.eye(4, 512, dtype=np.float32)
>>> a = ArticleInput(x[:3], np.array([-1, -2, 0]))
>>> b = ArticleInput(x[1:], np.array([-1, -2, 0]))
>>> p, q = model.predict_inputs([(a, b)]), model.predict_inputs([(b, a)])
>>> bool(np.allclose(p, q, atol=1e-5)), p.shape
(True, (1, 7))
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from storyline.errors import ModelError
from storyline.types import DIMENSIONS, Profile

FORMAT = "storyline-pair-model/1"
HEAD = 20
TAIL = 6
SLOTS = 2 + HEAD + TAIL
DIM = 512
N_STATS = 6


@dataclass(frozen=True)
class ArticleInput:
    """The layout of one article: ``vectors`` (≤ :data:`SLOTS` rows) and, per row, the sentence
    index it came from (−1 title, −2 lead passage)."""

    vectors: np.ndarray
    index: np.ndarray


def article_input(p: Profile) -> ArticleInput:
    """Title, lead passage, head sentences, then tail sentences not already in the head."""
    n = len(p.sentence_vectors)
    head = list(range(min(n, HEAD)))
    tail = [i for i in range(max(0, n - TAIL), n) if i >= HEAD]
    rows = [p.title_vector, p.lead_vector] + [p.sentence_vectors[i] for i in head + tail]
    return ArticleInput(np.asarray(np.stack(rows), dtype=np.float32), np.array([-1, -2] + head + tail, dtype=np.int64))


def _slots(inp: ArticleInput) -> np.ndarray:
    """Slot number of every row: 0 title, 1 lead, 2.. head, 2+HEAD.. tail."""
    k = len(inp.index)
    slots = np.arange(k)
    tail = inp.index >= HEAD
    if tail.any():
        first = int(np.argmax(tail))
        slots[first:] = 2 + HEAD + (TAIL - (k - first)) + np.arange(k - first)
    return slots


def _stats(c: np.ndarray, sent_a: np.ndarray, sent_b: np.ndarray) -> np.ndarray:
    """Symmetric raw-cosine statistics fed next to the learned features."""
    title = c[0, 0]
    lead = c[1, 1]
    sub = c[np.ix_(sent_a, sent_b)] if sent_a.any() and sent_b.any() else c[:2, :2]
    ra, rb = sub.max(axis=1).mean(), sub.max(axis=0).mean()
    return np.array([title, lead, (ra + rb) / 2, min(ra, rb), sub.max(), sub.mean()], dtype=np.float32)


def _relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    x = x - x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


@dataclass
class PairModel:
    """Weights of the pair network (numpy arrays by name) and what it was trained on.

    ``others`` holds the weights of further networks trained the same way with other seeds
    (:func:`train_pair_ensemble`): the model's outputs and attention are the mean over all
    :attr:`members`, which takes out most of one training run's noise.
    """

    weights: dict[str, np.ndarray] = field(repr=False)
    meta: dict[str, Any] = field(default_factory=dict)
    others: tuple[dict[str, np.ndarray], ...] = field(default=(), repr=False)

    @property
    def members(self) -> tuple[dict[str, np.ndarray], ...]:
        """The weights of every network averaged, the first one included."""
        return (self.weights, *self.others)

    @property
    def hidden(self) -> int:
        return int(self.weights["proj_w"].shape[1])

    @classmethod
    def random(cls, seed: int = 0, hidden: int = 32) -> PairModel:
        """An untrained model (for tests and as the starting point of training)."""
        rng = np.random.default_rng(seed)
        shapes = _shapes(hidden)
        weights = {k: (rng.normal(0, 1 / math.sqrt(s[0]), s) if len(s) == 2 else np.zeros(s)).astype(np.float32) for k, s in shapes.items()}
        weights["gamma"] = np.array([5.0], dtype=np.float32)
        weights["out_b"] = np.full(len(DIMENSIONS), 2.5, dtype=np.float32)
        return cls(weights)

    @classmethod
    def load(cls, path: str | Path) -> PairModel:
        import json

        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(str(data["meta"]))
                arrays = {k: data[k] for k in data.files if k != "meta"}
        except FileNotFoundError:
            raise ModelError(f"[{ModelError.code}] {path}: pair model file not found") from None
        except (OSError, ValueError, KeyError) as exc:
            raise ModelError(f"[{ModelError.code}] {path}: not a storyline pair model ({exc})") from None
        if meta.get("format") != FORMAT:
            raise ModelError(f"[{ModelError.code}] {path}: format {meta.get('format')!r}, expected {FORMAT!r}")
        members: dict[int, dict[str, np.ndarray]] = {}
        for key, value in arrays.items():  # member k > 0 is stored as "m<k>.<name>"
            head, _, name = key.partition(".")
            k = int(head[1:]) if name and head[:1] == "m" and head[1:].isdigit() else 0
            members.setdefault(k, {})[name if k else key] = value
        if sorted(members) != list(range(len(members))) or "proj_w" not in members.get(0, {}):
            raise ModelError(f"[{ModelError.code}] {path}: weights of networks {sorted(members)} (expected 0..n) or no proj_w")
        for k, weights in members.items():
            missing = set(_shapes(int(weights["proj_w"].shape[1]))) - set(weights) if "proj_w" in weights else {"proj_w"}
            if missing:
                raise ModelError(f"[{ModelError.code}] {path}: missing weights {sorted(missing)}" + (f" of network {k}" if k else ""))
        return cls(members[0], meta, tuple(members[k] for k in range(1, len(members))))

    def save(self, path: str | Path) -> None:
        import io
        import json

        buf = io.BytesIO()
        arrays = dict(self.weights)
        for k, weights in enumerate(self.others, start=1):
            arrays.update({f"m{k}.{name}": v for name, v in weights.items()})
        np.savez_compressed(buf, meta=np.array(json.dumps({**self.meta, "format": FORMAT})), **arrays)
        Path(path).write_bytes(buf.getvalue())

    # ------------------------------------------------------------------ inference (numpy)

    @staticmethod
    def _direction(w: dict[str, np.ndarray], ea: np.ndarray, eb: np.ndarray, logits: np.ndarray, ca: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        att = _softmax(logits, axis=1)
        aligned = att @ eb
        feats = np.concatenate([ea, aligned, ea * aligned, np.abs(ea - aligned), ca[:, None]], axis=1)
        h = _relu(feats @ w["cmp_w"] + w["cmp_b"])
        gate = _softmax((h @ w["gate_w"])[:, 0] + w["gate_b"][0], axis=0)
        return gate @ h, h.max(axis=0), gate, att

    def _forward(self, a: ArticleInput, b: ArticleInput) -> tuple[np.ndarray, np.ndarray]:
        """Outputs and attention mass (rows: ``a``), each the mean over the members."""
        c = a.vectors @ b.vectors.T
        slots_a, slots_b = _slots(a), _slots(b)
        stats = _stats(c, a.index >= 0, b.index >= 0)
        outs, weights = [], []
        for w in self.members:
            ea = a.vectors @ w["proj_w"] + w["proj_b"] + w["pos"][slots_a]
            eb = b.vectors @ w["proj_w"] + w["proj_b"] + w["pos"][slots_b]
            qa, qb = ea @ w["bil_w"], eb @ w["bil_w"]
            logits = qa @ qb.T / math.sqrt(w["proj_w"].shape[1]) + w["gamma"][0] * c
            pa, ma, ga, att_ab = self._direction(w, ea, eb, logits, c.max(axis=1))
            pb, mb, gb, att_ba = self._direction(w, eb, ea, logits.T, c.max(axis=0))
            z = np.concatenate([pa + pb, pa * pb, np.abs(pa - pb), ma + mb, stats])
            outs.append(_relu(z @ w["mlp_w"] + w["mlp_b"]) @ w["out_w"] + w["out_b"])
            weights.append(0.5 * (ga[:, None] * att_ab + (gb[:, None] * att_ba).T))
        return np.mean(outs, axis=0), np.mean(weights, axis=0)

    def predict_inputs(self, pairs: Sequence[tuple[ArticleInput, ArticleInput]]) -> np.ndarray:
        """Seven scores (SemEval scale, in :data:`DIMENSIONS` order) per pair, clipped to [1, 4]."""
        out = np.array([self._forward(a, b)[0] for a, b in pairs], dtype=np.float64).reshape(len(pairs), len(DIMENSIONS))
        return np.clip(out, 1.0, 4.0)

    def predict(self, a: Profile, b: Profile) -> dict[str, float]:
        row = self.predict_inputs([(article_input(a), article_input(b))])[0]
        return {d: float(v) for d, v in zip(DIMENSIONS, row)}

    def explain(self, a: Profile, b: Profile, k: int = 3) -> list[dict[str, Any]]:
        """The sentence pairs that carried the most attention mass, one per sentence at most.

        Each item: ``{"a", "b", "a_index", "b_index", "weight", "score"}`` where ``weight`` is the
        share of the model's attention (gate × alignment, both directions) and ``score`` the USE cosine.
        """
        return self.predict_explain(a, b, k)[1]

    def predict_explain(self, a: Profile, b: Profile, k: int = 3) -> tuple[dict[str, float], list[dict[str, Any]]]:
        """:meth:`predict` and :meth:`explain` from one pass of the network(s)."""
        ia, ib = article_input(a), article_input(b)
        raw, weight = self._forward(ia, ib)
        scores = {d: float(v) for d, v in zip(DIMENSIONS, np.clip(raw, 1.0, 4.0))}
        if not (a.sentences and b.sentences):
            return scores, []
        c = ia.vectors @ ib.vectors.T
        total = float(weight.sum()) or 1.0
        out: list[dict[str, Any]] = []
        used_a: set[int] = set()
        used_b: set[int] = set()
        for flat in np.argsort(weight, axis=None)[::-1]:
            i, j = divmod(int(flat), weight.shape[1])
            si, sj = int(ia.index[i]), int(ib.index[j])
            if si < 0 or sj < 0 or si in used_a or sj in used_b:
                continue
            used_a.add(si)
            used_b.add(sj)
            out.append(
                {
                    "a": a.sentences[si],
                    "b": b.sentences[sj],
                    "a_index": si,
                    "b_index": sj,
                    "weight": round(float(weight[i, j]) / total, 4),
                    "score": round(float(c[i, j]), 3),
                }
            )
            if len(out) == k:
                break
        return scores, out


def _shapes(hidden: int) -> dict[str, tuple[int, ...]]:
    z = 4 * hidden + N_STATS
    return {
        "proj_w": (DIM, hidden),
        "proj_b": (hidden,),
        "pos": (SLOTS, hidden),
        "bil_w": (hidden, hidden),
        "gamma": (1,),
        "cmp_w": (4 * hidden + 1, hidden),
        "cmp_b": (hidden,),
        "gate_w": (hidden, 1),
        "gate_b": (1,),
        "mlp_w": (z, 2 * hidden),
        "mlp_b": (2 * hidden,),
        "out_w": (2 * hidden, len(DIMENSIONS)),
        "out_b": (len(DIMENSIONS),),
    }


# ---------------------------------------------------------------------- training (torch)


@dataclass(frozen=True)
class TrainConfig:
    """Training settings; the defaults made the shipped model."""

    hidden: int = 64
    epochs: int = 40
    batch: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-2
    dropout: float = 0.2
    sentence_dropout: float = 0.15  # augmentation: each sentence slot hidden with this chance
    crop: float = 0.3  # augmentation: chance of cutting the head window to a random length
    seed: int = 0


def _pack(inputs: Sequence[ArticleInput]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Padded [N, SLOTS, DIM] vectors, [N, SLOTS] masks and [N, SLOTS] sentence flags, rows placed in their slots."""
    x = np.zeros((len(inputs), SLOTS, DIM), dtype=np.float32)
    mask = np.zeros((len(inputs), SLOTS), dtype=bool)
    sent = np.zeros((len(inputs), SLOTS), dtype=bool)
    for n, inp in enumerate(inputs):
        slots = _slots(inp)
        x[n, slots] = inp.vectors
        mask[n, slots] = True
        sent[n, slots] = inp.index >= 0
    return x, mask, sent


def _torch_module(hidden: int, dropout: float, seed: int = 0):  # type: ignore[no-untyped-def]
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            init = PairModel.random(seed=seed, hidden=hidden).weights
            self.p = nn.ParameterDict({k: nn.Parameter(torch.from_numpy(v.copy())) for k, v in init.items()})
            self.drop = nn.Dropout(dropout)

        def direction(self, ea, eb, logits, mask_a, mask_b, cmax):  # type: ignore[no-untyped-def]
            p = self.p
            logits = logits.masked_fill(~mask_b[:, None, :], -1e9)
            att = torch.softmax(logits, dim=2)
            aligned = att @ eb
            feats = torch.cat([ea, aligned, ea * aligned, (ea - aligned).abs(), cmax[..., None]], dim=2)
            h = self.drop(torch.relu(feats @ p["cmp_w"] + p["cmp_b"]))
            g = (h @ p["gate_w"])[..., 0] + p["gate_b"][0]
            g = torch.softmax(g.masked_fill(~mask_a, -1e9), dim=1)
            pooled = (g[..., None] * h).sum(dim=1)
            hmax = h.masked_fill(~mask_a[..., None], -1e9).max(dim=1).values
            return pooled, hmax

        def forward(self, xa, ma, sa, xb, mb, sb):  # type: ignore[no-untyped-def]
            p = self.p
            ea = xa @ p["proj_w"] + p["proj_b"] + p["pos"]
            eb = xb @ p["proj_w"] + p["proj_b"] + p["pos"]
            c = xa @ xb.transpose(1, 2)
            qa, qb = ea @ p["bil_w"], eb @ p["bil_w"]
            logits = qa @ qb.transpose(1, 2) / math.sqrt(hidden) + p["gamma"][0] * c
            neg = torch.tensor(-1e9)
            ca = torch.where(mb[:, None, :], c, neg).max(dim=2).values
            cb = torch.where(ma[:, :, None], c, neg).max(dim=1).values
            pa, xa_max = self.direction(ea, eb, logits, ma, mb, ca)
            pb, xb_max = self.direction(eb, ea, logits.transpose(1, 2), mb, ma, cb)
            # raw-cosine statistics, as in _stats
            both = sa[:, :, None] & sb[:, None, :]
            has = both.flatten(1).any(dim=1)
            fallback = torch.zeros_like(both)
            fallback[:, :2, :2] = True
            both = torch.where(has[:, None, None], both, fallback)
            rows = both.any(dim=2)
            cols = both.any(dim=1)
            cm = torch.where(both, c, neg)
            ra = (cm.max(dim=2).values * rows).sum(1) / rows.sum(1)
            rb = (cm.max(dim=1).values * cols).sum(1) / cols.sum(1)
            mean = (c * both).sum((1, 2)) / both.sum((1, 2))
            stats = torch.stack([c[:, 0, 0], c[:, 1, 1], (ra + rb) / 2, torch.minimum(ra, rb), cm.flatten(1).max(1).values, mean], dim=1)
            z = torch.cat([pa + pb, pa * pb, (pa - pb).abs(), xa_max + xb_max, stats], dim=1)
            z = self.drop(torch.relu(z @ p["mlp_w"] + p["mlp_b"]))
            return z @ p["out_w"] + p["out_b"]

    return Net()


def train_pair_model(
    pairs: Sequence[tuple[ArticleInput, ArticleInput, dict[str, float]]],
    config: TrainConfig = TrainConfig(),
    *,
    log: Callable[[str], None] | None = None,
) -> PairModel:
    """Train the network (needs torch: ``pip install 'storyline[train]'``) and return numpy weights."""
    try:
        import torch
    except ImportError:
        raise ModelError(f"[{ModelError.code}] training the pair model needs torch: pip install 'storyline[train]'") from None
    started = time.perf_counter()
    torch.set_num_threads(1)
    xa, ma, sa = _pack([p[0] for p in pairs])
    xb, mb, sb = _pack([p[1] for p in pairs])
    y = np.array([[g.get(d, np.nan) for d in DIMENSIONS] for _, _, g in pairs], dtype=np.float32)
    known = ~np.isnan(y)
    y = np.nan_to_num(y, nan=2.5)
    weight_dim = np.array([1.0 if d != "overall" else 2.0 for d in DIMENSIONS], dtype=np.float32)
    tensors = [torch.from_numpy(t) for t in (xa, ma, sa, xb, mb, sb, y, known)]
    seed = config.seed
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = _torch_module(config.hidden, config.dropout, seed)
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps = config.epochs * math.ceil(len(pairs) / config.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=config.lr, total_steps=max(1, steps))
    w_dim = torch.from_numpy(weight_dim)
    net.train()
    for epoch in range(config.epochs):
        order = rng.permutation(len(pairs))
        total = 0.0
        for start in range(0, len(order), config.batch):
            idx = torch.from_numpy(order[start : start + config.batch])
            bxa, bma, bsa, bxb, bmb, bsb, by, bk = (t[idx] for t in tensors)
            bma, bmb = _augment(bma, bsa, rng, config), _augment(bmb, bsb, rng, config)
            bsa, bsb = bsa & bma, bsb & bmb
            if rng.random() < 0.5:  # swap sides
                bxa, bma, bsa, bxb, bmb, bsb = bxb, bmb, bsb, bxa, bma, bsa
            pred = net(bxa, bma, bsa, bxb, bmb, bsb)
            loss = (((pred - by) ** 2) * bk * w_dim).sum() / (bk * w_dim).sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.detach()) * len(idx)
        if log:
            log(f"seed {seed} epoch {epoch + 1}/{config.epochs}: loss {total / len(pairs):.4f}")
    model = PairModel({k: v.detach().numpy().copy() for k, v in net.p.items()})
    model.meta.update(
        {
            "n_pairs": len(pairs),
            "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in config.__dict__.items()},
            "train_seconds": round(time.perf_counter() - started, 1),
        }
    )
    return model


MEMBERS = 3
"""Networks averaged in a trained model (:func:`train_pair_ensemble`), seeds ``config.seed``, ``+1``, …"""


def train_pair_ensemble(
    pairs: Sequence[tuple[ArticleInput, ArticleInput, dict[str, float]]],
    config: TrainConfig = TrainConfig(),
    members: int = MEMBERS,
    *,
    log: Callable[[str], None] | None = None,
) -> PairModel:
    """``members`` networks trained like :func:`train_pair_model` with the seeds ``config.seed + k``,
    kept in one :class:`PairModel` whose outputs are their mean (seed averaging)."""
    import dataclasses

    nets = [train_pair_model(pairs, dataclasses.replace(config, seed=config.seed + k), log=log) for k in range(members)]
    meta = {**nets[0].meta, "members": members, "train_seconds": round(sum(n.meta["train_seconds"] for n in nets), 1)}
    return PairModel(nets[0].weights, meta, tuple(n.weights for n in nets[1:]))


def _augment(mask, sent, rng: np.random.Generator, config: TrainConfig):  # type: ignore[no-untyped-def]
    """Sentence dropout and head crops on a batch of slot masks (title and lead are always kept)."""
    import torch

    drop = torch.from_numpy(rng.random(tuple(mask.shape)) < config.sentence_dropout) & sent
    keep = mask & ~drop
    crop = rng.random(mask.shape[0]) < config.crop
    if crop.any():
        cut = torch.from_numpy(2 + rng.integers(3, HEAD + 1, size=mask.shape[0]))
        pos = torch.arange(SLOTS)[None, :]
        cropped = (pos >= cut[:, None]) & torch.from_numpy(crop)[:, None]
        keep = keep & ~cropped
    return keep


def out_of_fold(
    inputs: Sequence[tuple[ArticleInput, ArticleInput]],
    gold: Sequence[dict[str, float]],
    groups: Sequence[int],
    *,
    n_folds: int = 5,
    seed: int = 0,
    config: TrainConfig = TrainConfig(),
    members: int = MEMBERS,
    log: Callable[[str], None] | None = None,
) -> np.ndarray:
    """Out-of-fold predictions ([N, 7]) of pair models (``members`` networks each, see
    :func:`train_pair_ensemble`) trained on the other folds (grouped by article), so that a combiner
    stacked on them never sees a score made with its own row's label."""
    from storyline.evaluate import grouped_folds

    out = np.full((len(inputs), len(DIMENSIONS)), np.nan)
    for k, test_idx in enumerate(grouped_folds(groups, n_folds, seed)):
        train_mask = np.ones(len(inputs), dtype=bool)
        train_mask[test_idx] = False
        model = train_pair_ensemble([(*inputs[i], gold[i]) for i in np.flatnonzero(train_mask)], config, members)
        out[test_idx] = model.predict_inputs([inputs[i] for i in test_idx])
        if log:
            log(f"pair model fold {k + 1}/{n_folds}: {model.meta['train_seconds']} s")
    return out


STACK_NAMES: tuple[str, ...] = tuple(f"pairmodel_{d}" for d in DIMENSIONS)
"""Names of the pair model's outputs as features of the combiner (feature group ``pairmodel``)."""
