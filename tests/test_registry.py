"""The entity registry: linking rules, evidence, manual decisions, serialisation."""

from __future__ import annotations

import pytest

from storyline.registry import (
    EntityRegistry,
    JsonFileStore,
    MemoryStore,
    RegistryError,
    link_names,
    resolve_known,
)
from storyline.types import Mention


def mentions(*items: tuple[str, str, str]) -> list[Mention]:
    out, pos = [], 0
    for text, label, lang in items:
        out.append(Mention(text, label, pos, pos + len(text), lang, ""))
        pos += len(text) + 5
    return out


def test_cross_script_variants_form_one_entity_with_evidence():
    reg = EntityRegistry()
    a = reg.learn_mentions(mentions(("Mark Milley", "PER", "en"), ("Millie", "PER", "en"), ("Doha", "LOC", "en")), article_id="a")
    b = reg.learn_mentions(mentions(("马克·米利", "PER", "zh"), ("米莉", "PER", "zh"), ("多哈", "LOC", "zh")), article_id="b")
    c = reg.learn_mentions(mentions(("Марк Милли", "PER", "ru"), ("Доху", "LOC", "ru")), article_id="c")
    assert a[0] == a[1] == b[0] == b[1] == c[0]
    assert a[2] == b[2] == c[1] == "geonames:290030"
    e = reg.get(a[0])
    assert e.articles == ["a", "b", "c"]
    assert e.variants()["zh"]["han"] == ["马克·米利", "米莉"]
    rules = {r.surface: r.rule for r in e.links}
    assert rules["马克·米利"] == "transliteration"
    assert rules["Марк Милли"] in ("transliteration", "same key")
    assert rules["米莉"] == "same document group"
    assert reg.get("geonames:290030").links[1].rule == "gazetteer id"


def test_general_miller_is_not_general_milley():
    reg = EntityRegistry()
    milley = reg.learn_mentions(mentions(("Mark Milley", "PER", "en"), ("Milley", "PER", "en"), ("Taliban", "ORG", "en")), article_id="a")[0]
    # a surname-only mention with a different surname never joins Milley, with or without shared context
    miller = reg.learn_mentions(mentions(("General Miller", "PER", "en"), ("Taliban", "ORG", "en")), article_id="b")[0]
    assert miller != milley
    scott = reg.learn_mentions(mentions(("Scott Miller", "PER", "en"), ("Taliban", "ORG", "en")), article_id="c")[0]
    assert scott not in (milley,)
    again = reg.learn_mentions(mentions(("Miller", "PER", "en"), ("Taliban", "ORG", "en")), article_id="d")[0]
    assert again in (miller, scott) and again != milley


def test_surname_only_uses_context_to_choose_between_candidates():
    reg = EntityRegistry()
    x = reg.learn_mentions(mentions(("Joe Smith", "PER", "en"), ("Kabul", "LOC", "en"), ("Taliban", "ORG", "en")), article_id="a")[0]
    y = reg.learn_mentions(mentions(("Anna Smith", "PER", "en"), ("Paris", "LOC", "en"), ("Reuters", "ORG", "en")), article_id="b")[0]
    assert x != y
    z = reg.learn_mentions(mentions(("Smith", "PER", "en"), ("Paris", "LOC", "en"), ("Reuters", "ORG", "en")), article_id="c")[0]
    assert z == y
    link = reg.get(y).links[-1]
    assert link.rule == "surname + context"
    assert "geonames:2988507" in link.evidence["shared_entities"]


def test_predict_one_changes_nothing(tmp_path):
    from storyline.types import Profile
    import numpy as np

    reg = EntityRegistry()
    reg.learn_mentions(mentions(("Zalmay Khalilzad", "PER", "en")), article_id="a")
    before = reg.to_json()
    ms = tuple(mentions(("哈利勒扎德", "PER", "zh"), ("Ахмад Шах Масуд", "PER", "ru")))
    p = Profile("p", "", "zh", (), (), np.zeros(2), np.zeros((0, 2)), np.zeros(2), entities=ms, entity_groups=((0,), (1,)))
    assert reg.predict_one(p) == ["ent:1", None]
    assert reg.to_json() == before
    assert reg.learn_one(p) == ["ent:1", "ent:2"]


