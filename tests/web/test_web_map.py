"""The places map: the shipped outlines, the projection, ``map_picture`` and its template (escaping), the API's coordinates."""

from __future__ import annotations

import asyncio
import importlib.util
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
import pytest

from storyline.web import geo
from storyline.web.views import map_picture

ROOT = Path(__file__).resolve().parents[2]
KABUL = {"name": "Kabul", "place_id": "geonames:1138958", "country": "AF", "n_articles": 4}
KANDAHAR = {"name": "Kandahar", "place_id": "geonames:1138336", "country": "AF", "n_articles": 1}
DOHA = {"name": "Doha", "place_id": "geonames:290030", "country": "QA", "n_articles": 2}
HOSTILE = '<script>alert("x")</script>"><svg onload=alert(1)> & Co'


def _script() -> Any:
    spec = importlib.util.spec_from_file_location("make_world_map", ROOT / "scripts" / "make_world_map.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _inside(box: tuple[int, int, int, int], x: float, y: float) -> bool:
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


# ------------------------------------------------------------------ outlines and projection


def test_asset_is_compact_and_every_label_point_lies_in_its_country() -> None:
    path = ROOT / "storyline" / "web" / "static" / "world.json"
    assert path.stat().st_size <= 200_000
    world = geo.load_world()
    assert {"AF", "QA", "US", "RU", "CN", "BR", "FR", "XK", "FJ"} <= set(world.countries)
    for code, country in world.countries.items():
        assert _inside(country.bbox, *country.label), code
        assert country.d.startswith("M") and country.d.endswith("z"), code


def test_projection_puts_capitals_in_their_countries() -> None:
    world = geo.load_world()
    for place_id, code in (("geonames:1138958", "AF"), ("geonames:290030", "QA"), ("geonames:2950159", "DE"),
                           ("geonames:3448439", "BR"), ("geonames:2147714", "AU"), ("geonames:524901", "RU")):
        point = geo.locate(place_id)
        assert point is not None, place_id
        x, y = geo.project(*point)
        assert _inside(world.countries[code].bbox, x, y), (place_id, code, x, y)
        assert geo.unproject(x, y) == pytest.approx(point, abs=0.01)
    assert geo.project(0, -180) == (0.0, 900.0) and geo.project(-90, 180) == (3600.0, 1800.0)


def test_antimeridian_rings_are_unwrapped_and_russias_label_is_in_siberia() -> None:
    lat, lon = geo.unproject(*geo.load_world().countries["RU"].label)
    assert 55 < lat < 70 and 60 < lon < 130  # not dragged across the map by Chukotka's ring
    lat, lon = geo.unproject(*geo.load_world().countries["FJ"].label)
    assert abs(lon) > 170


def test_topojson_decoding_of_a_small_topology() -> None:
    mod = _script()
    topo = {
        "type": "Topology",
        "transform": {"scale": [1, 1], "translate": [0, 0]},
        "arcs": [[[10, 10], [5, 0], [0, 5]], [[10, 10], [0, 5], [5, 0]]],
        "objects": {"countries": {"type": "GeometryCollection", "geometries": [
            {"type": "Polygon", "arcs": [[0, ~1]], "id": "004", "properties": {"name": "Afghanistan"}},
            {"type": "Polygon", "arcs": [[1]], "id": "999", "properties": {"name": "Nowhere"}},
        ]}},
    }
    out = mod.build(topo)
    assert list(out["countries"]) == ["AF"]
    af = out["countries"]["AF"]
    assert af["name"] == "Afghanistan"
    # the square (10,10)-(15,15) in degrees, in tenths of a degree from (-180, 90)
    assert af["bbox"] == [1900, 750, 1950, 800]
    assert af["label"] == [1925, 775]
    assert af["d"] == "M1900 800l50 0 0-50-50 0z"


# ------------------------------------------------------------------ map_picture


def test_a_city_dot_lands_inside_its_countrys_box() -> None:
    pic = map_picture([KABUL, DOHA])
    world = geo.load_world()
    for dot, code in zip(pic["dots"], ("AF", "QA")):
        x = dot["x"] / pic["squeeze"]
        assert _inside(world.countries[code].bbox, x, dot["y"]), dot
    vx, vy, vw, vh = (float(v) for v in pic["view_box"].split())
    assert all(vx <= d["x"] <= vx + vw and vy <= d["y"] <= vy + vh for d in pic["dots"])


def test_shading_follows_the_counts() -> None:
    many = {"name": "Doha", "place_id": "geonames:290030", "country": "QA", "n_articles": 10}
    few = {"name": "Kabul", "place_id": "geonames:1138958", "country": "AF", "n_articles": 1}
    shades = {c["code"]: c["shade"] for c in map_picture([many, few])["shaded"]}
    assert shades == {"QA": 5, "AF": 1}
    shades = {c["code"]: c["shade"] for c in map_picture([{**many, "n_articles": 1}, {**few, "n_articles": 10}])["shaded"]}
    assert shades == {"QA": 1, "AF": 5}
    pic = map_picture([many, few, {"name": "Qatar", "place_id": "iso:QA", "country": "QA", "n_articles": 3}])
    assert {c["code"]: c["n"] for c in pic["shaded"]} == {"QA": 10, "AF": 1}  # the most articles of a place in it, not a sum
    assert [item["label"] for item in pic["legend"]] == ["1", "10"]
    bigger, smaller = pic["dots"]
    assert bigger["name"] == "Doha" and bigger["r"] > smaller["r"]


def test_close_places_get_a_regional_box_far_ones_the_world() -> None:
    near = map_picture([KABUL, KANDAHAR])
    vx, vy, vw, vh = (float(v) for v in near["view_box"].split())
    assert not near["world_view"] and vw < 600 and near["squeeze"] < 0.9
    assert all(vx < d["x"] < vx + vw and vy < d["y"] < vy + vh for d in near["dots"])
    assert {c["code"] for c in near["shaded"]} == {"AF"} and "US" not in {c["code"] for c in near["land"]}
    far = map_picture([{"name": n, "place_id": f"iso:{c}", "country": c, "n_articles": 1} for n, c in (("Afghanistan", "AF"), ("Qatar", "QA"), ("United States", "US"))])
    assert far["world_view"] and far["view_box"].startswith("0.0 ") and far["squeeze"] == 1.0
    assert {c["code"] for c in far["shaded"]} == {"AF", "QA", "US"}
    assert [(d["name"], d["kind"]) for d in far["dots"]] == [("Qatar", "country")]  # too small to see on the world: a ring
    assert [c["name"] for c in near["country_labels"]] == ["Afghanistan"] and far["country_labels"] == []
    lone = map_picture([DOHA])  # one city: a box of sensible size around it, not a pin-point
    assert 250 <= float(lone["view_box"].split()[2]) < 600


def test_regions_shade_their_country_and_unknown_places_are_listed() -> None:
    pic = map_picture([{"name": "Kabul Province", "place_id": "iso:AF-KAB", "country": "AF", "n_articles": 2},
                       {"name": "Atlantis", "place_id": "geonames:999999999", "country": "", "n_articles": 1},
                       {"name": "Singapore", "place_id": "iso:SG", "country": "SG", "n_articles": 1}])
    assert [c["code"] for c in pic["shaded"]] == ["AF"]
    assert [(u["name"], u["why"]) for u in pic["unplaced"]] == [("Kabul Province", "a region: shaded as its country"), ("Atlantis", "no coordinates known")]
    assert [(d["name"], d["kind"]) for d in pic["dots"]] == [("Singapore", "country")]  # too small for 1:110m: a ring at its capital
    assert map_picture([])["empty"] and map_picture([])["world_view"]


def _render(pic: dict[str, Any]) -> str:
    from storyline.web.ui import _env

    return str(_env().get_template("_map.html").module.places_map(pic))


def test_hostile_place_names_are_escaped_in_the_svg() -> None:
    pic = map_picture([{**KABUL, "name": HOSTILE}, {"name": HOSTILE, "place_id": "iso:AF-KAB", "country": "AF", "n_articles": 1}])
    html = _render(pic)
    assert "<script" not in html and "onload" not in html.replace("onload=alert(1)&gt;", "")
    assert "&lt;script&gt;" in html
    root = ET.fromstring(html)  # well-formed: no attribute or element broke out
    svg = root.find("svg")
    assert svg is not None and svg.get("role") == "img" and svg.get("aria-label") == "Map of 2 places in 1 country"
    titles = [t.text for t in root.iter("title")]
    assert any(t and t.startswith(HOSTILE) for t in titles)
    assert not [e for e in root.iter() if e.tag in ("script", "foreignObject") or any(a.startswith("on") for a in e.attrib)]


# ------------------------------------------------------------------ API


def test_story_and_event_places_carry_coordinates(demo_db: Path, engine: Any) -> None:
    from storyline.store import open_store
    from storyline.web import WebSettings, create_app

    store = open_store(demo_db)
    app = create_app(store, settings=WebSettings(), engine=engine)

    async def fetch() -> tuple[dict[str, Any], dict[str, Any]]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            stories = (await client.get("/api/stories")).json()["items"]
            story = next(s for s in stories if "Doha" in s["headline"] or s["n_articles"] > 3)
            body = (await client.get(f"/api/stories/{story['story_id']}")).json()["story"]
            doha_event = next(e for e in body["events"] if e["n_articles"] > 0)
            event = (await client.get(f"/api/events/{doha_event['event_id']}")).json()["event"]
            return body, event

    try:
        story, event = asyncio.run(fetch())
    finally:
        store.close()
    doha = next(p for p in story["places"] if p["place_id"] == "geonames:290030")
    assert doha["lat"] == pytest.approx(25.29, abs=0.05) and doha["lon"] == pytest.approx(51.53, abs=0.05)
    assert all(("lat" in p and "lon" in p) for p in story["places"])
    assert event["places"] and all(p["n_articles"] >= 1 and "lat" in p for p in event["places"])
    assert json.dumps(event)  # plain JSON
