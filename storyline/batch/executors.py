"""Two executors for the same shard work: worker processes on this machine, or Ray actors.

Each calls :func:`storyline.batch.work.run_shard` once per shard with a profiler built
**once per worker** (a process-pool initializer here; :class:`ShardWorker`'s ``__init__``
in a Ray actor), and reports each finished shard's summary to ``on_done`` as it arrives.
Ray is imported only inside :func:`import_ray`.

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
from collections import deque
from typing import Any, Callable, Iterator, Sequence

from storyline.batch.shards import Shard
from storyline.batch.work import run_shard
from storyline.errors import ConfigError

ENGINES = ("local", "ray")
LOCAL_SYSTEM_CONFIG: dict[str, Any] = {"enable_metrics_collection": False}
"""Ray system settings of a local cluster started by :func:`init_ray`."""

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
    """A Ray actor's state: builds the profiler once (in ``__init__``), then runs one shard per call.
    With ``cpu``, the actor's process keeps to that core (:func:`run_ray` on a local cluster).

    >>> import pathlib, tempfile
    >>> from storyline.batch.shards import plan_shards
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "a.txt").write_text("Quake hits Kabul\\n\\nA strong quake hit Kabul on Monday.")
    >>> ShardWorker("lexical", str(tmp / "out")).run(plan_shards([str(tmp / "a.txt")])[0].to_json())["articles"]
    1
    """

    def __init__(self, profiler: str, out: str, cpu: int | None = None) -> None:
        from storyline.pipeline import make_profiler

        if cpu is not None and hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {cpu})  # one core of its own: see run_ray
        self.threads = _OneThread()
        self.profiler = make_profiler(profiler)
        self.threads.check()
        self.out = out

    def run(self, shard: dict[str, Any]) -> dict[str, Any]:
        summary = run_shard(Shard.from_json(shard), self.profiler, self.out)
        self.threads.check()
        return summary

    def __call__(self, batch: dict[str, Any]) -> dict[str, list[str]]:
        """Ray Data's ``map_batches`` entry (``--ray-api data``): one shard per row of the batch."""
        return {"summary": [json.dumps(self.run(json.loads(s))) for s in batch["shard"]]}

    def ready(self) -> int:
        """The actor's pid, once its profiler is built."""
        return os.getpid()


def import_ray() -> Any:
    """``ray``, or a :class:`ConfigError` that says how to install it."""
    try:
        import ray
    except ImportError:
        raise ConfigError(
            f"[{ConfigError.code}] --engine ray needs Ray, which is an optional extra: pip install 'storyline[ray]' "
            "(or ray==2.60.0); use --engine local to run without it"
        ) from None
    return ray


def init_ray(address: str | None = None, *, num_cpus: int | None = None) -> Any:
    """Connect to the Ray cluster at ``address`` (``auto``, ``ray://host:10001``), or start a local one.

    A local cluster starts without the dashboard, usage statistics or metrics export, and no
    actor's log is forwarded to the driver: on a small machine those processes take CPU the
    actors need (measured in docs/benchmarks.md, "Batch and Ray")."""
    ray = import_ray()
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False, logging_level=logging.WARNING)
        else:
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            ray.init(
                num_cpus=num_cpus,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
                _system_config=LOCAL_SYSTEM_CONFIG,
            )
    return ray


def run_ray(
    shards: Sequence[Shard],
    out: str,
    profiler: str,
    *,
    workers: int = 2,
    address: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Run the shards on ``workers`` Ray actors (1 CPU each), each holding one profiler.

    The driver hands each actor one shard at a time, the next one as soon as it reports back
    (in plan order), and blocks in ``ray.wait`` in between. Only shard descriptions (a few hundred bytes) go out and summaries
    come back; each actor writes its own Parquet part. ``out`` must be reachable from every Ray
    node (a shared folder or an object-store URI)."""
    if not shards:
        return
    ray = init_ray(address, num_cpus=None)
    out = out if "://" in out else os.path.abspath(out)  # actors may run in another working directory
    todo = deque(shards)
    actor_class = ray.remote(num_cpus=1)(ShardWorker)
    n = max(1, min(workers, len(todo)))
    # a one-machine cluster with a core per actor: actor i keeps core i (on 2 cores the scheduler otherwise
    # sometimes runs both on one, and Ray's own processes preempt them: 2.7 -> 1.1 s lost per 1,600 articles)
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    pin = address is None and n <= len(cores) and len([x for x in ray.nodes() if x.get("Alive")]) == 1
    actors = [actor_class.remote(profiler, out, cores[i] if pin else None) for i in range(n)]
    running: dict[Any, Any] = {}
    try:
        for actor in actors:
            running[actor.run.remote(todo.popleft().to_json())] = actor
        while running:
            (ref,), _ = ray.wait(list(running), num_returns=1)
            actor = running.pop(ref)
            if todo:
                running[actor.run.remote(todo.popleft().to_json())] = actor
            yield ray.get(ref)
    finally:
        for actor in actors:
            ray.kill(actor)


def run_ray_data(
    shards: Sequence[Shard],
    out: str,
    profiler: str,
    *,
    workers: int = 2,
    address: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Run the shards with Ray Data: ``map_batches`` over the shard list with an actor pool of
    ``workers`` :class:`ShardWorker` (1 CPU each, one profiler each).

    Same work and results as :func:`run_ray`; Ray Data adds its streaming executor (a driver that
    polls, an autoscaling coordinator and a stats actor), which on a 2-core machine costs ~5 % of a
    core (docs/benchmarks.md, "Batch and Ray"), and brings what it offers on a large cluster:
    back-pressure, autoscaling actor pools and its dashboards."""
    if not shards:
        return
    init_ray(address, num_cpus=None)
    try:
        import ray.data
    except ImportError:
        raise ConfigError(f"[{ConfigError.code}] --ray-api data needs Ray Data: pip install 'ray[data]==2.60.0'") from None

    ctx = ray.data.DataContext.get_current()
    ctx.enable_progress_bars = False  # storyline draws its own (per shard, with articles/s)
    ctx.print_on_execution_start = False
    out = out if "://" in out else os.path.abspath(out)
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


RAY_APIS = ("actors", "data")


def run_shards(
    shards: Sequence[Shard],
    out: str,
    profiler: str,
    *,
    engine: str = "local",
    workers: int = 0,
    address: str | None = None,
    on_done: Callable[[dict[str, Any]], None] | None = None,
    ray_api: str = "actors",
) -> list[dict[str, Any]]:
    """Run the shards on ``engine`` (``local`` or ``ray``, the latter with plain actors or Ray Data:
    ``ray_api``); the summaries in the order they finished."""
    if engine == "local":
        it = run_local(shards, out, profiler, workers=workers)
    elif engine == "ray" and ray_api in RAY_APIS:
        run = run_ray if ray_api == "actors" else run_ray_data
        it = run(shards, out, profiler, workers=max(1, workers), address=address)
    elif engine == "ray":
        raise ConfigError(f"[{ConfigError.code}] The 'ray_api' parameter of run_shards must be one of {RAY_APIS}. Got {ray_api!r} instead.")
    else:
        raise ConfigError(f"[{ConfigError.code}] The 'engine' parameter of run_shards must be one of {ENGINES}. Got {engine!r} instead.")
    done = []
    for summary in it:
        done.append(summary)
        if on_done is not None:
            on_done(summary)
    return done
