"""Event clustering on ../shared/data/clustering: storyline vs baselines, B-cubed per file.

    .venv/bin/python benchmarks/bench_cluster.py                 # storyline, all files + concatenated stream
    .venv/bin/python benchmarks/bench_cluster.py --baselines     # + TF-IDF / USE agglomerative
    .venv/bin/python benchmarks/bench_cluster.py --orders 5      # + arrival-order spread on the stream
    .venv/bin/python benchmarks/bench_cluster.py --lofo          # + each file with weights fitted on the other three
    .venv/bin/python benchmarks/bench_cluster.py --seeds         # the seed checks (PASS/FAIL), exit 1 on a failure
    .venv/bin/python benchmarks/bench_cluster.py --lone          # how many genuinely lone articles the batch rescue leaves alone
    .venv/bin/python benchmarks/bench_cluster.py --fragments     # why each ECB+ fragment did not join its gold event

A story-level file (np4e) is scored on the events; StoryLinker's stories are printed beside, for reference.

Profiles are cached under .cache/cluster/ (embeddings are the slow part); the
entity / place / date / number analysers are re-run on cached profiles when
their modules are importable, so the cache survives analyser changes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storyline.analyse.profile import Profiler  # noqa: E402
from storyline.cluster.evaluate import GoldDoc, bcubed, clustering_report, read_gold  # noqa: E402
from storyline.types import Article, Profile  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "clustering"
CACHE = ROOT / ".cache" / "cluster"
FILES = {"ecbplus_dev": "event", "meantime_dev": "event", "wmt22_dev": "event", "np4e_dev": "story"}


def _available(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(f"storyline.analyse.{module}") is not None


def base_profiles(name: str, docs: list[GoldDoc], profiler: Profiler) -> list[Profile]:
    """Profiles with embeddings only (cached)."""
    h = hashlib.blake2b("".join(d.article.article_id for d in docs).encode(), digest_size=6)
    for code in ("ingest/clean.py", "analyse/embed.py", "analyse/language.py"):  # what a base profile depends on
        h.update((ROOT / "storyline" / code).read_bytes())
    key = h.hexdigest()
    path = CACHE / f"{name}.{key}.base.pkl"
    if path.exists():
        return [_upgrade(p) for p in pickle.loads(path.read_bytes())]
    CACHE.mkdir(parents=True, exist_ok=True)
    out = []
    started = time.perf_counter()
    for i, d in enumerate(docs):
        out.append(profiler.profile(d.article))
        if (i + 1) % 50 == 0:
            print(f"  {name}: {i + 1}/{len(docs)} profiled ({(i + 1) / (time.perf_counter() - started):.1f}/s)", file=sys.stderr)
    path.write_bytes(pickle.dumps(out, protocol=pickle.HIGHEST_PROTOCOL))
    return out


def _upgrade(profile: Profile) -> Profile:
    """A cached profile rebuilt with the current Profile fields (new fields get their defaults)."""
    import dataclasses

    names = [f.name for f in dataclasses.fields(Profile)]
    if hasattr(profile, names[-1]):
        return profile
    # pickled before `entity_groups` was added: slots state is positional, so values sit one field early
    old = [n for n in names if n != "entity_groups"]
    values = {old[i]: getattr(profile, names[i]) for i in range(len(old)) if hasattr(profile, names[i])}
    return Profile(**values)


def enrich(profile: Profile, article: Article, profiler: Profiler) -> Profile:
    """Re-run the cheap analysers (entities, places, dates, numbers) on a cached profile."""
    from storyline.analyse.language import detect_language
    from storyline.types import Segment

    mentions: list = []
    places: list = []
    dates: list = []
    numbers: list = []
    for seg in profile.segments:
        seg_mentions = profiler._entities(seg)
        mentions.extend(seg_mentions)
        places.extend(profiler._places(seg, seg_mentions))
        dates.extend(profiler._dates(seg, article))
        numbers.extend(profiler._numbers(seg))
    title = profile.title
    if title and article.title.strip():
        title_seg = Segment(detect_language(title, hint=profile.language), -len(title) - 1, -1, title)
        tm = profiler._entities(title_seg)
        mentions.extend(tm)
        places.extend(profiler._places(title_seg, tm))
    changes = {"entities": tuple(mentions), "places": tuple(places), "dates": tuple(dates), "numbers": tuple(numbers)}
    if hasattr(profiler, "_group"):
        changes["entity_groups"] = profiler._group(mentions)
    return profile.replace(**changes)


def load(name: str, *, analysers: bool = True) -> tuple[list[GoldDoc], list[Profile]]:
    docs = read_gold(DATA / f"{name}.jsonl", prefix=name + ":")
    profiler = Profiler(entities=False, places=False, dates=False, numbers=False)
    profiles = base_profiles(name, docs, profiler)
    if analysers:
        flags = {m: _available(m) for m in ("entities", "places", "dates", "numbers")}
        if any(flags.values()):
            key = "-".join(k for k, v in flags.items() if v)
            path = CACHE / f"{name}.{key}.{_analyser_stamp(flags)}.pkl"
            if path.exists():
                return docs, pickle.loads(path.read_bytes())
            rich = Profiler(encoder=profiler.encoder, **flags)
            profiles = [enrich(p, d.article, rich) for p, d in zip(profiles, docs)]
            path.write_bytes(pickle.dumps(profiles, protocol=pickle.HIGHEST_PROTOCOL))
    return docs, profiles


def _analyser_stamp(flags: dict[str, bool]) -> str:
    h = hashlib.blake2b(digest_size=4)
    for m, on in flags.items():
        if on:
            h.update((ROOT / "storyline" / "analyse" / f"{m}.py").read_bytes())
    for extra in ("names.py", "profile.py"):
        if (ROOT / "storyline" / "analyse" / extra).exists():
            h.update((ROOT / "storyline" / "analyse" / extra).read_bytes())
    for data in sorted((ROOT / "storyline" / "analyse" / "data").glob("*")):  # gazetteer tables and the like
        if data.is_file():
            h.update(data.read_bytes())
    return h.hexdigest()


def run_storyline(docs: list[GoldDoc], profiles: list[Profile], level: str, params: dict[str, Any]) -> dict[str, Any]:
    from storyline.cluster.events import EventClusterer

    gold = [d.event if level == "event" else d.topic for d in docs]
    t = time.perf_counter()
    model = EventClusterer(**params)
    pred = model.cluster_many(profiles)
    report = clustering_report(pred, gold, seconds=time.perf_counter() - t)
    if level == "story":  # the events are scored against the gold stories; StoryLinker's stories too, for reference
        from storyline.cluster.stories import StoryLinker

        stories = StoryLinker().link_many(model)
        report["linked_stories"] = clustering_report([stories[e] for e in pred], gold)
    return report


def run_agglomerative(docs: list[GoldDoc], x: np.ndarray, level: str, threshold: float) -> dict[str, Any]:
    from sklearn.cluster import AgglomerativeClustering

    gold = [d.event if level == "event" else d.topic for d in docs]
    t = time.perf_counter()
    labels = AgglomerativeClustering(n_clusters=None, distance_threshold=threshold, metric="cosine", linkage="average").fit_predict(x)
    return clustering_report([str(v) for v in labels], gold, seconds=time.perf_counter() - t)


def tfidf_matrix(docs: list[GoldDoc]) -> np.ndarray:
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [d.article.title + "\n" + d.article.text for d in docs]
    return TfidfVectorizer(sublinear_tf=True, min_df=1).fit_transform(texts).toarray()


def use_matrix(profiles: list[Profile]) -> np.ndarray:
    return np.stack([p.document_vector for p in profiles])


def run_bertopic(docs: list[GoldDoc], profiles: list[Profile], level: str) -> dict[str, Any] | None:
    """BERTopic on the same USE document vectors (UMAP 5-d + HDBSCAN, one setting for all files;
    its outliers, topic -1, are one cluster each). None when ``bertopic`` is not importable: it is
    not a dependency (it pulls sentence-transformers and numba) — install it, e.g.
    ``pip install --no-deps --target DIR bertopic hdbscan umap-learn pynndescent numba llvmlite``
    and put DIR on PYTHONPATH."""
    try:
        from bertopic import BERTopic
        from hdbscan import HDBSCAN
        from umap import UMAP
    except ImportError:
        return None
    gold = [d.event if level == "event" else d.topic for d in docs]
    t = time.perf_counter()
    model = BERTopic(
        embedding_model=None,
        umap_model=UMAP(n_neighbors=5, n_components=5, min_dist=0.0, metric="cosine", random_state=0),
        hdbscan_model=HDBSCAN(min_cluster_size=2, metric="euclidean", cluster_selection_method="leaf", prediction_data=False),
        calculate_probabilities=False,
    )
    topics, _ = model.fit_transform([d.article.title + "\n" + d.article.text for d in docs], embeddings=use_matrix(profiles))
    labels = [f"t{v}" if v >= 0 else f"o{i}" for i, v in enumerate(topics)]
    return clustering_report(labels, gold, seconds=time.perf_counter() - t)


TFIDF_THRESHOLD = 0.80  # cosine distance, average linkage; chosen by --sweep-baselines (best mean F1 over the files)
USE_THRESHOLD = 0.30


def sweep_baselines(sets: dict[str, Any]) -> None:
    """Print mean F1 over the four files for a grid of agglomerative thresholds (one for all files)."""
    for label, make in (("tfidf", lambda d, p: tfidf_matrix(d)), ("use", lambda d, p: use_matrix(p))):
        mats = {n: make(d, p) for n, (d, p, _) in sets.items() if n in FILES}
        for t in np.arange(0.15, 0.96, 0.05):
            f1 = [run_agglomerative(sets[n][0], mats[n], sets[n][2], float(t))["bcubed"]["f1"] for n in mats]
            print(f"{label} threshold {t:.2f}: " + " ".join(f"{x:.3f}" for x in f1) + f"  mean {np.mean(f1):.3f}")


def datasets(analysers: bool) -> dict[str, tuple[list[GoldDoc], list[Profile], str]]:
    out = {name: (*load(name, analysers=analysers), level) for name, level in FILES.items()}
    docs = [d for name in FILES for d in out[name][0]]
    profiles = [p for name in FILES for p in out[name][1]]
    out["all4_stream"] = (docs, profiles, "event")  # np4e's event == topic, so event level is its story level
    return out


def training_rows(docs: list[GoldDoc], profiles: list[Profile], *, neighbours: int = 10, seed: int = 0, params: dict[str, Any] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Article–event rows the clusterer would judge, with labels. Articles arrive in a random
    order; for each, the candidates are the gold events of its nearest *earlier* neighbours, built
    from their earlier members only (as online); label = the article's own event."""
    from storyline.cluster.events import EventClusterer, EventState, key_vector
    from storyline.cluster.features import EVENT_TERMS, Digest, Vocabulary

    model = EventClusterer(**(params or {}))
    keys = np.stack([key_vector(p) for p in profiles])
    sims = keys @ keys.T
    digests = [Digest(p) for p in profiles]
    vocabulary = Vocabulary()  # document frequencies of the stream so far, as the clusterer has them
    members: dict[str, list[int]] = {}
    for i, d in enumerate(docs):
        members.setdefault(d.event, []).append(i)
    rows, labels = [], []
    arrival = np.empty(len(docs), dtype=np.int64)
    arrival[np.random.default_rng(seed).permutation(len(docs))] = np.arange(len(docs))
    for i in np.argsort(arrival).tolist():
        d = docs[i]
        vocabulary.add(digests[i].words)  # learn_one counts the article's words before judging it
        seen: set[str] = set()
        earlier = [int(j) for j in np.argsort(-sims[i]) if arrival[j] < arrival[i]]
        for j in earlier[:neighbours]:
            event = docs[j].event
            if event in seen:
                continue
            seen.add(event)
            ev = EventState(event_id=event, slot=0)
            for k in sorted(members[event], key=lambda k: arrival[k]):
                if arrival[k] < arrival[i]:
                    ev.add(digests[k], representatives=model.representatives)
            terms, _ = ev.terms(digests[i], keys[i], model.compare, vocabulary)
            rows.append([terms[t] for t in EVENT_TERMS])
            labels.append(event == d.event)
    return np.array(rows), np.array(labels)


