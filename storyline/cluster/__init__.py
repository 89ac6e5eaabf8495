"""Online event clustering and story linking.

:class:`EventClusterer` puts each profile into an event as it arrives;
:class:`StoryLinker` links events into stories; :class:`CopyGraph` records
which article is a near-duplicate or translation of which; :func:`bcubed`
scores a clustering against gold labels.
"""

from storyline.cluster.evaluate import bcubed, clustering_report
from storyline.cluster.events import CopyGraph, EventClusterer
from storyline.cluster.stories import StoryLinker

__all__ = ["CopyGraph", "EventClusterer", "StoryLinker", "bcubed", "clustering_report"]
