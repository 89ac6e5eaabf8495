"""Remake ``storyline/web/static/world.json``: the country outlines the web UI's map is drawn from.

Source: Natural Earth 1:110m Admin 0 countries (public domain, https://www.naturalearthdata.com/),
as TopoJSON in the npm package ``world-atlas`` 2.x by Mike Bostock (ISC licence;
``countries-110m.json``, ids are ISO 3166-1 numeric). Nothing is fetched at run time: the
asset is committed and ships in the wheel (``web/static/*`` is package data).

    (cd /tmp && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz)   # unpacks /tmp/package/
    .venv/bin/python scripts/make_world_map.py /tmp/package/countries-110m.json --out storyline/web/static/world.json

Borders are Natural Earth's de facto ones (its default Admin 0 view), at 1:110m.
Small states and islands (Singapore, Bahrain, Malta, Hong Kong…) have no shape of their own; the map
marks them with a ring at their capital (storyline/web/geo.py).

Projection: equirectangular (plate carrée), in tenths of a degree, ``x = (lon + 180) * 10`` and
``y = (90 - lat) * 10`` (the world is 3600 × 1800; the page squeezes x by cos(latitude) of the
view's centre, so a regional crop keeps its shape). Points are rounded to whole units (0.1°,
about 11 km) and repeated points dropped; each country's path uses relative moves (``l``).

Per country (ISO 3166-1 alpha-2 via ``pycountry``, English name from Babel's CLDR data; Kosovo is ``XK``, Northern Cyprus joins
``CY``, Somaliland joins ``SO``): its English name, the SVG path ``d``, its bounding box
``[x0, y0, x1, y1]`` and a label point: the centroid of its largest polygon.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

SCALE = 10  # units per degree
EXTRA = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}  # no ISO numeric id in the source

Point = tuple[int, int]


def decode_arcs(topo: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Every arc as (lon, lat) points: undo the delta encoding and the quantisation.

    >>> decode_arcs({"transform": {"scale": [0.5, 0.5], "translate": [-10, 20]}, "arcs": [[[0, 0], [2, 1], [-1, 1]]]})
    [[(-10.0, 20.0), (-9.0, 20.5), (-9.5, 21.0)]]
    """
    t = topo.get("transform")
    arcs = []
    for arc in topo["arcs"]:
        x = y = 0
        points = []
        for dx, dy, *_ in arc:
            if t:
                x += dx
                y += dy
                points.append((x * t["scale"][0] + t["translate"][0], y * t["scale"][1] + t["translate"][1]))
            else:
                points.append((float(dx), float(dy)))
        arcs.append(points)
    return arcs


def ring_points(ring: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """A ring's points from its arc indices (``~i`` is arc ``i`` reversed; shared ends are kept once).

    >>> ring_points([0, ~1], [[(0, 0), (1, 0)], [(0, 0), (1, 1), (1, 0)]])
    [(0, 0), (1, 0), (1, 1), (0, 0)]
    """
    out: list[tuple[float, float]] = []
    for i in ring:
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        out.extend(arc if not out else arc[1:])
    return out


def project(lon: float, lat: float) -> Point:
    """Equirectangular, tenths of a degree, rounded.

    >>> project(-180, 90), project(0, 0), project(69.17, 34.53)
    ((0, 0), (1800, 900), (2492, 555))
    """
    return round((lon + 180) * SCALE), round((90 - lat) * SCALE)


def area(points: list[Point]) -> float:
    """Unsigned shoelace area.

    >>> area([(0, 0), (4, 0), (4, 3), (0, 3)])
    12.0
    """
    return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]))) / 2


def centroid(points: list[Point]) -> tuple[int, int]:
    """Area centroid of a ring (its mean point when degenerate).

    >>> centroid([(0, 0), (4, 0), (4, 2), (0, 2)])
    (2, 1)
    """
    a = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1]):
        cross = x0 * y1 - x1 * y0
        a += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(a) < 1e-9:
        return round(sum(p[0] for p in points) / len(points)), round(sum(p[1] for p in points) / len(points))
    return round(cx / (3 * a)), round(cy / (3 * a))


def path_of(rings: list[list[Point]]) -> str:
    """SVG path data, relative moves after each ring's first point.

    >>> path_of([[(10, 10), (12, 10), (12, 7)]])
    'M10 10l2 0 0-3z'
    """
    parts = []
    for ring in rings:
        x, y = ring[0]
        steps = []
        for px, py in ring[1:]:
            steps.append(f"{px - x} {py - y}".replace(" -", "-"))
            x, y = px, py
        parts.append(f"M{ring[0][0]} {ring[0][1]}" + ("l" + " ".join(steps) if steps else "") + "z")
    return "".join(parts).replace(" -", "-")