def test_merge_split_undo_are_recorded_and_respected_by_later_learning():
    reg = EntityRegistry()
    a = reg.learn_mentions(mentions(("Mark Milley", "PER", "en"), ("马克·米勒", "PER", "zh")), article_id="a")
    assert a[0] == a[1]
    split = reg.split(a[0], ["马克·米勒"], note="MT error, but keep apart")
    new_id = split.entity_ids[1]
    assert [r.surface for r in reg.get(new_id).links] == ["马克·米勒"]
    # later automatic linking follows the manual decision (pinned surface, cannot-link)
    b = reg.learn_mentions(mentions(("马克·米勒", "PER", "zh")), article_id="b")
    assert b == [new_id]
    assert reg.get(new_id).links[-1].rule == "manual"
    assert frozenset((a[0], new_id)) in reg.cannot_link_
    merge = reg.merge(a[0], new_id)
    assert sorted(reg.get(a[0]).articles) == ["a", "b"] and new_id not in {e.entity_id for e in reg}
    reg.undo(merge.decision_id)
    assert {r.surface for r in reg.get(new_id).links} == {"马克·米勒"}
    assert [d.kind for d in reg.decisions_] == ["split", "merge", "undo"]
    with pytest.raises(RegistryError, match="cannot be undone"):
        reg.undo(merge.decision_id)
    with pytest.raises(RegistryError, match="no entity"):
        reg.merge(a[0], "ent:999")
    with pytest.raises(RegistryError, match="is not a variant|none of"):
        reg.split(a[0], ["Nobody"])


def test_json_round_trip_and_stores(tmp_path):
    reg = EntityRegistry(threshold=0.82)
    reg.learn_mentions(mentions(("Taliban", "ORG", "en"), ("Zalmay Khalilzad", "PER", "en")), article_id="a")
    reg.learn_mentions(mentions(("塔利班", "ORG", "zh"), ("哈利勒扎德", "PER", "zh")), article_id="b")
    reg.split("ent:1", ["哈利勒扎德"])
    data = reg.to_json()
    again = EntityRegistry.from_json(data)
    assert again.to_json() == data
    assert again.threshold == 0.82
    store = JsonFileStore(tmp_path / "entities.json")
    reg.store = store
    reg.save()
    loaded = EntityRegistry.load(store)
    assert loaded.to_json() == data
    assert EntityRegistry.load(MemoryStore()).to_json()["entities"] == []
    with pytest.raises(RegistryError, match="no store"):
        EntityRegistry().save()
    with pytest.raises(RegistryError, match="format"):
        EntityRegistry.from_json({"format": 99})


@pytest.mark.parametrize("surface,lang,label,expected", [
    ("Qatar", "en", "LOC", "iso:QA"), ("卡塔尔", "zh", "LOC", "iso:QA"), ("Катара", "ru", "LOC", "iso:QA"),
    ("Doha", "en", "LOC", "geonames:290030"), ("多哈", "zh", "LOC", "geonames:290030"),
    ("الدوحة", "ar", "LOC", "geonames:290030"), ("Taliban", "en", "ORG", "org:Taliban"),
    ("the Pentagon", "en", "ORG", "org:Pentagon"), ("Milley", "en", "PER", None),
])
def test_resolve_known(surface, lang, label, expected):
    assert resolve_known(surface, lang, label) == expected


def test_link_names_uses_types_and_gazetteer():
    assert not link_names("Hamas", "en", "Hama", "en", "ORG", "LOC").same
    assert not link_names("Austria", "en", "Australia", "en", "LOC", "LOC").same
    assert link_names("Österreich", "de", "奥地利", "zh", "LOC", "LOC").same
    assert link_names("Dr. Zalmay Khalilzad", "en", "خليل زاد", "ar", "PER", "PER").same
