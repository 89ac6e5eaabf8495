"""storyline: which news articles, in any language, report the same story.

>>> from storyline import Article, Engine
>>> engine = Engine()
>>> a = Article.from_text("Talks resume in Doha", "Negotiators met in Doha on Monday to resume peace talks.")
>>> b = Article.from_text("Gespräche in Doha", "Die Unterhändler trafen sich am Montag in Doha, um die Friedensgespräche fortzusetzen.")
>>> engine.compare(a, b).verdict in ("translation", "same_event", "same_story")
True
"""

from storyline.analyse.profile import Profiler
from storyline.engine import Engine, Report
from storyline.errors import InputError, StorylineError
from storyline.scorer import PairScorer
from storyline.types import DIMENSIONS, Article, ArticlePair, PairScore, Profile, RecordError

__all__ = [
    "DIMENSIONS",
    "Article",
    "ArticlePair",
    "Engine",
    "InputError",
    "PairScore",
    "PairScorer",
    "Profile",
    "Profiler",
    "RecordError",
    "Report",
    "StorylineError",
]
