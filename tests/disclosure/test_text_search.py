"""Finding labels by words (docs/architecture.md, "Public disclosure"): any part of a Chinese name, English words by prefix, the model and the
holder's names, case- and width-blind, through the full-text index of the engine under test (SQLite FTS5 or
PostgreSQL GIN); and the index follows issuance and renames."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from registry.audit.services import Actor
from registry.disclosure.search import Filters, search
from registry.labels.models import Label
from registry.labels.searchtext import fts5_query, query_phrases, search_text, tokens, tsquery
from registry.products.services import ProductDetails, update_product


@pytest.fixture
def labels(session):  # type: ignore[no-untyped-def]
    return list(session.scalars(select(Label).order_by(Label.id)))


def found(session, q: str, **filters: str) -> list[str]:  # type: ignore[no-untyped-def]
    page, _ = search(session, Filters(q=q, **filters), limit=100)
    return [label.public_id for label in page]


def test_tokens_split_han_characters_and_keep_words_whole():
    assert tokens("储能用磷酸铁锂电池 LFP-280Ah") == [
        "储",
        "能",
        "用",
        "磷",
        "酸",
        "铁",
        "锂",
        "电",
        "池",
        "lfp",
        "280ah",
    ]
    assert tokens("ＨＲＢ４００Ｅ Φ16 Café") == ["hrb400e", "φ16", "cafe"]  # full width, Greek, accents
    # Then the pairs of neighbouring Han characters, never across punctuation or a field's end.
    assert search_text("鲁能（演示）", None, "Luneng Co., Ltd.") == "鲁 能 演 示 luneng co ltd 鲁能 演示"


def test_queries_become_phrases_in_each_engines_syntax():
    phrases = query_phrases("磷酸铁锂  energy-sto 池")
    assert phrases == [(["磷酸", "酸铁", "铁锂"], False), (["energy", "sto"], True), (["池"], False)]
    assert fts5_query(phrases) == '"磷酸 酸铁 铁锂" "energy sto" * "池"'
    assert tsquery(phrases) == "'磷酸' <-> '酸铁' <-> '铁锂' & 'energy' <-> 'sto':* & '池'"
    # Han characters and Latin in one part: the whole part in order, and the Han pairs for a selective lookup.
    assert query_phrases("LFP电池") == [(["lfp", "电", "池"], False), (["电池"], False)]
    assert query_phrases("!!! ——") == []


def test_any_part_of_a_chinese_name_finds_the_label(session, labels):
    label = next(label for label in labels if label.product.name_zh == "储能用磷酸铁锂电池模组")
    for q in ("储能", "磷酸铁锂", "锂电池模组", "储能用磷酸铁锂电池模组", "池"):
        assert label.public_id in found(session, q), q
    assert label.public_id not in found(session, "锂储能")  # the characters, but not in this order
    assert label.public_id not in found(session, "组鲁")  # the end of the product's name and the holder's: two fields


def test_english_words_by_prefix_model_and_holder(session, labels):
    label = next(label for label in labels if label.product.name_en == "LFP energy-storage battery module")
    for q in (
        "lfp",
        "LFP energy-storage",
        "energy stor",
        "Energy-Storage Battery",
        "batt",
        "LN-ESS-280Ah",
        "280ah",
        "Luneng",
        "鲁能示范",
        "luneng demo battery",
    ):
        assert label.public_id in found(session, q), q
    assert label.public_id in found(session, "battery lfp")  # separate words: each anywhere
    assert label.public_id not in found(session, "storage-energy")  # one hyphenated part: a phrase, in its order
    assert label.public_id not in found(session, "nergy")  # words match from their start


def test_width_and_case_blind(session, labels):
    label = next(label for label in labels if label.product.model == "HRB400E Φ16")
    assert found(session, "ＨＲＢ４００Ｅ") == found(session, "hrb400e") == [label.public_id]


def test_several_parts_must_all_match_and_combine_with_filters(session, labels):
    label = next(label for label in labels if label.product.name_zh == "储能用磷酸铁锂电池模组")
    assert found(session, "储能 鲁能") == [label.public_id]
    assert found(session, "储能 晋阳") == []
    assert found(session, "储能", scheme=label.scheme_version.code) == [label.public_id]
    other = next(label_ for label_ in labels if label_.scheme_version.code != label.scheme_version.code)
    assert found(session, "储能", scheme=other.scheme_version.code) == []


def test_punctuation_alone_matches_nothing_and_is_not_an_error(client, session):
    assert found(session, "%%% ---") == []
    page = client.get("/catalogue?q=%25%25%25").get_data(as_text=True)
    assert "No label matches this search." in page


def test_fts_syntax_in_a_query_is_only_text(client, session, labels):
    for q in ('"', "NEAR(a b)", "a OR b", "储能 NOT 锂", "*", "'; DROP TABLE labels; --", "a:*", "!(x)"):
        response = client.get("/api/v1/labels", query_string={"q": q, "limit": 100})
        assert response.status_code == 200, q
        assert [item["id"] for item in response.get_json()["data"]] == found(session, q), q
    # Every word must match, and "or" and "not" are only words: no demo label holds them.
    assert found(session, "a OR b") == []
    assert found(session, "储能 NOT 锂") == [] and found(session, "储能 锂") != []  # "not" is what no label holds


def test_a_labelled_products_certified_names_cannot_change_so_search_and_the_signed_record_stay_true(
    client, session, labels
):
    """A label certifies its product's names, model and GTIN (their hash is signed in its token): renaming the
    product is refused with a reason, and the label is still found by the name it certifies."""
    from registry.errors import ServiceError
    from registry.labels.tokens import public_record
    from registry.verifier import format as fmt

    label = labels[0]
    product = label.product
    old_name = product.name_zh
    details = {field: getattr(product, field) for field in ProductDetails.__dataclass_fields__}
    with pytest.raises(ServiceError) as refused:
        update_product(
            session, Actor.system(), product, ProductDetails(**{**details, "name_zh": "改名后的零碳光伏支架"})
        )
    assert refused.value.field == "name_zh" and "apply for a new label" in str(refused.value.message)
    session.flush()
    assert product.name_zh == old_name
    assert found(session, "零碳光伏支架") == [] and label.public_id in found(session, old_name)
    document = client.get(f"/l/{label.public_id}.json").get_json()
    signed = fmt.parse_claims(fmt.decode_sign1(label.token).payload).record_hash
    assert fmt.record_hash(document["record"]) == fmt.record_hash(public_record(label)) == signed
    # What may still change: the trademark, which no label certifies.
    update_product(session, Actor.system(), product, ProductDetails(**{**details, "trademark": "新商标"}))
    assert product.trademark == "新商标"


@pytest.mark.parametrize(
    "q", ["储能", "磷酸铁锂", "lfp", "energy stor", "batt lfp", "鲁能示范", "storage-energy", "锂储能", "池", "demo"]
)
def test_sqlite_finds_the_same_labels_by_its_window_and_by_the_full_text_index(session, labels, monkeypatch, q):
    """SQLite checks the first labels in catalogue order itself and asks FTS5 only for rare words: both ways agree."""
    from registry.disclosure import search as search_module

    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite only: PostgreSQL's GIN index is the one way it searches")
    for sort in ("newest", "footprint", "-footprint"):
        directly = found(session, q, sort=sort)
        monkeypatch.setattr(search_module, "TEXT_WINDOW", 1)  # never enough: the index decides
        by_index = found(session, q, sort=sort)
        monkeypatch.undo()
        assert directly == by_index, (q, sort)
