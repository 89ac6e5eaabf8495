"""The learned combiner: pair features → the seven SemEval scores, a verdict and evidence.

One gradient-boosted regressor per dimension (LightGBM) over the features of
:mod:`storyline.similarity`. The model file is JSON holding the feature
groups and names it was trained on, so loading checks that the running code
computes the same features, and a new feature group (a pair model) is picked
up by retraining, not by code changes here.

>>> scorer = PairScorer.load()
>>> sorted(scorer.dimensions) == sorted(DIMENSIONS)
True
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from storyline.errors import ModelError
from storyline.similarity import (
    DEEP_FEATURES,
    FEATURE_GROUPS,
    build_evidence,
    compare_numbers,
    embedding_features,
    entity_features,
    entity_matches,
    number_features,
    pair_features,
)
from storyline.types import DIMENSIONS, Article, ArticlePair, PairScore, Profile

MODEL_FORMAT = "storyline-pair-scorer/1"
DEFAULT_MODEL = "pair_scorer.json"
PAIR_MODEL_GROUP = "pairmodel"
"""Feature group of the learned pair network (:mod:`storyline.pairmodel`); its weights live next to
the scorer file, same name with ``.npz``."""
DEEP_GROUP = "e5"
"""Feature group that only deep profiles feed (``Profiler(e5=True)``). A scorer trained with it also
holds a ``fallback`` trained without it, for pairs where a side has no e5 vector (stored articles:
ingest does not read titles twice)."""

LGBM_PARAMS: dict[str, Any] = {
    "objective": "regression",
    "learning_rate": 0.02,
    "num_leaves": 7,
    "min_data_in_leaf": 30,
    "feature_fraction": 0.8,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "extra_trees": True,  # random split thresholds: grouped CV time 0.494 -> 0.502, every dimension up (docs/benchmarks.md)
    "verbose": -1,
    "num_threads": 1,
    "seed": 7,
    "deterministic": True,
}
NUM_ROUNDS = 600


def default_model_path() -> Path:
    return Path(str(resources.files("storyline") / "models" / DEFAULT_MODEL))


@dataclass
class PairScorer:
    """Scores pairs of profiles with a trained combiner.

    Use :meth:`load` for the shipped model or :func:`train` to make a new one.
    """

    groups: tuple[str, ...]
    feature_names: tuple[str, ...]
    boosters: dict[str, Any] = field(repr=False)
    meta: dict[str, Any] = field(default_factory=dict)
    pair_model: Any = field(default=None, repr=False)  # storyline.pairmodel.PairModel when "pairmodel" in groups
    fallback: PairScorer | None = field(default=None, repr=False)  # the same without DEEP_GROUP

    @property
    def dimensions(self) -> tuple[str, ...]:
        return tuple(self.boosters)

    @classmethod
    def load(cls, path: str | Path | None = None) -> PairScorer:
        """Load a model file (the bundled one by default)."""
        import lightgbm as lgb

        path = Path(path) if path is not None else default_model_path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"[{ModelError.code}] {path}: model file not found; run `storyline train pairs` to make one") from None
        except (OSError, ValueError) as exc:
            raise ModelError(f"[{ModelError.code}] {path}: not a storyline model file ({exc})") from None
        if data.get("format") != MODEL_FORMAT:
            raise ModelError(f"[{ModelError.code}] {path}: format {data.get('format')!r}, expected {MODEL_FORMAT!r}")
        unknown = [g for g in data["groups"] if g not in FEATURE_GROUPS and g != PAIR_MODEL_GROUP]
        if unknown:
            raise ModelError(
                f"[{ModelError.code}] {path}: trained with feature groups {unknown} that this storyline does not have; "
                f"available: {sorted(FEATURE_GROUPS)}"
            )
        boosters = {dim: lgb.Booster(model_str=text) for dim, text in data["models"].items()}
        pair_model = None
        if PAIR_MODEL_GROUP in data["groups"]:
            from storyline.pairmodel import PairModel

            pair_model = PairModel.load(path.with_suffix(".npz"))
        fallback = None
        if data.get("fallback"):
            fb = data["fallback"]
            fb_boosters = {dim: lgb.Booster(model_str=text) for dim, text in fb["models"].items()}
            fallback = cls(tuple(fb["groups"]), tuple(fb["features"]), fb_boosters, data.get("meta", {}), pair_model)
        return cls(tuple(data["groups"]), tuple(data["features"]), boosters, data.get("meta", {}), pair_model, fallback)

    def save(self, path: str | Path) -> None:
        data = {
            "format": MODEL_FORMAT,
            "groups": list(self.groups),
            "features": list(self.feature_names),
            "meta": self.meta,
            "models": {dim: b.model_to_string() for dim, b in self.boosters.items()},
        }
        if self.fallback is not None:
            data["fallback"] = {
                "groups": list(self.fallback.groups),
                "features": list(self.fallback.feature_names),
                "models": {dim: b.model_to_string() for dim, b in self.fallback.boosters.items()},
            }
        Path(path).write_text(json.dumps(data), encoding="utf-8")
        if self.pair_model is not None:
            self.pair_model.save(Path(path).with_suffix(".npz"))

    @property
    def feature_groups(self) -> tuple[str, ...]:
        """The groups computed by :mod:`storyline.similarity` (all but the pair model)."""
        return tuple(g for g in self.groups if g != PAIR_MODEL_GROUP)

    def for_pair(self, a: Profile, b: Profile) -> PairScorer:
        """The model that scores this pair: this one, or its ``fallback`` when a side is not a deep profile."""
        if self.fallback is not None and (a.e5_vectors is None or b.e5_vectors is None):
            return self.fallback
        return self

    def predict_pairs(self, pairs: Sequence[tuple[Profile, Profile]]) -> dict[str, np.ndarray]:
        """Scores of many pairs (each by :meth:`for_pair`'s model), without verdicts or evidence."""
        out = {dim: np.full(len(pairs), np.nan) for dim in self.dimensions}
        chosen = [self.for_pair(a, b) for a, b in pairs]
        for model in {id(m): m for m in chosen}.values():
            rows = [i for i, m in enumerate(chosen) if m is model]
            predicted = model.predict_matrix(model.feature_matrix(pairs[i] for i in rows))
            for dim, values in predicted.items():
                out[dim][rows] = values
        return out

    def feature_matrix(self, pairs: Iterable[tuple[Profile, Profile]]) -> np.ndarray:
        pairs = list(pairs)
        rows = [pair_features(a, b, self.feature_groups) for a, b in pairs]
        if self.pair_model is not None:
            from storyline.pairmodel import STACK_NAMES, article_input

            out = self.pair_model.predict_inputs([(article_input(a), article_input(b)) for a, b in pairs])
            for row, values in zip(rows, out):
                row.update(zip(STACK_NAMES, map(float, values)))
        return np.array([[row[name] for name in self.feature_names] for row in rows], dtype=np.float64).reshape(
            len(rows), len(self.feature_names)
        )

    def predict_matrix(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Scores on the SemEval scale for each row of a feature matrix, clipped to [1, 4]."""
        return {dim: np.clip(b.predict(x, num_threads=1), 1.0, 4.0) for dim, b in self.boosters.items()}

    def score(self, a: Profile, b: Profile) -> PairScore:
        """Compare two profiles: scores, verdict, evidence."""
        model = self.for_pair(a, b)
        if model is not self:  # a side without e5 vectors: the combiner trained without them
            return model.score(a, b)
        matches = entity_matches(a, b)
        numbers = compare_numbers(a, b)
        feats: dict[str, float] = {}
        sentence_pairs: list[dict[str, Any]] = []
        for group in self.groups:
            if group == "entities":
                feats.update(entity_features(a, b, matches))
            elif group == "numbers":
                feats.update(number_features(a, b, numbers))
            elif group == PAIR_MODEL_GROUP:
                from storyline.pairmodel import STACK_NAMES

                network, sentence_pairs = self.pair_model.predict_explain(a, b)
                feats.update(zip(STACK_NAMES, network.values()))
            else:
                feats.update(FEATURE_GROUPS[group](a, b))
        x = np.array([[feats[name] for name in self.feature_names]], dtype=np.float64)
        scores = {dim: float(v[0]) for dim, v in self.predict_matrix(x).items()}
        if "embedding" not in self.groups:
            feats.update(embedding_features(a, b))
        evidence = build_evidence(a, b, matches=matches, numbers=numbers)
        if sentence_pairs:
            import dataclasses

            evidence = dataclasses.replace(evidence, sentence_pairs=tuple(sentence_pairs))
        prior = self.meta.get("prior")
        notices = (not_article(a), not_article(b)) if prior else (False, False)
        if any(notices):
            feats["not_article"] = float(sum(notices))
            scores = {dim: float(prior.get(dim, scores[dim])) for dim in scores}
            verdict = "not_article"
        else:
            verdict = decide_verdict(scores, feats, a, b, evidence.dates.get("gap_days"))
        if verdict == "translation":
            # Alignment has shown the same text in two languages, which training labels 1.0 on every
            # dimension (translation_pairs): pull the scores halfway to that label, keeping the model's doubt visible.
            scores = {dim: 1.0 + (v - 1.0) / 2 for dim, v in scores.items()}
        return PairScore(
            a_id=a.article_id,
            b_id=b.article_id,
            scores=scores,
            verdict=verdict,
            evidence=evidence,
            features=feats,
            languages={"a": a.languages, "b": b.languages},
        )


def not_article(p: Profile) -> bool:
    """Whether a profiled page is a notice instead of the article (anti-bot, captcha, paywall, "enable
    JavaScript", "access denied"...): two such pages look alike whatever the articles behind them said,
    so :meth:`PairScorer.score` gives the pair the training mean and the verdict ``not_article``.

    >>> from storyline.types import Segment
    >>> def prof(text):
    ...     return Profile("x", "", "en", (Segment("en", 0, len(text), text),), (), np.zeros(2), np.zeros((0, 2)), np.zeros(2), n_chars=len(text))
    >>> not_article(prof("Access denied. Are you a robot? Your IP address has sent too many requests.")), not_article(prof("Talks resumed in Doha."))
    (True, False)
    """
    from storyline.analyse.pagekind import NOTICE_MAX_CHARS, page_kind

    if p.n_chars > NOTICE_MAX_CHARS:
        return False

    return page_kind("\n".join(s.text for s in p.segments if s.start >= 0)).not_article


def decide_verdict(
    scores: dict[str, float], features: dict[str, float], a: Profile, b: Profile, gap_days: int | None
) -> str:
    """One word for the relation of two articles.

    translation and near_duplicate come from sentence alignment (they are about
    the text, not the news): a translation aligns sentence by sentence, in
    order (mean cosine of the order-preserving alignment ≥ 0.64 — USE gives
    0.65–0.75 for real translations and 0.55–0.63 for two reports of one
    meeting), covers ≥ 90 % of the shorter side, and gives no number
    differently. The rest comes from the predicted ``overall`` score, with a
    date gap of more than a week ruling out "same event".
    """
    monotone = features.get("monotone_score", 0.0)
    coverage = features.get("monotone_coverage", 0.0)
    ratio = features.get("sentence_ratio", 0.0)
    conflicts = features.get("number_conflict_count", 0.0)
    if a.language != b.language and monotone >= 0.64 and coverage >= 0.9 and ratio >= 0.6 and conflicts == 0:
        return "translation"
    if a.language == b.language and (features.get("minhash_score", 0.0) >= 0.5 or (monotone >= 0.85 and ratio >= 0.7)):
        return "near_duplicate"
    overall = scores["overall"]
    far_apart = gap_days is not None and gap_days > 7
    if overall <= 1.8 and not far_apart:
        return "same_event"
    if overall <= 2.5:
        return "same_story"
    if overall <= 3.2:
        return "related"
    return "unrelated"


def translation_pairs(pairs: Sequence[ArticlePair], *, limit: int | None = 400, seed: int = 0) -> list[ArticlePair]:
    """Translation pairs hidden in a labelled set, labelled "identical" (1.0 on every dimension).

    In the SemEval data a machine-translated pair keeps the article numbers of
    the real pair it was made from (``1484039360`` and ``1484039360it``), so an
    article and its translation can be paired without any translation service.
    These teach the combiner that a translation is the same news, which the
    copied labels of the machine-translated pairs cannot.
    """
    import random
    import re

    by_number: dict[str, dict[str, Article]] = {}
    for pair in pairs:
        parts = (str(pair.pair_id).split("_") + ["", ""])[:2]
        for article, part in zip((pair.a, pair.b), parts):
            number = re.sub(r"\D", "", part)
            if number:
                by_number.setdefault(number, {})[article.article_id] = article
    out: list[ArticlePair] = []
    for number, articles in sorted(by_number.items()):
        versions = sorted(articles.values(), key=lambda a: (a.language_hint or "", a.article_id))
        for i, a in enumerate(versions):
            for b in versions[i + 1 :]:
                if a.language_hint and b.language_hint and a.language_hint != b.language_hint:
                    out.append(ArticlePair(f"{number}:{a.language_hint}>{b.language_hint}", a, b, {d: 1.0 for d in DIMENSIONS}))
    if limit is not None and len(out) > limit:
        out = random.Random(seed).sample(out, limit)
    return out


def train(
    pairs: Sequence[tuple[Profile, Profile, dict[str, float]]],
    *,
    groups: Sequence[str] = tuple(FEATURE_GROUPS),
    num_rounds: int = NUM_ROUNDS,
    params: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
    pair_model: Any = None,
    cv_groups: Sequence[int] | None = None,
    pair_members: int | None = None,
    log: Callable[[str], None] | None = None,
) -> PairScorer:
    """Fit one regressor per dimension on ``(profile_a, profile_b, gold)`` triples.

    Features are symmetric, so each pair is used once, in the order given.
    With ``pair_model`` (a :class:`storyline.pairmodel.TrainConfig`, or True)
    the pair network is trained too: its outputs are features of the combiner,
    out of fold on the training pairs (5 folds grouped by ``cv_groups``, by
    default one group per pair) and from a network trained on everything at run
    time; ``pair_members`` networks (default :data:`storyline.pairmodel.MEMBERS`) averaged in each.
    Needs torch (the ``train`` extra).
    """
    started = time.perf_counter()
    groups = tuple(g for g in groups if g != PAIR_MODEL_GROUP)
    rows = [pair_features(a, b, groups) for a, b, _ in pairs]
    names = tuple(rows[0]) if rows else ()
    x = np.array([[row[n] for n in names] for row in rows], dtype=np.float64)
    gold = {dim: np.array([g.get(dim, math.nan) for _, _, g in pairs], dtype=np.float64) for dim in DIMENSIONS}
    net = None
    if pair_model:
        from storyline.pairmodel import MEMBERS, STACK_NAMES, TrainConfig, article_input, out_of_fold, train_pair_ensemble

        config = pair_model if isinstance(pair_model, TrainConfig) else TrainConfig()
        cache: dict[int, Any] = {}
        inputs = [(cache.setdefault(id(a), article_input(a)), cache.setdefault(id(b), article_input(b))) for a, b, _ in pairs]
        golds = [g for _, _, g in pairs]
        members = pair_members or MEMBERS
        oof = out_of_fold(inputs, golds, list(cv_groups) if cv_groups is not None else list(range(len(pairs))), config=config, members=members, log=log)
        net = train_pair_ensemble([(*inp, g) for inp, g in zip(inputs, golds)], config, members)
        if log:
            log(f"pair model on all pairs: {net.meta['train_seconds']} s")
        x = np.hstack([x, oof])
        names = names + STACK_NAMES
        groups = groups + (PAIR_MODEL_GROUP,)
    if DEEP_GROUP in groups and not any(a.e5_vectors is not None and b.e5_vectors is not None for a, b, _ in pairs):
        keep = [i for i, n in enumerate(names) if n not in DEEP_FEATURES]  # no deep profiles: no deep group
        x, names, groups = x[:, keep], tuple(names[i] for i in keep), tuple(g for g in groups if g != DEEP_GROUP)
    boosters = fit_matrix(x, gold, names, num_rounds=num_rounds, params=params)
    info = dict(meta or {})
    # what a pair with a page that is not an article gets (see not_article): the training mean
    info["prior"] = {dim: round(float(np.nanmean(y)), 4) for dim, y in gold.items() if np.isfinite(y).any()}
    fallback = None
    if DEEP_GROUP in groups:  # the same combiner without the deep group, for pairs of stored (not deep) profiles
        keep = [i for i, n in enumerate(names) if n not in DEEP_FEATURES]
        fb_names = tuple(names[i] for i in keep)
        fb_boosters = fit_matrix(x[:, keep], gold, fb_names, num_rounds=num_rounds, params=params)
        fallback = PairScorer(tuple(g for g in groups if g != DEEP_GROUP), fb_names, fb_boosters, info, net)
    info.update({"n_pairs": len(pairs), "train_seconds": round(time.perf_counter() - started, 1)})
    return PairScorer(tuple(groups), names, boosters, info, net, fallback)


def fit_matrix(
    x: np.ndarray,
    gold: dict[str, np.ndarray],
    names: Sequence[str],
    *,
    num_rounds: int = NUM_ROUNDS,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Fit the per-dimension boosters on a precomputed feature matrix (used by cross-validation)."""
    import lightgbm as lgb

    boosters = {}
    for dim, y in gold.items():
        keep = ~np.isnan(y)
        data = lgb.Dataset(x[keep], y[keep], feature_name=list(names), free_raw_data=True)
        boosters[dim] = lgb.train({**LGBM_PARAMS, **(params or {})}, data, num_boost_round=num_rounds)
    return boosters
