"""Online event clustering and story linking.

:class:`EventClusterer` puts each profile into an event as it arrives;
:class:`StoryLinker` links events into stories; :class:`CopyGraph` records
which article is a near-duplicate or translation of which.
"""

from storyline.cluster.evaluate import bcubed

__all__ = ["bcubed"]
