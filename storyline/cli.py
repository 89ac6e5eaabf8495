"""The ``storyline`` command line.

Exit codes: 0 everything worked; 1 some records failed (the rest were done);
2 bad usage or unreadable input; 3 a model or configuration problem.
Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import json
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterator, Sequence

import click

from storyline.errors import InputError, ModelError, StorylineError
from storyline.types import DIMENSIONS, Article, ArticlePair, PairScore, Profile, RecordError

EXIT_OK, EXIT_RECORD_FAILURES, EXIT_USAGE, EXIT_MODEL = 0, 1, 2, 3
TRANSLATION_PAIRS = 100  # see storyline.scorer.translation_pairs


@dataclass
class Context:
    debug: bool = False


def _console(stderr: bool = False):  # type: ignore[no-untyped-def]
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=not (sys.stderr if stderr else sys.stdout).isatty())


@contextmanager
def _errors(ctx: Context) -> Iterator[None]:
    """The library raises, the CLI explains: one line per error, a meaningful exit code."""
    try:
        yield
    except ModelError as exc:
        if ctx.debug:
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_MODEL)
    except StorylineError as exc:
        if ctx.debug:
            raise
        click.echo(f"error: {exc}", err=True)
        sys.exit(EXIT_USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
@click.version_option(package_name="storyline")
@click.pass_context
def main(click_ctx: click.Context, debug: bool) -> None:
    """storyline: which news articles, in any language, report the same story.

    \b
    Compare two articles on the seven SemEval-2022 dimensions:
        storyline compare a.html b.txt
    See what storyline reads in an article:
        storyline analyse article.html
    Group a folder of articles by story:
        storyline group samples/
    """
    click_ctx.obj = Context(debug=debug)


# ---------------------------------------------------------------- reading inputs


def _read_one(arg: str) -> Article:
    """Read ``PATH`` or ``PATH#LANG`` (one language segment of a mixed-language file)."""
    from storyline.ingest import read_article

    path, _, lang = arg.partition("#")
    if lang and not Path(arg).exists():
        return segment_article(read_article(path), lang, source=arg)
    return read_article(arg)


def segment_article(article: Article, language: str, *, source: str) -> Article:
    """The part of ``article`` written in ``language``, as an article of its own."""
    from storyline.analyse.language import detect_language, split_segments

    segments = [s for s in split_segments(article.text, hint=article.language_hint) if s.language == language]
    if not segments:
        found = sorted({s.language for s in split_segments(article.text)})
        raise InputError(source, f"no {language!r} segment; the segments are {found}")
    text = "\n".join(s.text for s in segments)
    title = article.title if article.title and detect_language(article.title) == language else ""
    return Article.from_text(title, text, source=source, published_at=article.published_at, url=article.url, language_hint=language)


# ---------------------------------------------------------------- analyse


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per article.")
@click.pass_obj
def analyse(ctx: Context, paths: Sequence[str], as_json: bool) -> None:
    """Show what storyline reads in articles: title, date, language segments,
    entities, places, dates and numbers.

    PATHS are files or folders (text, Markdown, HTML, JSON/JSONL, CSV, RSS/Atom).
    """
    from storyline.engine import Engine, Report
    from storyline.ingest import iter_articles

    engine = Engine(strict=False)
    report = Report()
    with _errors(ctx):
        for article, profile in engine.profile_many(iter_articles(paths), report):
            if as_json:
                click.echo(json.dumps(profile_to_json(article, profile), ensure_ascii=False))
            else:
                _print_profile(article, profile)
    _finish(report, as_json)


def profile_to_json(article: Article, profile: Profile) -> dict[str, Any]:
    return {
        "article_id": article.article_id,
        "source": article.source,
        "title": profile.title,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "language": profile.language,
        "segments": [{"language": s.language, "start": s.start, "end": s.end, "chars": s.end - s.start} for s in profile.segments],
        "sentences": len(profile.sentences),
        "entities": [{"text": m.text, "type": m.label, "language": m.language, "key": m.key} for m in profile.entities],
        "places": [{"text": p.text, "place_id": p.place_id, "name": p.name, "country": p.country, "kind": p.kind} for p in profile.places],
        "dates": [{"text": d.text, "date": d.value.isoformat(), "precision": d.precision} for d in profile.dates],
        "numbers": [{"text": n.text, "value": n.value, "unit": n.unit} for n in profile.numbers],
    }


