"""storyline batch: profiling throughput with 1 and 2 Ray workers, and an end-to-end batch of synthetic articles.

    nice -n 10 .venv/bin/python benchmarks/bench_batch.py                           # both parts (400 real articles; 100k synthetic)
    nice -n 10 .venv/bin/python benchmarks/bench_batch.py --part ray --n 200        # Ray scaling only
    nice -n 10 .venv/bin/python benchmarks/bench_batch.py --part e2e --e2e-n 20000  # end-to-end only, smaller

**Ray scaling** (``--part ray``): ``--n`` articles of ``../shared/data/clustering`` (real news in
en/es/it/nl/zh/ja/ru/de/cs/uk; synthetic ones when that folder is absent — the output says which)
profiled with ``--profiler`` (default ``fast``) by ``run_shards(engine="ray")`` on a local Ray cluster
(``num_cpus=2``, started once, or for every run with ``--fresh-session``) with 1 and then 2 actors,
``--repeat`` times alternating. Reported: wall time (actor start-up and model loading included),
articles/s, the speed-up per repetition and its median, the workers' CPU time
(``time.process_time`` in each actor, summed), the CPU time of every Ray process during the run
(driver, raylet, GCS, monitors, agents; psutil) and the load average before and after, since
the machine is shared.

**End-to-end** (``--part e2e``): ``--e2e-n`` synthetic articles (the topic generator of
``bench_growth.py``) written to JSONL files, then ``storyline batch`` run as a subprocess with the
``lexical`` profiler (no models: the scale run measures the batch machinery — reading, sharding,
encoding, Parquet writing — not the models, whose per-article cost the Ray part measures),
``--engine local --workers 2``; wall time, CPU time of the whole process tree, peak RSS of the tree
(sampled every 0.2 s with psutil) and output size; then the near-duplicates over the whole output
(``find_near_duplicates``), ``--cluster-n`` of those articles clustered in date order
(``cluster_corpus``) with its time and peak memory, and with ``--partition-days`` the whole output
clustered in time partitions.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SHARED = ROOT.parent / "shared" / "data" / "clustering"


def _corpus(n: int, folder: Path) -> tuple[Path, str]:
    """A JSONL file of ``n`` articles: real ones from ../shared when present, else synthetic."""
    path = folder / "corpus.jsonl"
    rows: list[str] = []
    if SHARED.is_dir():
        for f in sorted(SHARED.glob("*.jsonl")):
            rows.extend(line for line in f.read_text(encoding="utf-8").splitlines() if line.strip())
        what = f"../shared/data/clustering ({len(rows)} real articles, first {n} in file order)"
        while len(rows) < n:  # fewer than asked: cycle (same articles again count as work all the same)
            rows = rows + rows
        rows = rows[:n]
    else:
        from bench_growth import synthetic

        rows = [json.dumps({"title": a.title, "text": a.text, "date": a.published_at.isoformat()}) for a in synthetic(0, n, n)]
        what = f"{n} synthetic articles (../shared is absent)"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path, what


def _ray_process_kind(p: Any, driver: int) -> str | None:
    """Which Ray process ``p`` is (None: not Ray's): the driver, raylet, GCS, agents, monitors or a worker."""
    import psutil

    try:
        name, cmd = p.name(), " ".join(p.cmdline()[:4])
    except psutil.Error:
        return None
    if p.pid == driver:
        return "driver"
    for kind in ("raylet", "gcs_server", "log_monitor", "monitor.py", "dashboard", "runtime_env"):
        if kind in name or kind in cmd:
            return kind.removesuffix(".py")
    if name.startswith("ray::"):
        return "actor:ShardWorker" if "ShardWorker" in name else f"worker:{name[5:].split('.')[0]}"
    return "worker:other" if "default_worker" in cmd else None


class _RayCPU:
    """CPU seconds of every process of this driver's Ray cluster (and the driver) during a run, sampled with psutil every 0.5 s
    (processes that exit in between lose at most their last 0.5 s); the sampler's own CPU is taken
    out of the driver's."""

    def __init__(self) -> None:
        self.first: dict[int, tuple[str, float]] = {}
        self.last: dict[int, tuple[str, float]] = {}
        self.own = 0.0
        self._sample()
        self.first = dict(self.last)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        for p in [me, *me.children(recursive=True)]:  # the local cluster this driver started (not other users' Ray)
            kind = _ray_process_kind(p, os.getpid())
            if kind is None:
                continue
            try:
                t = p.cpu_times()
            except psutil.Error:
                continue
            self.last[p.pid] = (kind, t.user + t.system)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()
        self.own = time.thread_time()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        out: dict[str, float] = {}
        for pid, (kind, cpu) in self.last.items():
            out[kind] = out.get(kind, 0.0) + cpu - self.first.get(pid, (kind, 0.0))[1]
        out["driver"] = out.get("driver", 0.0) - self.own
        return {k: round(v, 2) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


def ray_part(args: argparse.Namespace) -> dict[str, Any]:
    import statistics

    import ray

    from storyline.batch import plan_shards, run_shards
    from storyline.batch.executors import init_ray

    tmp = Path(tempfile.mkdtemp(prefix="bench_batch_ray_"))
    path, what = _corpus(args.n, tmp)
    shards = plan_shards([str(path)], shard_size=args.shard_size)
    out: dict[str, Any] = {"corpus": what, "profiler": args.profiler, "n": args.n, "shards": len(shards), "runs": []}
    for rep in range(args.repeat):
        for workers in (1, 2):
            if args.fresh_session or not ray.is_initialized():
                ray.shutdown()
                t0 = time.perf_counter()
                init_ray(None, num_cpus=2)
                out.setdefault("ray_start_s", []).append(round(time.perf_counter() - t0, 1))
                time.sleep(2)  # let the new cluster's processes settle before the clock starts
            load_before = os.getloadavg()
            procs = _RayCPU()
            t0 = time.perf_counter()
            summaries = run_shards(shards, str(tmp / f"out{rep}-{workers}"), args.profiler, engine="ray", workers=workers)
            wall = time.perf_counter() - t0
            ray_cpu = procs.stop()
            cpu = sum(s["cpu_seconds"] for s in summaries)
            span = max(s["finished_at"] for s in summaries) - min(s["started_at"] for s in summaries)
            run = {
                "repeat": rep,
                "workers": workers,
                "wall_s": round(wall, 1),
                "articles_per_s": round(args.n / wall, 2),
                "articles_ok": sum(s["articles"] for s in summaries),
                "failed": sum(len(s["failures"]) for s in summaries),
                "worker_cpu_s": round(cpu, 1),
                "worker_cpu_ms_per_article": round(1000 * cpu / max(1, args.n), 1),
                "actors": len({s["pid"] for s in summaries}),
                # from the first shard starting to the last one finishing: without actor construction (model loading)
                "span_s": round(span, 1),
                "startup_s": round(wall - span, 1),
                "cpu_s_by_process": ray_cpu,
                "ray_overhead_cpu_s": round(sum(v for k, v in ray_cpu.items() if not k.startswith("actor:")), 2),
                "load_before": [round(x, 1) for x in load_before],
                "load_after": [round(x, 1) for x in os.getloadavg()],
            }
            out["runs"].append(run)
            print(json.dumps(run), flush=True)
    ratio = {"wall": [], "span": []}
    for rep in range(args.repeat):
        one, two = (next(r for r in out["runs"] if r["repeat"] == rep and r["workers"] == w) for w in (1, 2))
        ratio["wall"].append(round(one["wall_s"] / two["wall_s"], 3))
        ratio["span"].append(round(one["span_s"] / two["span_s"], 3))
    out["speedup_2_vs_1"] = ratio["wall"]
    out["speedup_2_vs_1_span"] = ratio["span"]
    out["speedup_2_vs_1_median"] = statistics.median(ratio["wall"])
    ray.shutdown()
    return out


class _TreeMemory:
    """Peak RSS (sum over a process and its descendants) and CPU time of the tree, sampled in a thread."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.peak_mb = 0.0
        self.cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
                rss = 0
                for p in procs:
                    try:
                        rss += p.memory_info().rss
                        t = p.cpu_times()
                        self.cpu[p.pid] = t.user + t.system + t.children_user + t.children_system
                    except psutil.Error:
                        pass
                self.peak_mb = max(self.peak_mb, rss / 2**20)
            except psutil.Error:
                pass
            self._stop.wait(0.2)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def e2e_part(args: argparse.Namespace) -> dict[str, Any]:
    from bench_growth import synthetic

    tmp = Path(tempfile.mkdtemp(prefix="bench_batch_e2e_"))
    data = tmp / "in"
    data.mkdir()
    t0 = time.perf_counter()
    per_file = 10_000
    for start in range(0, args.e2e_n, per_file):
        stop = min(args.e2e_n, start + per_file)
        lines = (
            json.dumps({"title": a.title, "text": a.text, "date": a.published_at.isoformat(), "url": a.url, "outlet": a.meta["outlet"]})
            for a in synthetic(start, stop, args.e2e_n)
        )
        (data / f"part{start // per_file:03d}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    gen = time.perf_counter() - t0
    out_dir = tmp / "profiles.parquet"
    cmd = [str(ROOT / ".venv/bin/storyline"), "batch", str(data), "--out", str(out_dir), "--profiler", "lexical",
           "--engine", args.e2e_engine, "--workers", "2", "--shard-size", str(args.e2e_shard_size), "--json"]
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mem = _TreeMemory(proc.pid)
    stdout, stderr = proc.communicate()
    wall = time.perf_counter() - t0
    mem.stop()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = json.loads(stdout.strip().splitlines()[-1]) if stdout.strip() else {"error": stderr[-2000:]}
    size = sum(f.stat().st_size for f in out_dir.iterdir())
    result: dict[str, Any] = {
        "n": args.e2e_n,
        "engine": args.e2e_engine,
        "generate_s": round(gen, 1),
        "input_mb": round(sum(f.stat().st_size for f in data.iterdir()) / 2**20, 1),
        "wall_s": round(wall, 1),
        "articles_per_s": round(args.e2e_n / wall, 1),
        "exit_code": proc.returncode,
        "articles": report.get("articles"),
        "failed": report.get("failed"),
        "shards": report.get("shards"),
        "worker_cpu_s": report.get("worker_cpu_seconds"),
        "cpu_s_tree": round(children.ru_utime + children.ru_stime, 1),
        "cpu_ms_per_article": round(1000 * (children.ru_utime + children.ru_stime) / args.e2e_n, 2),
        "peak_rss_tree_mb": round(mem.peak_mb),
        "peak_rss_largest_process_mb": round(children.ru_maxrss / 1024),
        "output_mb": round(size / 2**20, 1),
        "output_bytes_per_article": round(size / args.e2e_n),
        "load_before": [round(x, 1) for x in load_before],
        "load_after": [round(x, 1) for x in os.getloadavg()],
    }
    print(json.dumps({"e2e": result}), flush=True)
    result["near_duplicates"] = _near_duplicates(out_dir)
    print(json.dumps({"near_duplicates": result["near_duplicates"]}), flush=True)
    if args.cluster_n:
        result["cluster"] = _cluster_subset(out_dir, args.cluster_n, tmp)
        print(json.dumps({"cluster": result["cluster"]}), flush=True)
    if args.partition_days:
        result["partitioned"] = _cluster_partitioned(out_dir, args.partition_days, tmp)
        print(json.dumps({"partitioned": result["partitioned"]}), flush=True)
        if args.cluster_n >= args.e2e_n:  # the same articles both ways: how far the stitched result is from the sequential one
            from storyline.cluster.evaluate import bcubed

            seq = json.loads((tmp / "sequential.json").read_text())
            par = json.loads((tmp / "partitioned.json").read_text())
            ids = sorted(seq)
            p, r, f = bcubed([par[a] for a in ids], [seq[a] for a in ids])
            result["partitioned"]["bcubed_vs_sequential"] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}
            print(json.dumps({"bcubed_vs_sequential": result["partitioned"]["bcubed_vs_sequential"]}), flush=True)
    return result


def _near_duplicates(out_dir: Path) -> dict[str, Any]:
    """``find_near_duplicates`` over the whole e2e output (2 worker processes for the map), in a child process."""
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
from storyline.batch.duplicates import find_near_duplicates
t0, c0 = time.perf_counter(), time.process_time()
links = find_near_duplicates({str(out_dir)!r}, workers=2)
ch = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({{"links": len(links), "wall_s": round(time.perf_counter() - t0, 1), "driver_cpu_s": round(time.process_time() - c0, 1),
                  "workers_cpu_s": round(ch.ru_utime + ch.ru_stime, 1),
                  "peak_rss_driver_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "peak_rss_largest_worker_mb": round(ch.ru_maxrss / 1024)}}))
"""
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        return {"error": res.stderr[-2000:]}
    return dict(json.loads(res.stdout.strip().splitlines()[-1]))


def _cluster_partitioned(out_dir: Path, days: float, tmp: Path) -> dict[str, Any]:
    """``cluster_partitioned`` over the whole e2e output, 2 worker processes, in a child process tree."""
    code = f"""
import json, resource, sys, time
sys.path.insert(0, {str(ROOT)!r})
from storyline.batch.partitions import cluster_partitioned
r = cluster_partitioned({str(out_dir)!r}, days={days}, workers=2, write=False)
json.dump({{a: e for a, (e, _) in r.assignments.items()}}, open({str(tmp / "partitioned.json")!r}, "w"))
print(json.dumps({{"n": r.articles, "partitions": r.partitions, "events": r.events, "stories": r.stories,
                  "wall_s": round(r.seconds, 1), "cpu_s": round(r.cpu_seconds, 1),
                  "cpu_ms_per_article": round(1000 * r.cpu_seconds / max(1, r.articles), 1),
                  "peak_rss_driver_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
                  "peak_rss_largest_worker_mb": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)}}))
"""
    load_before = os.getloadavg()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    mem = _TreeMemory(proc.pid)
    stdout, stderr = proc.communicate()
    mem.stop()
    if proc.returncode != 0:
        return {"error": stderr[-2000:]}
    out = json.loads(stdout.strip().splitlines()[-1])
    out["peak_rss_tree_mb"] = round(mem.peak_mb)
    out["load_before"] = [round(x, 1) for x in load_before]
    out["load_after"] = [round(x, 1) for x in os.getloadavg()]
    return out


def _cluster_subset(out_dir: Path, n: int, tmp: Path) -> dict[str, Any]:
    """Cluster the ``n`` oldest profiled articles in a child process (its own peak RSS)."""
    code = f"""
import json, resource, sys, time, itertools
sys.path.insert(0, {str(ROOT)!r})
from storyline.batch.corpus import iter_in_date_order
from storyline.cluster import EventClusterer
from storyline.pipeline import ShortlistStoryLinker
from storyline.store.codec import decode_profile
c, linker = EventClusterer(), ShortlistStoryLinker()
t0, p0 = time.perf_counter(), time.process_time()
n = 0
for row in itertools.islice(iter_in_date_order({str(out_dir)!r}, ["article_id", "published_at", "outlet", "profile"]), {n}):
    c.learn_one(decode_profile(row["profile"]), source=row["outlet"])
    n += 1
c.rescue_singletons()
stories = linker.link_many(c)
json.dump(dict(c.assignments_), open({str(tmp / "sequential.json")!r}, "w"))
print(json.dumps({{"n": n, "events": len(c.events_), "stories": len(set(stories.values())),
                  "wall_s": round(time.perf_counter() - t0, 1), "cpu_s": round(time.process_time() - p0, 1),
                  "cpu_ms_per_article": round(1000 * (time.process_time() - p0) / max(1, n), 1),
                  "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}}))
"""
    load_before = os.getloadavg()
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if res.returncode != 0:
        return {"error": res.stderr[-2000:]}
    out = json.loads(res.stdout.strip().splitlines()[-1])
    out["load_before"] = [round(x, 1) for x in load_before]
    out["load_after"] = [round(x, 1) for x in os.getloadavg()]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["ray", "e2e", "all"], default="all")
    ap.add_argument("--n", type=int, default=400, help="articles for the Ray scaling part")
    ap.add_argument("--profiler", default="fast", choices=["full", "fast", "lexical"])
    ap.add_argument("--shard-size", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=1, help="Ray part: alternate 1 and 2 workers this many times (the median speed-up is reported)")
    ap.add_argument("--fresh-session", action="store_true", help="Ray part: a new local Ray cluster for every run (default: one for all runs)")
    ap.add_argument("--e2e-n", type=int, default=100_000)
    ap.add_argument("--e2e-engine", default="local", choices=["local", "ray"])
    ap.add_argument("--e2e-shard-size", type=int, default=2000)
    ap.add_argument("--cluster-n", type=int, default=10_000, help="articles of the e2e corpus clustered afterwards (0: none)")
    ap.add_argument("--partition-days", type=float, default=0, help="also cluster the whole e2e corpus in time partitions of this many days, 2 processes (0: no)")
    args = ap.parse_args()
    result: dict[str, Any] = {"cpus": os.cpu_count(), "nice": os.nice(0)}
    if args.part in ("ray", "all"):
        result["ray"] = ray_part(args)
    if args.part in ("e2e", "all"):
        result["e2e"] = e2e_part(args)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
