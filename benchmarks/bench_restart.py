"""Open an existing growth store (restore: snapshot + replay), add 1,000 more synthetic articles, restart again.

    nice -n 5 .venv/bin/python benchmarks/bench_restart.py /tmp/bench_growth_XXXX/growth.db

Prints restore time (replayed articles), CPU/wall ms per added article, peak RSS, snapshot size, restart-from-snapshot time.
"""
import sys, time, resource, json, os
sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parent))
from bench_growth import snapshot_size, synthetic
from storyline.store import open_store
from storyline.pipeline import Pipeline
store = open_store(sys.argv[1])
n = store.counts()["articles"]
t0 = time.perf_counter(); c0 = time.process_time()
pipe = Pipeline(store, profiler="lexical", workers=1, batch_size=64, snapshot_every=10**9)
print(json.dumps({"stored": n, "replayed": pipe.replayed, "restore_wall_s": round(time.perf_counter()-t0,1), "restore_cpu_s": round(time.process_time()-c0,1), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024, "load": os.getloadavg()}), flush=True)
c0, t0 = time.process_time(), time.perf_counter()
r = pipe.ingest(synthetic(n, n + 1000, 101000))
cpu, wall = time.process_time()-c0, time.perf_counter()-t0
print(json.dumps({"added": r.added, "cpu_ms_per_article": round(1000*cpu/r.added,2), "wall_ms_per_article": round(1000*wall/r.added,2), "events": store.counts()["events"], "rss_mb_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024, "load": os.getloadavg()}), flush=True)
print(json.dumps({"snapshot_mb": snapshot_size(store)/1e6}), flush=True)  # read part by part: the whole snapshot is never in memory
t0=time.perf_counter(); again = Pipeline(store, profiler="lexical", workers=0); print(json.dumps({"restart_from_snapshot_s": round(time.perf_counter()-t0,1), "replayed": again.replayed}), flush=True)