def _print_profile(article: Article, profile: Profile) -> None:
    from rich.table import Table

    console = _console()
    console.rule(f"[bold]{_esc(profile.title or '(no title)')}")
    console.print(f"source: {_esc(article.source)}   id: {article.article_id}")
    when = article.published_at.date().isoformat() if article.published_at else "unknown"
    segs = ", ".join(f"{s.language} ({s.end - s.start} chars)" for s in profile.segments)
    console.print(f"published: {when}   language: {profile.language}   segments: {segs}   sentences: {len(profile.sentences)}")
    table = Table(show_header=True, header_style="bold", box=None)
    table.add_column("kind")
    table.add_column("found")
    groups: dict[str, list[str]] = {}
    for m in profile.entities:
        groups.setdefault(m.label, [])
        if m.text not in groups[m.label]:
            groups[m.label].append(m.text)
    for label, names in groups.items():
        table.add_row(label, _esc(", ".join(names)))
    if profile.places:
        table.add_row("places", _esc(", ".join(sorted({f"{p.name} ({p.country})" for p in profile.places}))))
    if profile.dates:
        table.add_row("dates", _esc(", ".join(f"{d.text} → {d.value.isoformat()}" for d in profile.dates[:12])))
    if profile.numbers:
        table.add_row("numbers", _esc(", ".join(f"{n.text} → {n.value:g} {n.unit}" for n in profile.numbers[:12])))
    console.print(table)


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


# ---------------------------------------------------------------- compare


@main.command()
@click.argument("a")
@click.argument("b")
@click.option("--json", "as_json", is_flag=True, help="Print the stable JSON contract instead of a report.")
@click.option("--model", type=click.Path(dir_okay=False), default=None, help="A pair-scorer file (default: the bundled one).")
@click.pass_obj
def compare(ctx: Context, a: str, b: str, as_json: bool, model: str | None) -> None:
    """Compare two articles on the seven SemEval-2022 Task 8 dimensions
    (1 = very similar … 4 = very dissimilar), with a verdict and the evidence.

    A and B are files; PATH#LANG picks one language segment of a
    mixed-language file (e.g. seeds/001.txt#zh against seeds/001.txt#en).
    """
    from storyline.engine import Engine

    with _errors(ctx):
        article_a, article_b = _read_one(a), _read_one(b)
        engine = Engine(scorer_path=model, strict=True)
        result = engine.compare(article_a, article_b)
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
    else:
        _print_comparison(article_a, article_b, result)


def _bar(score: float, width: int = 24) -> str:
    similar = (4.0 - score) / 3.0
    filled = round(similar * width)
    return "█" * filled + "░" * (width - filled)


