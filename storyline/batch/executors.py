"""Two executors for the same shard work: worker processes on this machine, or Ray Data.

Each calls :func:`storyline.batch.work.run_shard` once per shard with a profiler built
**once per worker** (a process-pool initializer here; a callable class's ``__init__``
in Ray's ``map_batches``), and reports each finished shard's summary to ``on_done``
as it arrives. Ray is imported only inside :func:`run_ray`.

>>> import pathlib, tempfile
>>> from storyline.batch.shards import plan_shards
>>> tmp = pathlib.Path(tempfile.mkdtemp())
>>> _ = (tmp / "a.txt").write_text("Quake hits Kabul\\n\\nA strong quake hit Kabul on Monday.")
>>> [s["articles"] for s in run_local(plan_shards([str(tmp / "a.txt")]), str(tmp / "out"), "lexical", workers=0)]
[1]
"""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Any, Callable, Iterator, Sequence

from storyline.batch.shards import Shard
from storyline.batch.work import run_shard
from storyline.errors import ConfigError

ENGINES = ("local", "ray")

_WORKER: dict[str, Any] = {}


class _OneThread:
    """Keeps a worker's BLAS/OpenMP pools at one thread (workers run one per core), also for
    models that a new language loads lazily (see :func:`storyline.pipeline.one_thread_per_process`)."""

    def __init__(self) -> None:
        from storyline.pipeline import one_thread_per_process

        self._limit = one_thread_per_process
        self.limits = one_thread_per_process()
        self.modules = len(sys.modules)

    def check(self) -> None:
        if len(sys.modules) != self.modules:
            self.limits = self._limit()
            self.modules = len(sys.modules)


def _init_worker(profiler: str, out: str) -> None:
    from storyline.pipeline import make_profiler

    _WORKER["threads"] = _OneThread()
    _WORKER["profiler"] = make_profiler(profiler)
    _WORKER["threads"].check()
    _WORKER["out"] = out


def _run_in_worker(shard: Shard) -> dict[str, Any]:
    summary = run_shard(shard, _WORKER["profiler"], _WORKER["out"])
    _WORKER["threads"].check()
    return summary


def run_local(shards: Sequence[Shard], out: str, profiler: str, *, workers: int = 0) -> Iterator[dict[str, Any]]:
    """Run the shards in ``workers`` processes (0: in this process); yield each summary as it finishes."""
    if not shards:
        return
    if workers <= 0:
        from storyline.pipeline import make_profiler

        p = make_profiler(profiler)
        for shard in shards:
            yield run_shard(shard, p, out)
        return
    import multiprocessing as mp

    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context("spawn")
    with ctx.Pool(min(workers, len(shards)), initializer=_init_worker, initargs=(profiler, out)) as pool:
        yield from pool.imap_unordered(_run_in_worker, shards, chunksize=1)


class ShardWorker:
    """Ray Data callable class: builds the profiler once, then runs one shard per row of each batch."""

    def __init__(self, profiler: str, out: str) -> None:
        from storyline.pipeline import make_profiler

        self.threads = _OneThread()
        self.profiler = make_profiler(profiler)
        self.threads.check()
        self.out = out

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        done = []
        for s in batch["shard"]:
            done.append(run_shard(Shard.from_json(json.loads(s)), self.profiler, self.out))
            self.threads.check()
        return {"summary": [json.dumps(d) for d in done]}


def import_ray() -> Any:
    """``ray`` (with Ray Data), or a :class:`ConfigError` that says how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ConfigError(
            f"[{ConfigError.code}] --engine ray needs Ray, which is an optional extra: pip install 'storyline[ray]' "
            "(or ray[data]==2.60.0); use --engine local to run without it"
        ) from None
    return ray


def init_ray(address: str | None = None, *, num_cpus: int | None = None) -> Any:
    """Connect to the Ray cluster at ``address`` (``auto``, ``ray://host:10001``), or start a local one."""
    ray = import_ray()
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            ray.init(num_cpus=num_cpus, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # storyline draws its own (per shard, with articles/s)
    ctx.print_on_execution_start = False
    return ray


def run_ray(
    shards: Sequence[Shard],
    out: str,
    profiler: str,
    *,
    workers: int = 2,
    address: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Run the shards with Ray Data: ``workers`` actors (1 CPU each) each holding one profiler.

    ``out`` must be reachable from every Ray node (a shared folder or an object-store URI)."""
    if not shards:
        return
    init_ray(address, num_cpus=None)
    import ray.data

    out = out if "://" in out else os.path.abspath(out)  # actors may run in another working directory

    ds = ray.data.from_items([{"shard": json.dumps(s.to_json())} for s in shards], override_num_blocks=len(shards))
    ds = ds.map_batches(
        ShardWorker,
        fn_constructor_kwargs={"profiler": profiler, "out": out},
        batch_size=1,
        compute=ray.data.ActorPoolStrategy(size=max(1, min(workers, len(shards)))),
        num_cpus=1,
    )
    for row in ds.iter_rows():
        yield json.loads(row["summary"])


def run_shards(
    shards: Sequence[Shard],
    out: str,
    profiler: str,
    *,
    engine: str = "local",
    workers: int = 0,
    address: str | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run the shards on ``engine`` (``local`` or ``ray``); the summaries in the order they finished."""
    if engine == "local":
        it = run_local(shards, out, profiler, workers=workers)
    elif engine == "ray":
        it = run_ray(shards, out, profiler, workers=max(1, workers), address=address)
    else:
        raise ConfigError(f"[{ConfigError.code}] The 'engine' parameter of run_shards must be one of {ENGINES}. Got {engine!r} instead.")
    done = []
    for summary in it:
        done.append(summary)
        if on_done is not None:
            on_done(summary)
    return done