def unwrap(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A ring cut by the antimeridian made continuous (longitudes past ±180), unless it circles a pole.

    >>> unwrap([(179.0, 60.0), (-180.0, 60.0), (-179.0, 61.0), (-180.0, 62.0), (180.0, 62.0), (179.0, 60.0)])
    [(179.0, 60.0), (180.0, 60.0), (181.0, 61.0), (180.0, 62.0), (180.0, 62.0), (179.0, 60.0)]
    """
    jumps = sum(1 for a, b in zip(points, points[1:]) if abs(a[0] - b[0]) > 180)
    if jumps == 0 or jumps % 2:  # whole, or around a pole (Antarctica): the closing edge runs along the map's edge
        return points
    out, offset = [points[0]], 0.0
    for (lon0, _), (lon1, lat1) in zip(points, points[1:]):
        if lon1 - lon0 > 180:
            offset -= 360
        elif lon0 - lon1 > 180:
            offset += 360
        out.append((lon1 + offset, lat1))
    return out


def clean(points: list[tuple[float, float]]) -> list[Point]:
    """Projected, rounded, without repeated points (nor the closing repeat of the first)."""
    out: list[Point] = []
    for lon, lat in unwrap(points):
        p = project(lon, lat)
        if not out or p != out[-1]:
            out.append(p)
    while len(out) > 1 and out[-1] == out[0]:
        out.pop()
    return out


def alpha2(geometry: dict[str, Any]) -> str | None:
    import pycountry

    name = (geometry.get("properties") or {}).get("name", "")
    if name in EXTRA:
        return EXTRA[name]
    found = pycountry.countries.get(numeric=str(geometry.get("id") or "").zfill(3))
    return found.alpha_2 if found else None


def build(topo: dict[str, Any]) -> dict[str, Any]:
    import pycountry
    from babel import Locale

    english = Locale("en").territories  # short CLDR names: "Iran", "Russia"

    arcs = decode_arcs(topo)
    polygons: dict[str, list[list[Point]]] = {}  # code -> rings
    outer: dict[str, list[list[Point]]] = {}  # code -> outer rings (for the label point)
    names: dict[str, str] = {}
    for g in topo["objects"]["countries"]["geometries"]:
        code = alpha2(g)
        if code is None:
            print(f"skipped: {g.get('id')} {g.get('properties')}", file=sys.stderr)
            continue
        found = pycountry.countries.get(alpha_2=code)
        names[code] = english.get(code) or (found.name if found else g["properties"]["name"])
        polys = g["arcs"] if g["type"] == "MultiPolygon" else [g["arcs"]] if g["type"] == "Polygon" else []
        for poly in polys:
            rings = [clean(ring_points(r, arcs)) for r in poly]
            rings = [r for r in rings if len(r) >= 3]
            if not rings:
                continue
            outer.setdefault(code, []).append(rings[0])
            polygons.setdefault(code, []).extend(rings)
            for shift in (-360 * SCALE, 360 * SCALE):  # a ring past the antimeridian is drawn again on the other edge
                if any(0 <= p[0] + shift <= 360 * SCALE for r in rings for p in r) and any(not 0 <= p[0] <= 360 * SCALE for r in rings for p in r):
                    polygons[code].extend([[(x + shift, y) for x, y in r] for r in rings])
    countries = {}
    for code in sorted(polygons):
        rings = polygons[code]
        xs = [min(max(p[0], 0), 360 * SCALE) for r in rings for p in r]
        ys = [p[1] for r in rings for p in r]
        biggest = max(outer[code], key=area)
        lx, ly = centroid(biggest)
        countries[code] = {"name": names[code], "d": path_of(rings), "bbox": [min(xs), min(ys), max(xs), max(ys)], "label": [lx % (360 * SCALE), ly]}
    return {
        "source": "Natural Earth 1:110m countries (public domain) via world-atlas 2 (ISC); scripts/make_world_map.py",
        "projection": "equirectangular: x = (lon + 180) * 10, y = (90 - lat) * 10",
        "width": 360 * SCALE,
        "height": 180 * SCALE,
        "countries": countries,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("topojson", help="world-atlas's countries-110m.json")
    parser.add_argument("--out", default="storyline/web/static/world.json", help="the asset to write")
    args = parser.parse_args(argv)
    data = build(json.loads(Path(args.topojson).read_text(encoding="utf-8")))
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    Path(args.out).write_text(text + "\n", encoding="utf-8")
    print(f"{args.out}: {len(data['countries'])} countries, {len(text.encode()):,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
