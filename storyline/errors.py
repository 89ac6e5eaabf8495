"""Errors that say where and why.

Every storyline error carries a short code (``E1xx`` input, ``E2xx`` config,
``E3xx`` store, ``E4xx`` plugin/model) and names the thing that failed.

>>> str(InputError("feeds/bbc.xml", "not RSS or Atom: root element is <html>"))
'[E101] feeds/bbc.xml: not RSS or Atom: root element is <html>'
>>> str(InputError("pairs.jsonl", "missing field 'text1'", line=7))
"[E101] pairs.jsonl:7: missing field 'text1'"
"""

from __future__ import annotations


class StorylineError(Exception):
    """Base class of every error storyline raises on purpose."""

    code = "E000"


class InputError(StorylineError):
    """A file, URL, feed entry or record could not be read as an article."""

    code = "E101"

    def __init__(self, source: str, reason: str, *, line: int | None = None) -> None:
        self.source = source
        self.reason = reason
        self.line = line
        where = source if line is None else f"{source}:{line}"
        super().__init__(f"[{self.code}] {where}: {reason}")

    def __reduce__(self):  # keep pickling (multiprocessing, Ray) working
        return (_rebuild_input_error, (type(self), self.source, self.reason, self.line))


def _rebuild_input_error(cls, source, reason, line):  # type: ignore[no-untyped-def]
    return cls(source, reason, line=line)


class UnsupportedFormatError(InputError):
    """The input is in a format storyline does not read."""

    code = "E102"


class TooLargeError(InputError):
    """The input is over the configured size limit."""

    code = "E103"


class ConfigError(StorylineError):
    """A setting or parameter has a value storyline cannot use."""

    code = "E201"


class ModelError(StorylineError):
    """A bundled model file is missing, corrupt or from an incompatible version."""

    code = "E401"


def invalid_parameter(name: str, owner: str, constraint: str, value: object) -> ConfigError:
    """Build a parameter error in scikit-learn's wording.

    >>> str(invalid_parameter("threshold", "EventClusterer", "a float in [0, 1]", 3))
    "[E201] The 'threshold' parameter of EventClusterer must be a float in [0, 1]. Got 3 instead."
    """
    err = ConfigError(
        f"[{ConfigError.code}] The {name!r} parameter of {owner} must be {constraint}. Got {value!r} instead."
    )
    return err
