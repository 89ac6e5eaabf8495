"""Measure storyline against gold labels: Pearson per dimension and language pair, grouped CV.

>>> r = pearson_report({"overall": [1.0, 2.0, 3.5, 3.0]},
...                    {"overall": [1.2, 2.1, 3.9, 2.8]}, ["en-en", "en-en", "de-de", "de-de"])
>>> r["n"], round(r["pearson"]["overall"], 3), r["by_language_pair"]["en-en"]["n"]
(4, 0.976, 2)
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import numpy as np

from storyline.types import DIMENSIONS


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson correlation, or None when it is undefined (fewer than 3 values, or a constant side)."""
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    keep = ~(np.isnan(xa) | np.isnan(ya))
    xa, ya = xa[keep], ya[keep]
    if len(xa) < 3 or xa.std() == 0 or ya.std() == 0:
        return None
    return float(np.corrcoef(xa, ya)[0, 1])


def pearson_report(
    gold: dict[str, Sequence[float]],
    predicted: dict[str, Sequence[float]],
    language_pairs: Sequence[str],
    *,
    pairs_per_second: float | None = None,
) -> dict[str, Any]:
    """The ``storyline eval pairs --json`` contract.

    ``{"n", "pearson": {dim: r}, "by_language_pair": {"en-en": {"n", dim: r, ...}}, "pairs_per_second"}``
    """
    dims = [d for d in DIMENSIONS if d in gold and d in predicted]
    n = len(language_pairs)
    report: dict[str, Any] = {"n": n, "pearson": {}, "by_language_pair": {}, "pairs_per_second": pairs_per_second}
    for d in dims:
        report["pearson"][d] = _round(pearson(predicted[d], gold[d]))
    for lp in sorted(set(language_pairs)):
        idx = [i for i, x in enumerate(language_pairs) if x == lp]
        entry: dict[str, Any] = {"n": len(idx)}
        for d in dims:
            entry[d] = _round(pearson([predicted[d][i] for i in idx], [gold[d][i] for i in idx]))
        report["by_language_pair"][lp] = entry
    return report


def _round(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 4)


def article_groups(pairs: Sequence[tuple[str, str]]) -> list[int]:
    """Group ids for grouped cross-validation: pairs that share an article (directly or through
    other pairs) get the same group, so no article is on both the training and the scoring side.

    >>> article_groups([("a", "b"), ("b", "c"), ("d", "e"), ("c", "f")])
    [0, 0, 1, 0]
    """
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra
    roots: dict[str, int] = {}
    return [roots.setdefault(find(a), len(roots)) for a, _ in pairs]


