"""Batch profiling and clustering of large corpora, in-process or on Ray.

``storyline batch INPUT...`` plans deterministic shards (:mod:`.shards`), runs the
same shard work (:func:`.work.run_shard`: read → profile → encode → write) on one of
two executors (:mod:`.executors`: worker processes, or Ray actors with one profiler
each), resumes by skipping finished shards, and can cluster the profiled corpus
(:mod:`.corpus`, :mod:`.partitions`), find its near-duplicates (:mod:`.duplicates`) or
load it into the store. Ray is an optional extra, imported lazily.
"""

from storyline.batch.corpus import ClusterResult, cluster_corpus, iter_in_date_order, load_into_store
from storyline.batch.executors import ENGINES, run_shards
from storyline.batch.shards import Shard, plan_shards, read_shard
from storyline.batch.work import read_profiles, run_shard

__all__ = [
    "ENGINES",
    "ClusterResult",
    "Shard",
    "cluster_corpus",
    "iter_in_date_order",
    "load_into_store",
    "plan_shards",
    "read_profiles",
    "read_shard",
    "run_shard",
    "run_shards",
]