def _print_comparison(a: Article, b: Article, result: PairScore) -> None:
    from rich.table import Table

    console = _console()
    console.print(f"[bold]A[/] {_esc(a.title or a.source)}  [dim]({', '.join(result.languages['a'])})[/]")
    console.print(f"[bold]B[/] {_esc(b.title or b.source)}  [dim]({', '.join(result.languages['b'])})[/]")
    console.print(f"verdict: [bold]{result.verdict.replace('_', ' ')}[/]")
    table = Table(box=None, show_header=True, header_style="bold")
    table.add_column("dimension")
    table.add_column("score", justify="right")
    table.add_column("similar ◀──────────▶ dissimilar")
    for dim in DIMENSIONS:
        score = result.scores[dim]
        table.add_row(dim, f"{score:.2f}", _bar(score))
    console.print(table)
    ev = result.evidence
    if ev.entities:
        console.print("[bold]shared entities[/]")
        for m in ev.entities[:12]:
            console.print(f"  {_esc(m.name)} [dim]{m.label}[/]: {_esc(' / '.join(m.a))}  ↔  {_esc(' / '.join(m.b))}  [dim]({_esc(m.reason)})[/]")
    if ev.places:
        console.print("[bold]shared places[/]: " + _esc(", ".join(f"{p['name']} ({p['country']})" for p in ev.places)))
    d = ev.dates
    if d.get("a") or d.get("b"):
        console.print(f"[bold]dates[/]: A {d.get('a') or '?'}  B {d.get('b') or '?'}  gap {d.get('gap_days') if d.get('gap_days') is not None else '?'} days")
    numbers = ev.numbers
    if numbers.get("shared"):
        console.print("[bold]shared numbers[/]: " + _esc(", ".join(f"{n.get('value'):g} {n.get('unit')}" for n in numbers["shared"][:8])))
    if numbers.get("conflicting"):
        console.print("[bold red]conflicting numbers[/]: " + _esc(", ".join(f"{n.get('unit')}: {n.get('a')} vs {n.get('b')}" for n in numbers["conflicting"][:8])))
    if ev.sentence_pairs:
        weighted = "weight" in ev.sentence_pairs[0]
        console.print("[bold]sentence pairs that drove the pair model[/] [dim](attention weight, cosine)[/]" if weighted else "[bold]closest sentences[/]")
        for p in ev.sentence_pairs:
            lead = f"{p['weight']:.2f} {p['score']:.2f}" if weighted else f"{p['score']:.2f}"
            console.print(f"  [dim]{lead}[/] {_esc(p['a'][:100])}\n       {' ' * len(lead)} {_esc(p['b'][:100])}" if weighted else f"  [dim]{lead}[/] {_esc(p['a'][:100])}\n       {_esc(p['b'][:100])}")