def grouped_folds(groups: Sequence[int], n_folds: int = 5, seed: int = 0) -> list[np.ndarray]:
    """Test-index arrays of ``n_folds`` folds with whole groups in each, sizes balanced greedily."""
    rng = np.random.default_rng(seed)
    by_group: dict[int, list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault(g, []).append(i)
    order = list(by_group)
    rng.shuffle(order)
    order.sort(key=lambda g: -len(by_group[g]))
    folds: list[list[int]] = [[] for _ in range(n_folds)]
    for g in order:
        smallest = min(range(n_folds), key=lambda k: len(folds[k]))
        folds[smallest].extend(by_group[g])
    return [np.array(sorted(f), dtype=np.int64) for f in folds]


def cross_validate(
    x: np.ndarray,
    gold: dict[str, np.ndarray],
    names: Sequence[str],
    groups: Sequence[int],
    *,
    n_folds: int = 5,
    seed: int = 0,
    num_rounds: int | None = None,
    train_only: np.ndarray | None = None,
    stack: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]] | None = None,
    stack_names: Sequence[str] = (),
    fallback: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Out-of-fold predictions of the learned combiner, folds grouped by article.

    Rows flagged in ``train_only`` (augmented pairs) are used for training in the
    folds where their group is not scored, and never scored themselves.
    ``stack(train_idx, test_idx)`` returns extra feature columns (named
    ``stack_names``) for both sides of a fold — a pair model trained inside the
    fold, out of fold on its training rows (nested), so nothing leaks.
    Rows flagged in ``fallback`` (a side that is not an article, see
    :func:`storyline.scorer.not_article`) are scored with the training rows' mean,
    as the shipped scorer does.
    """
    from storyline.scorer import NUM_ROUNDS, fit_matrix

    extra = np.zeros(len(x), dtype=bool) if train_only is None else np.asarray(train_only, dtype=bool)
    predicted = {d: np.full(len(x), np.nan) for d in gold}
    for test_idx in grouped_folds(groups, n_folds, seed):
        train_mask = np.ones(len(x), dtype=bool)
        train_mask[test_idx] = False
        test_idx = test_idx[~extra[test_idx]]
        x_train, x_test, fold_names = x[train_mask], x[test_idx], list(names)
        if stack is not None:
            s_train, s_test = stack(np.flatnonzero(train_mask), test_idx)
            x_train, x_test = np.hstack([x_train, s_train]), np.hstack([x_test, s_test])
            fold_names += list(stack_names)
        boosters = fit_matrix(
            x_train, {d: y[train_mask] for d, y in gold.items()}, fold_names, num_rounds=num_rounds or NUM_ROUNDS
        )
        for d, booster in boosters.items():
            predicted[d][test_idx] = np.clip(booster.predict(x_test, num_threads=1), 1.0, 4.0)
            if fallback is not None:
                flagged = np.asarray(fallback, dtype=bool)[test_idx]
                predicted[d][test_idx[flagged]] = np.nanmean(gold[d][train_mask])
    return predicted


def pair_groups(pairs: Sequence[Any]) -> list[int]:
    """CV groups for :class:`~storyline.types.ArticlePair` objects.

    Two pairs share a group when they share an article, by content or by the
    article number in ``pair_id`` (a machine-translated pair keeps the numbers of
    the real pair it was made from, so the two never straddle folds).
    """
    import re

    edges: list[tuple[str, str]] = []
    for pair in pairs:
        numbers = ([re.sub(r"\D", "", part) for part in str(pair.pair_id).split("_")] + ["", ""])[:2]
        edges.append((pair.a.article_id, pair.b.article_id))
        for article, number in zip((pair.a, pair.b), numbers):
            edges.append((article.article_id, "n" + number if number else article.article_id))
    return article_groups(edges)[::3]  # three edges per pair, the first one names its group


def gold_arrays(pairs: Sequence[Any]) -> dict[str, np.ndarray]:
    """Gold scores of labelled pairs, one array per dimension (NaN where missing)."""
    return {d: np.array([p.gold.get(d, np.nan) for p in pairs], dtype=np.float64) for d in DIMENSIONS}


def _with_sources(report: dict[str, Any], pairs: Sequence[Any], predicted: dict[str, np.ndarray], gold: dict[str, np.ndarray]) -> dict[str, Any]:
    mt = np.array([bool(p.machine_translated) for p in pairs])
    if mt.any() and (~mt).any():
        report["by_source"] = {
            "real": {"n": int((~mt).sum()), "overall": _round(pearson(predicted["overall"][~mt], gold["overall"][~mt]))},
            "machine_translated": {"n": int(mt.sum()), "overall": _round(pearson(predicted["overall"][mt], gold["overall"][mt]))},
        }
    return report


def evaluate_pairs_model(pairs: Sequence[Any], profiles: dict[str, Any], scorer: Any) -> dict[str, Any]:
    """Pearson report of a trained scorer on labelled pairs whose articles are profiled."""
    import time

    started = time.perf_counter()
    predicted = scorer.predict_pairs([(profiles[p.a.article_id], profiles[p.b.article_id]) for p in pairs])
    prior = scorer.meta.get("prior")
    if prior:
        from storyline.scorer import not_article

        flagged = np.array([not_article(profiles[p.a.article_id]) or not_article(profiles[p.b.article_id]) for p in pairs], dtype=bool)
        for d in predicted:
            predicted[d][flagged] = prior.get(d, np.nan)
    seconds = time.perf_counter() - started
    gold = gold_arrays(pairs)
    report = pearson_report(gold, predicted, [p.language_pair for p in pairs], pairs_per_second=round(len(pairs) / max(seconds, 1e-9), 1))
    return _with_sources(report, pairs, predicted, gold)


def evaluate_pairs_cv(
    pairs: Sequence[Any],
    profiles: dict[str, Any],
    *,
    n_folds: int = 5,
    extra: Sequence[Any] = (),
    feature_groups: Sequence[str] | None = None,
    seed: int = 0,
    pair_model: Any = None,
    inner_folds: int | None = None,
    log: Callable[[str], None] | None = None,
    stack_cache: dict[str, Any] | None = None,
    pair_members: int | None = None,
) -> dict[str, Any]:
    """Grouped K-fold Pearson report of the combiner retrained on each fold.

    ``extra`` pairs (augmentation) join the training folds only. With
    ``pair_model`` (a :class:`storyline.pairmodel.TrainConfig`, or True for the
    default) the pair network is trained inside every fold and its seven outputs
    join the combiner's features: out of fold (an inner grouped CV with ``inner_folds``, default ``n_folds``) on the
    fold's training rows, from a network trained on all of them on its test rows.
    The report then also holds ``pair_model_alone``, the network's own
    out-of-fold Pearson on the same folds. ``stack_cache`` (a dict, e.g. unpickled) keeps the
    network outputs of every fold, keyed by the fold's rows and the training settings: they do not
    depend on the combiner's features, so a feature change is measured again without retraining.
    ``pair_members`` networks (default :data:`storyline.pairmodel.MEMBERS`, seeds ``config.seed + k``)
    are averaged, as :func:`storyline.pairmodel.train_pair_ensemble` does; each one is cached on its own.
    """
    import time

    from storyline.similarity import FEATURE_GROUPS, pair_features

    groups = tuple(g for g in (feature_groups or FEATURE_GROUPS) if g in FEATURE_GROUPS)
    everything = list(pairs) + list(extra)
    started = time.perf_counter()
    rows = [pair_features(profiles[p.a.article_id], profiles[p.b.article_id], groups) for p in everything]
    seconds = (time.perf_counter() - started) * len(pairs) / max(1, len(everything))
    names = list(rows[0])
    x = np.array([[r[n] for n in names] for r in rows], dtype=np.float64)
    train_only = np.array([False] * len(pairs) + [True] * len(extra))
    cv_groups = pair_groups(everything)
    stack, stack_names, alone = None, [], np.full((len(everything), len(DIMENSIONS)), np.nan)
    if pair_model:
        import dataclasses

        from storyline.pairmodel import MEMBERS, STACK_NAMES, TrainConfig, article_input, out_of_fold, train_pair_model

        config = pair_model if isinstance(pair_model, TrainConfig) else TrainConfig()
        members = [dataclasses.replace(config, seed=config.seed + k) for k in range(pair_members or MEMBERS)]
        cache: dict[str, Any] = {}
        for p in everything:
            for art in (p.a, p.b):
                if art.article_id not in cache:
                    cache[art.article_id] = article_input(profiles[art.article_id])
        inputs = [(cache[p.a.article_id], cache[p.b.article_id]) for p in everything]
        golds = [p.gold for p in everything]
        stack_names = list(STACK_NAMES)

        def stack_one(member: TrainConfig, train_idx: np.ndarray, test_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            import hashlib

            key = hashlib.sha1(train_idx.tobytes() + test_idx.tobytes() + repr((member, inner_folds or n_folds, seed)).encode()).hexdigest()
            if stack_cache is not None and key in stack_cache:
                return stack_cache[key]  # type: ignore[no-any-return]
            sub = [inputs[i] for i in train_idx]
            inner = out_of_fold(
                sub, [golds[i] for i in train_idx], [cv_groups[i] for i in train_idx], n_folds=inner_folds or n_folds, seed=seed + 1, config=member, members=1
            )
            model = train_pair_model([(*sub[k], golds[i]) for k, i in enumerate(train_idx)], member)
            outer = model.predict_inputs([inputs[i] for i in test_idx])
            if log:
                log(f"fold done: pair model (seed {member.seed}) {model.meta['train_seconds']} s")
            if stack_cache is not None:
                stack_cache[key] = (inner, outer)
            return inner, outer

        def stack(train_idx: np.ndarray, test_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            parts = [stack_one(member, train_idx, test_idx) for member in members]
            inner, outer = np.mean([i for i, _ in parts], axis=0), np.mean([o for _, o in parts], axis=0)
            alone[test_idx] = outer
            return inner, outer

    from storyline.scorer import not_article

    flags = {aid: not_article(profiles[aid]) for aid in {a.article_id for p in everything for a in (p.a, p.b)}}
    fallback = np.array([flags[p.a.article_id] or flags[p.b.article_id] for p in everything])
    predicted = cross_validate(
        x, gold_arrays(everything), names, cv_groups, n_folds=n_folds, seed=seed, train_only=train_only, stack=stack, stack_names=stack_names,
        fallback=fallback,
    )
    predicted = {d: v[: len(pairs)] for d, v in predicted.items()}
    gold = gold_arrays(pairs)
    lps = [p.language_pair for p in pairs]
    report = pearson_report(gold, predicted, lps, pairs_per_second=round(len(pairs) / max(seconds, 1e-9), 1))
    report = _with_sources(report, pairs, predicted, gold)
    if pair_model:
        own = {d: alone[: len(pairs), k] for k, d in enumerate(DIMENSIONS)}
        report["pair_model_alone"] = _with_sources(pearson_report(gold, own, lps), pairs, own, gold)
    return report