def weight_rows(analysers: bool, seeds: int = 2) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Training rows per dev file (cached under .cache/cluster/, keyed by the clustering code and this file)."""
    h = hashlib.blake2b(digest_size=5)
    for f in ("features.py", "events.py"):
        h.update((ROOT / "storyline" / "cluster" / f).read_bytes())
    h.update(Path(__file__).read_bytes())
    data = {}
    for name in FILES:
        docs, profiles = load(name, analysers=analysers)
        key = hashlib.blake2b("".join(p.article_id for p in profiles).encode(), digest_size=4).hexdigest()
        path = CACHE / f"{name}.rows.{seeds}.{key}.{h.hexdigest()}.pkl"
        if path.exists():
            data[name] = pickle.loads(path.read_bytes())
            continue
        parts = [training_rows(docs, profiles, seed=seed) for seed in range(seeds)]
        data[name] = (np.vstack([x for x, _ in parts]), np.concatenate([y for _, y in parts]))
        path.write_bytes(pickle.dumps(data[name], protocol=pickle.HIGHEST_PROTOCOL))
    return data


def fit_on(data: dict[str, tuple[np.ndarray, np.ndarray]], names: list[str], C: float = 3.0) -> dict[str, float]:
    """Logistic weights fitted on ``names`` pooled, each file weighted equally."""
    from sklearn.linear_model import LogisticRegression

    from storyline.cluster.features import EVENT_TERMS

    x = np.vstack([data[k][0] for k in names])
    y = np.concatenate([data[k][1] for k in names])
    w = np.concatenate([np.full(len(data[k][1]), len(y) / len(data[k][1]) / len(names)) for k in names])
    m = LogisticRegression(C=C, max_iter=5000).fit(x, y, sample_weight=w)
    weights = {"bias": round(float(m.intercept_[0]), 3)}
    weights.update({k: round(float(c), 3) for k, c in zip(EVENT_TERMS, m.coef_[0])})
    return weights


def fit_weights(analysers: bool, C: float = 3.0) -> dict[str, float]:
    """Fit the link score's logistic weights on all dev files pooled (each file weighted equally);
    print leave-one-file-out AUC so the generalisation is visible."""
    from sklearn.metrics import roc_auc_score

    from storyline.cluster.features import EVENT_TERMS, event_score

    data = weight_rows(analysers)
    for hold in FILES:
        w = fit_on(data, [k for k in FILES if k != hold], C)
        x, y = data[hold]
        p = np.array([event_score(dict(zip(EVENT_TERMS, row)), w) for row in x])
        print(f"  leave-out {hold}: AUC {roc_auc_score(y, p):.3f} acc@0.5 {((p > 0.5) == y).mean():.3f}", file=sys.stderr)
    return fit_on(data, list(FILES), C)


def leave_one_file_out(sets: dict[str, Any], analysers: bool, params: dict[str, Any], C: float = 3.0) -> dict[str, Any]:
    """Cluster each dev file with weights fitted on the other three only (same threshold etc.)."""
    data = weight_rows(analysers)
    out = {}
    for hold in FILES:
        weights = fit_on(data, [k for k in FILES if k != hold], C)
        docs, profiles, level = sets[hold]
        out[hold] = run_storyline(docs, profiles, level, {**params, "weights": weights})
        b = out[hold]["bcubed"]
        print(f"{hold:13s} {level:5s} leave-one-file-out: F1 {b['f1']:.3f} (P {b['precision']:.3f} R {b['recall']:.3f}, "
              f"{out[hold]['clusters']}/{out[hold]['gold_clusters']})", flush=True)
    return out


def lone_articles(name: str, docs: list[GoldDoc], profiles: list[Profile], reduce: set[str]) -> tuple[list[Profile], set[str]]:
    """The file as a stream in which each event in ``reduce`` keeps only its first article: those
    articles are genuinely lone (their event has no other report), and every other event is intact."""
    keep, lone, seen = [], set(), set()
    for d, p in zip(docs, profiles):
        if d.event in reduce:
            if d.event in seen:
                continue
            seen.add(d.event)
            lone.add(p.article_id)
        keep.append(p)
    return keep, lone


def lone_guard(sets: dict[str, Any], params: dict[str, Any], thresholds: tuple[float, ...] = (1.0, 0.3, 0.2, 0.1)) -> dict[str, Any]:
    """How many genuinely lone articles stay alone in batch clustering, per ``rescue_threshold``: the
    cost of rescuing lone articles on a stream that has some. Hard cases on purpose: in ECB+ the lone
    article is one report of the *other* incident of its topic (same place, same kind of event); in
    MEANTIME and wmt22 every other event is cut to one article (one language version)."""
    from collections import Counter

    from storyline.cluster.events import EventClusterer

    cases = {
        "ecbplus: ecbplus sub-topics lone": ("ecbplus_dev", lambda e, es: e.endswith("ecbplus")),
        "ecbplus: ecb sub-topics lone": ("ecbplus_dev", lambda e, es: not e.endswith("ecbplus")),
        "meantime: every other event lone": ("meantime_dev", lambda e, es: es.index(e) % 2 == 1),
        "wmt22: every other event lone": ("wmt22_dev", lambda e, es: es.index(e) % 2 == 1),
    }
    out: dict[str, Any] = {}
    for label, (name, pick) in cases.items():
        docs, profiles, _ = sets[name]
        events = sorted({d.event for d in docs})
        stream, lone = lone_articles(name, docs, profiles, {e for e in events if pick(e, events)})
        out[label] = {}
        for threshold in thresholds:
            pred = EventClusterer(**{**params, "rescue_threshold": threshold}).cluster_many(stream)
            sizes = Counter(pred)
            alone = sum(1 for p, e in zip(stream, pred) if p.article_id in lone and sizes[e] == 1)
            out[label][str(threshold)] = [alone, len(lone)]
            print(f"{label:34s} rescue_threshold {threshold}: {alone}/{len(lone)} lone articles stay alone", flush=True)
    totals = {str(t): [sum(v[str(t)][i] for v in out.values()) for i in (0, 1)] for t in thresholds}
    print("lone articles left alone, all cases: " + ", ".join(f"{t}: {a}/{n}" for t, (a, n) in totals.items()))
    out["total"] = totals
    return out


def fragments(sets: dict[str, Any], params: dict[str, Any], name: str = "ecbplus_dev", far: float = 30.0) -> list[dict[str, Any]]:
    """Why each fragment of a gold event did not join it: every predicted cluster of a gold event other than
    its largest, with its day range against the largest's, whether the consolidation may pair the two
    (``in-window`` / ``far-pair`` / ``out-of-window``), the rank of the largest among the fragment's nearest
    centroids (``None``: no candidate), and their symmetric agreement (the consolidation's score)."""
    from collections import Counter

    from storyline.cluster.events import EventClusterer, _title_only

    docs, profiles, level = sets[name]
    gold = [d.event if level == "event" else d.topic for d in docs]
    model = EventClusterer(**params)
    pred = model.cluster_many(profiles)
    out = []
    for g in sorted(set(gold)):
        sizes = Counter(p for p, x in zip(pred, gold) if x == g)
        main = sizes.most_common(1)[0][0]
        big = model.events_[main]
        for frag, n in sizes.items():
            if frag == main:
                continue
            ev = model.events_[frag]
            near, pair = model._within_window(ev, big), model._far_pair(ev, big)
            found = [e for e in (model._slots[s] for s, _ in model._index.query(ev.centroid, k=model.candidates + 1, day=None, window=0.0, floor=model.candidate_floor)) if e != frag]
            x, y = model._agreement(frag, main, copies=True), model._agreement(main, frag, copies=True)
            tx, ty = _title_only(ev), _title_only(big)
            agreement = x if tx and not ty else y if ty and not tx else (x + y) / 2
            gap = None
            if ev.first_day and big.first_day and ev.last_day and big.last_day:
                gap = max((big.first_day - ev.last_day).days, (ev.first_day - big.last_day).days, 0)
            row = {"gold": g, "size": n, "of": sizes[main], "days": [str(ev.first_day), str(ev.last_day)], "event_days": [str(big.first_day), str(big.last_day)],
                   "gap_days": gap, "far": gap is not None and gap > far, "pairing": "in-window" if near else "far-pair" if pair else "out-of-window",
                   "rank": found.index(main) if main in found else None, "agreement": round(agreement, 3), "directions": [round(x, 3), round(y, 3)], "title_only": tx}
            out.append(row)
            print(f"{g:28s} {n:2d}/{sizes[main]:2d}  gap {str(gap):>5s} d  {row['pairing']:13s} rank {str(row['rank']):4s} agreement {agreement:.2f} ({x:.2f}/{y:.2f}){'  title-only' if tx else ''}")
    n_far = sum(r["far"] for r in out)
    print(f"{len(out)} fragments; {n_far} more than {far:.0f} days from their event; {sum(r['pairing'] == 'out-of-window' for r in out)} never paired by the consolidation; "
          f"{sum(r['agreement'] >= model.consolidate_threshold for r in out)} agree >= {model.consolidate_threshold} with their event")
    return out


def seed_checks() -> int:
    """The seeds as a stream (issue 5 acceptance): prints each check with PASS/FAIL; exit 1 if any fails."""
    from storyline.cluster.events import EventClusterer
    from storyline.cluster.stories import StoryLinker
    from storyline.cluster.timeline import story_timeline
    from storyline.engine import Engine
    from storyline.ingest import read_article

    seeds = ROOT.parent / "shared" / "seeds"
    if not seeds.is_dir():
        print(f"{seeds} not found: nothing to check", file=sys.stderr)
        return 2
    engine = Engine(strict=True)
    profiles = {p.name[:3]: engine.profile(read_article(p)) for p in sorted(seeds.glob("*.txt"))}
    model = EventClusterer()
    for key, profile in profiles.items():
        model.learn_one(profile, source=key)
    linker = StoryLinker()
    stories = linker.link_many(model)
    events = {k: model.event_of(p.article_id) for k, p in profiles.items()}
    story_ids = {stories[e] for e in events.values()}
    story = stories[events["002"]]
    timeline = story_timeline(story, linker, model, {p.article_id: p for p in profiles.values()})
    dates = {e.event_id: e.date for e in timeline.events}
    aid = profiles["001"].article_id
    checks = [
        ("the seeds form one story", len(story_ids) == 1, f"{len(story_ids)} stories"),
        ("the story has >= 3 events", len(linker.stories_[story].events) >= 3, f"{len(linker.stories_[story].events)} events: "
         + ", ".join("+".join(k for k, e in events.items() if e == ev) for ev in linker.stories_[story].events)),
        ("001's halves linked as translations", (f"{aid}#zh", f"{aid}#en", "translation") in {e[:3] for e in model.copies_.edges},
         [e for e in model.copies_.edges if e[0].startswith(aid)]),
        ("002 is its own event", model.events_[events["002"]].members == [profiles["002"].article_id],
         f"{model.events_[events['002']].n_articles} article(s)"),
        ("timeline puts 002 in 2018", (dates.get(events["002"]) or "").startswith("2018"), dates.get(events["002"])),
        ("timeline puts the others in 2020-21", all((d or "")[:4] in ("2020", "2021") for e, d in dates.items() if e != events["002"]),
         [d for e, d in dates.items() if e != events["002"]]),
    ]
    for name, ok, measured in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}: {measured}")
    return 0 if all(ok for _, ok, _ in checks) else 1


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile-only", action="store_true")
    ap.add_argument("--no-analysers", action="store_true")
    ap.add_argument("--baselines", action="store_true")
    ap.add_argument("--orders", type=int, default=0, help="random arrival orders of the concatenated stream")
    ap.add_argument("--param", action="append", default=[], help="EventClusterer parameter, name=value")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--sweep-baselines", action="store_true")
    ap.add_argument("--fit-weights", action="store_true", help="refit the link-score weights (prints them)")
    ap.add_argument("--lofo", action="store_true", help="also cluster each file with weights fitted on the other three")
    ap.add_argument("--only", action="append", default=[], help="run only these sets (e.g. ecbplus_dev, all4_stream)")
    ap.add_argument("--seeds", action="store_true", help="check the seed stories (../shared/seeds) and exit")
    ap.add_argument("--lone", action="store_true", help="how many genuinely lone articles stay alone per rescue_threshold, and exit")
    ap.add_argument("--fragments", action="store_true", help="why each ECB+ fragment did not join its event (or of the --only file), and exit")
    args = ap.parse_args()
    if args.seeds:
        raise SystemExit(seed_checks())
    if args.fit_weights:
        print(json.dumps(fit_weights(not args.no_analysers), indent=1))
        raise SystemExit(0)
    if args.profile_only:
        for name in FILES:
            t = time.perf_counter()
            docs, profiles = load(name, analysers=not args.no_analysers)
            print(f"{name}: {len(profiles)} profiles in {time.perf_counter() - t:.1f}s", file=sys.stderr)
        raise SystemExit(0)
    params = {k: json.loads(v) for k, v in (p.split("=", 1) for p in args.param)}
    sets = datasets(not args.no_analysers)
    if args.sweep_baselines:
        sweep_baselines(sets)
        raise SystemExit(0)
    if args.fragments:
        rows = fragments(sets, params, *(args.only[:1] or []))
        if args.json:
            print(json.dumps(rows, indent=1))
        raise SystemExit(0)
    if args.lone:
        guard = lone_guard(sets, params)
        if args.json:
            print(json.dumps(guard, indent=1))
        raise SystemExit(0)
    results: dict[str, Any] = {}
    for name, (docs, profiles, level) in sets.items():
        if args.only and name not in args.only:
            continue
        row = {"level": level, "storyline": run_storyline(docs, profiles, level, params)}
        if args.baselines:
            row["tfidf_agglomerative"] = run_agglomerative(docs, tfidf_matrix(docs), level, TFIDF_THRESHOLD)
            row["use_agglomerative"] = run_agglomerative(docs, use_matrix(profiles), level, USE_THRESHOLD)
            bertopic = run_bertopic(docs, profiles, level)
            if bertopic is not None:
                row["bertopic_use"] = bertopic
        results[name] = row
        cells = "  ".join(f"{k}: F1 {v['bcubed']['f1']:.3f} (P {v['bcubed']['precision']:.3f} R {v['bcubed']['recall']:.3f}, {v['clusters']}/{v['gold_clusters']})" for k, v in row.items() if k != "level")
        if "linked_stories" in row["storyline"]:
            v = row["storyline"]["linked_stories"]
            cells += f"  (StoryLinker's stories: F1 {v['bcubed']['f1']:.3f}, {v['clusters']}/{v['gold_clusters']})"
        print(f"{name:13s} {level:5s} {cells}", flush=True)
    if args.lofo:
        results["leave_one_file_out"] = leave_one_file_out(sets, not args.no_analysers, params)
    if args.orders:
        docs, profiles, level = sets["all4_stream"]
        f1s = []
        for seed in range(args.orders):
            order = np.random.default_rng(seed).permutation(len(docs))
            r = run_storyline([docs[i] for i in order], [profiles[i] for i in order], level, params)
            f1s.append(r["bcubed"]["f1"])
        results["orders"] = {"f1": f1s, "spread": round(max(f1s) - min(f1s), 4)}
        print(f"arrival orders: F1 {['%.3f' % f for f in f1s]} spread {max(f1s) - min(f1s):.3f}")
    if args.json:
        print(json.dumps(results, indent=1))