# ---------------------------------------------------------------- group (main job on a folder)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the groups as JSON.")
@click.pass_obj
def group(ctx: Context, paths: Sequence[str], as_json: bool) -> None:
    """Read articles and print which report the same story: every pair is
    compared, and articles whose verdict is translation, near-duplicate, same
    event or same story are grouped together.
    """
    from storyline.engine import Engine, Report
    from storyline.ingest import iter_articles

    engine = Engine()
    report = Report()
    with _errors(ctx):
        items = list(engine.profile_many(_progress(iter_articles(paths), "profiling"), report))
        links = []
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                result = engine.compare(items[i][1], items[j][1])
                if result.verdict in ("translation", "near_duplicate", "same_event", "same_story"):
                    links.append((i, j, result))
    groups = _components(len(items), [(i, j) for i, j, _ in links])
    if as_json:
        click.echo(
            json.dumps(
                {
                    "groups": [
                        [{"source": items[k][0].source, "title": items[k][1].title, "language": items[k][1].language} for k in g]
                        for g in groups
                    ],
                    "links": [
                        {"a": items[i][0].source, "b": items[j][0].source, "verdict": r.verdict, "overall": round(r.scores["overall"], 2)}
                        for i, j, r in links
                    ],
                    "failures": [{"source": f.source, "reason": f.reason} for f in report.failures],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        console = _console()
        for n, g in enumerate(groups, 1):
            console.rule(f"[bold]group {n}[/] · {len(g)} article(s) · {', '.join(sorted({items[k][1].language for k in g}))}")
            for k in g:
                console.print(f"  [{items[k][1].language}] {_esc(items[k][1].title[:80])}  [dim]{_esc(items[k][0].source)}[/]")
            for k in g[1:]:
                best = _best_link(k, links)
                if best is not None:
                    other, r = best
                    console.print(
                        f"    [dim]{_esc(Path(items[k][0].source).name)} ↔ {_esc(Path(items[other][0].source).name)}: "
                        f"{r.verdict.replace('_', ' ')} (overall {r.scores['overall']:.2f})[/]"
                    )
    _finish(report, as_json)


def _best_link(k: int, links: list[tuple[int, int, PairScore]]) -> tuple[int, PairScore] | None:
    """The strongest link of article ``k`` (lowest overall score) to an article before it."""
    mine = [(j if i == k else i, r) for i, j, r in links if k in (i, j) and min(i, j) < k]
    return min(mine, key=lambda t: t[1].scores["overall"]) if mine else None


def _components(n: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    parent = list(range(n))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in edges:
        parent[find(j)] = find(i)
    out: dict[int, list[int]] = {}
    for k in range(n):
        out.setdefault(find(k), []).append(k)
    return sorted(out.values(), key=lambda g: (-len(g), g[0]))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print the groups as JSON.")
@click.pass_context
def demo(click_ctx: click.Context, as_json: bool) -> None:
    """Run storyline on its bundled sample articles (several languages, with
    the traps of real news) and print which of them report the same story."""
    samples = Path(str(resources.files("storyline") / "samples"))
    click_ctx.invoke(group, paths=tuple(str(p) for p in sorted(samples.glob("*.txt"))), as_json=as_json)


# ---------------------------------------------------------------- eval / train


@main.group(name="eval")
def eval_group() -> None:
    """Measure storyline against gold labels."""


@main.group(name="train")
def train_group() -> None:
    """Train storyline's learned components from labelled data."""


def _progress(iterable, description: str, total: int | None = None):  # type: ignore[no-untyped-def]
    from rich.progress import Progress

    if not sys.stderr.isatty():
        yield from iterable
        return
    with Progress(console=_console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total)
        for item in iterable:
            yield item
            progress.advance(task)


def _load_pairs(paths: Sequence[str], limit: int | None, report_failures: list[RecordError]) -> list[ArticlePair]:
    from storyline.ingest import iter_pairs

    pairs: list[ArticlePair] = []
    for path in paths:
        for item in iter_pairs(path):
            if isinstance(item, RecordError):
                report_failures.append(item)
            else:
                pairs.append(item)
    if limit:
        pairs = pairs[:limit]
    return pairs


def _profile_pairs(pairs: Sequence[ArticlePair], workers: int, failures: list[RecordError]) -> dict[str, Profile]:
    from rich.progress import Progress

    from storyline.engine import profile_in_processes

    unique: dict[str, Article] = {}
    for pair in pairs:
        unique.setdefault(pair.a.article_id, pair.a)
        unique.setdefault(pair.b.article_id, pair.b)
    articles = list(unique.values())
    with Progress(console=_console(stderr=True), transient=True, disable=not sys.stderr.isatty()) as progress:
        task = progress.add_task(f"profiling {len(articles)} articles", total=len(articles))
        results = profile_in_processes(articles, workers, on_done=lambda k: progress.advance(task, k))
    profiles: dict[str, Profile] = {}
    for article, result in zip(articles, results):
        if isinstance(result, RecordError):
            failures.append(result)
        else:
            profiles[article.article_id] = result
    return profiles


@eval_group.command(name="pairs")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help='Print {"n", "pearson", "by_language_pair", "pairs_per_second"}.')
@click.option("--model", type=click.Path(dir_okay=False), default=None, help="Pair-scorer file (default: the bundled one).")
@click.option("--cv", "folds", type=click.IntRange(min=2), default=None, help="Grouped K-fold cross-validation instead of the shipped model.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N pairs.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes for profiling (default: all CPUs).")
@click.option("--translations", type=click.IntRange(min=0), default=TRANSLATION_PAIRS, show_default=True, help="With --cv: translation pairs added to the training folds only (as in `train pairs`).")
@click.option("--pair-model", "with_pair_model", is_flag=True, help="With --cv: train the pair network inside every fold (nested, needs torch) and stack it.")
@click.pass_obj
def eval_pairs(ctx: Context, paths: Sequence[str], as_json: bool, model: str | None, folds: int | None, limit: int | None, workers: int | None, translations: int, with_pair_model: bool) -> None:
    """Pearson correlation with gold scores, per dimension and per language pair
    (SemEval-2022 Task 8 JSONL or CSV). Gold and predictions use the task's
    scale, 1 = very similar … 4 = very dissimilar.

    With --cv K the combiner is retrained K times on folds grouped so that no
    article is on both the training and the scoring side.
    """
    from storyline.engine import default_workers
    from storyline.evaluate import evaluate_pairs_cv, evaluate_pairs_model
    from storyline.scorer import PairScorer, translation_pairs

    failures: list[RecordError] = []
    with _errors(ctx):
        pairs = _load_pairs(paths, limit, failures)
        if not pairs:
            raise InputError(", ".join(paths), "no labelled pairs could be read")
        extra = translation_pairs(pairs, limit=translations) if folds and translations else []
        profiles = _profile_pairs(pairs + extra, workers or default_workers(), failures)
        pairs = [p for p in pairs if p.a.article_id in profiles and p.b.article_id in profiles]
        extra = [p for p in extra if p.a.article_id in profiles and p.b.article_id in profiles]
        if folds:
            report = evaluate_pairs_cv(pairs, profiles, n_folds=folds, extra=extra, pair_model=with_pair_model)
        else:
            report = evaluate_pairs_model(pairs, profiles, PairScorer.load(model))
    report["failures"] = [{"source": f.source, "reason": f.reason} for f in failures]
    report["mode"] = f"grouped {folds}-fold cross-validation" if folds else f"model {model or 'bundled'}"
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
    else:
        _print_eval(report)
    sys.exit(EXIT_RECORD_FAILURES if failures else EXIT_OK)


def _print_eval(report: dict[str, Any]) -> None:
    from rich.table import Table

    console = _console()
    console.print(f"[bold]{report['n']} pairs[/] · {report['mode']} · {report['pairs_per_second']} pairs/s scored")
    table = Table(box=None, header_style="bold")
    table.add_column("pairs")
    table.add_column("n", justify="right")
    for dim in DIMENSIONS:
        table.add_column(dim, justify="right")
    table.add_row("all", str(report["n"]), *[_fmt(report["pearson"].get(d)) for d in DIMENSIONS])
    for lp, entry in report["by_language_pair"].items():
        table.add_row(lp, str(entry["n"]), *[_fmt(entry.get(d)) for d in DIMENSIONS])
    console.print(table)
    for name, entry in report.get("by_source", {}).items():
        console.print(f"{name}: n={entry['n']} overall={_fmt(entry['overall'])}")
    if report["failures"]:
        console.print(f"[red]{len(report['failures'])} record(s) failed[/]")
        for f in report["failures"][:10]:
            console.print(f"  {_esc(f['source'])}: {_esc(f['reason'])}")


def _fmt(v: float | None) -> str:
    return "–" if v is None else f"{v:.3f}"


@train_group.command(name="pairs")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="Where to write the model file.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Processes for profiling (default: all CPUs).")
@click.option("--translations", type=click.IntRange(min=0), default=TRANSLATION_PAIRS, show_default=True, help="Translation pairs found in the data (an article and its machine translation) added as 'identical'; 0 for none.")
@click.option("--pair-model/--no-pair-model", "with_pair_model", default=True, show_default=True, help="Also train the pair network (needs torch, the `train` extra) and stack its outputs; weights go to OUT with .npz.")
@click.pass_obj
def train_pairs(ctx: Context, paths: Sequence[str], out: str, workers: int | None, translations: int, with_pair_model: bool) -> None:
    """Train the pair scorer on SemEval-2022 Task 8 pairs and write the model
    file. `storyline train pairs dev_pairs.jsonl dev_pairs_mt.jsonl --out
    storyline/models/pair_scorer.json` reproduces the bundled model."""
    from storyline.engine import default_workers
    from storyline.scorer import train, translation_pairs

    failures: list[RecordError] = []
    with _errors(ctx):
        pairs = _load_pairs(paths, None, failures)
        if not pairs:
            raise InputError(", ".join(paths), "no labelled pairs could be read")
        pairs = pairs + (translation_pairs(pairs, limit=translations) if translations else [])
        profiles = _profile_pairs(pairs, workers or default_workers(), failures)
        pairs = [p for p in pairs if p.a.article_id in profiles and p.b.article_id in profiles]
        triples = [(profiles[p.a.article_id], profiles[p.b.article_id], p.gold) for p in pairs]
        from storyline.evaluate import pair_groups

        scorer = train(
            triples,
            pair_model=with_pair_model,
            cv_groups=pair_groups(pairs),
            log=lambda msg: click.echo(msg, err=True),
            meta={
                "data": [Path(p).name for p in paths],
                "translation_pairs": translations,
                "command": "storyline train pairs " + " ".join(Path(p).name for p in paths) + f" --translations {translations}" + ("" if with_pair_model else " --no-pair-model") + " --out " + Path(out).name,
            },
        )
        scorer.save(out)
    click.echo(f"trained on {len(triples)} pairs in {scorer.meta['train_seconds']} s → {out}")
    for f in failures[:10]:
        click.echo(f"skipped {f.source}: {f.reason}", err=True)
    sys.exit(EXIT_RECORD_FAILURES if failures else EXIT_OK)


# ---------------------------------------------------------------- entities

REGISTRY_OPTION = click.option(
    "--registry",
    type=click.Path(dir_okay=False),
    default="storyline-entities.json",
    show_default=True,
    envvar="STORYLINE_REGISTRY",
    help="The entity registry file (env STORYLINE_REGISTRY).",
)


def _open_registry(path: str, *, must_exist: bool = True):  # type: ignore[no-untyped-def]
    from storyline.registry import EntityRegistry, JsonFileStore

    if must_exist and not Path(path).exists():
        raise InputError(path, "no entity registry here yet; build one with `storyline entities build PATH...`")
    try:
        return EntityRegistry.load(JsonFileStore(path))
    except (ValueError, KeyError) as exc:
        raise InputError(path, f"not a storyline entity registry ({exc})") from None


@contextmanager
def _registry_errors(ctx: Context) -> Iterator[None]:
    from storyline.registry import RegistryError

    with _errors(ctx):
        try:
            yield
        except RegistryError as exc:
            raise InputError("registry", str(exc)) from None


@main.group(invoke_without_command=True)
@REGISTRY_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the entities as JSON.")
@click.option("--label", type=click.Choice(["PER", "ORG", "LOC", "MISC"]), default=None, help="Only entities of this type.")
@click.pass_context
def entities(click_ctx: click.Context, registry: str, as_json: bool, label: str | None) -> None:
    """People, organisations and places across articles and scripts.

    Without a subcommand, lists the entities of the registry, most mentioned
    first. `storyline entities build PATH...` adds articles to it.
    """
    if click_ctx.invoked_subcommand is not None:
        return
    ctx: Context = click_ctx.obj
    with _registry_errors(ctx):
        reg = _open_registry(registry)
        found = sorted(reg.entities(label=label), key=lambda e: (-len(e.links), e.name))
    if as_json:
        click.echo(json.dumps([_entity_summary(e) for e in found], ensure_ascii=False, indent=2))
        return
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for column in ("id", "name", "type", "mentions", "articles", "languages", "variants"):
        table.add_column(column)
    for e in found:
        forms = sorted({f for lang in e.variants().values() for group in lang.values() for f in group})
        table.add_row(e.entity_id, _esc(e.name), e.label, str(len(e.links)), str(len(e.articles)), ",".join(e.languages()), _esc(" / ".join(forms[:6])))
    _console().print(table)


def _entity_summary(e: Any) -> dict[str, Any]:
    return {"entity_id": e.entity_id, "name": e.name, "type": e.label, "known_id": e.known_id, "mentions": len(e.links), "articles": e.articles, "variants": e.variants()}


@entities.command(name="build")
@click.argument("paths", nargs=-1, required=True)
@REGISTRY_OPTION
@click.pass_obj
def entities_build(ctx: Context, paths: Sequence[str], registry: str) -> None:
    """Read articles and link every name they mention into the registry (created if missing)."""
    from storyline.analyse.profile import Profiler
    from storyline.engine import Engine, Report
    from storyline.ingest import iter_articles

    engine = Engine(profiler=Profiler())  # names only: no second encoder
    report = Report()
    with _registry_errors(ctx):
        reg = _open_registry(registry, must_exist=False)
        for article, profile in engine.profile_many(_progress(iter_articles(paths), "reading"), report):
            reg.learn_one(profile, article_id=article.article_id)
        reg.save()
    click.echo(f"{len(reg)} entities from {report.ok} articles → {registry}")
    _finish(report, False)


@main.command(name="entity")
@click.argument("name")
@REGISTRY_OPTION
@click.option("--json", "as_json", is_flag=True, help="Print the entity, its variants, articles and links as JSON.")
@click.pass_obj
def entity(ctx: Context, name: str, registry: str, as_json: bool) -> None:
    """One entity by name (any spelling, any script) or id: its variants, articles and the evidence of every link."""
    with _registry_errors(ctx):
        reg = _open_registry(registry)
        found = reg.entity(name)
        if found is None:
            raise InputError(registry, f"no entity named {name!r}")
    if as_json:
        click.echo(json.dumps(found.to_json(), ensure_ascii=False, indent=2))
        return
    console = _console()
    console.rule(f"[bold]{_esc(found.name)}[/] · {found.label} · {found.entity_id}")
    for lang, scripts in found.variants().items():
        console.print(f"  {lang}: " + _esc(" / ".join(f for forms in scripts.values() for f in forms)))
    console.print(f"  articles: {', '.join(found.articles)}")
    for link in found.links[:30]:
        console.print(f"  [dim]{_esc(link.surface)} ← {link.rule}[/]")


@entities.command(name="merge")
@click.argument("keep")
@click.argument("absorb")
@click.option("--note", default="", help="Why (kept in the decision log).")
@REGISTRY_OPTION
@click.pass_obj
def entities_merge(ctx: Context, keep: str, absorb: str, note: str, registry: str) -> None:
    """Merge entity ABSORB into KEEP (reversible with `entities undo`; never undone by automatic linking)."""
    with _registry_errors(ctx):
        reg = _open_registry(registry)
        decision = reg.merge(keep, absorb, note=note)
        reg.save()
    click.echo(f"decision {decision.decision_id}: merged {absorb} into {keep}")


@entities.command(name="split")
@click.argument("entity_id")
@click.argument("surfaces", nargs=-1, required=True)
@click.option("--note", default="", help="Why (kept in the decision log).")
@REGISTRY_OPTION
@click.pass_obj
def entities_split(ctx: Context, entity_id: str, surfaces: Sequence[str], note: str, registry: str) -> None:
    """Move the mentions spelled SURFACES out of ENTITY_ID into a new entity (reversible)."""
    with _registry_errors(ctx):
        reg = _open_registry(registry)
        decision = reg.split(entity_id, surfaces, note=note)
        reg.save()
    click.echo(f"decision {decision.decision_id}: split {', '.join(surfaces)} out of {entity_id}")


@entities.command(name="undo")
@click.argument("decision_id", type=int)
@REGISTRY_OPTION
@click.pass_obj
def entities_undo(ctx: Context, decision_id: int, registry: str) -> None:
    """Reverse a recorded merge or split."""
    with _registry_errors(ctx):
        reg = _open_registry(registry)
        decision = reg.undo(decision_id)
        reg.save()
    click.echo(f"undid decision {decision_id} ({decision.kind})")


def _attach_stage_commands() -> None:
    from storyline.cluster.commands import cluster_command, eval_clusters_command

    main.add_command(cluster_command, name="cluster")
    eval_group.add_command(eval_clusters_command, name="clusters")


_attach_stage_commands()


def _attach_store_commands() -> None:
    from storyline.store.commands import attach  # ingest, events, event, stories, story, export, import

    attach(main)


_attach_store_commands()


def _attach_web_commands() -> None:
    from storyline.web.commands import serve_command

    main.add_command(serve_command, name="serve")


_attach_web_commands()


def _attach_batch_commands() -> None:
    from storyline.batch.commands import batch_command

    main.add_command(batch_command, name="batch")


_attach_batch_commands()


def _finish(report: Any, as_json: bool) -> None:
    if report.failures:
        for f in report.failures:
            click.echo(f"failed: {f.source}: {f.reason}", err=True)
        click.echo(f"{report.ok} ok, {report.failed} failed", err=True)
        sys.exit(EXIT_RECORD_FAILURES)


if __name__ == "__main__":  # pragma: no cover
    main()
