"""The loader validates every data file and names file and field; the catalogue is complete."""

from __future__ import annotations

import inspect

import pytest
import yaml

import reference_data
import screening.development
import screening.feeding
import screening.growth
import screening.reference
from screening import reference
from screening.errors import ScreeningInputError
from screening.flags import RULES
from screening.messages import LANGUAGES, UnknownMessageError, text
from screening.reference import ReferenceDataError, placeholders


def test_every_file_loads() -> None:
    data = reference.load_all()
    assert set(data.instruments) == {
        ("cn-warning-signs", "2013.1"),
        ("milestone-checklist", "1.0"),
        ("who-motor-windows", "2006.1"),
    }
    assert set(data.hb_tables) == {"who-2011", "who-2024"}
    assert reference.hb_table().version == "who-2011"
    assert reference.recall_bank().indicators_version == "iycf-2021.1"


def test_cn_table_has_44_items_at_11_ages() -> None:
    inst = reference.instrument("cn-warning-signs")
    with_items = [b for b in inst.bands if b.items]
    assert [b.nominal for b in with_items] == "3m 6m 8m 12m 18m 24m 30m 36m 4y 5y 6y".split()
    assert all(len(b.items) == 4 for b in with_items)
    assert [(b.low_months, b.high_months) for b in inst.bands] == [
        (0, 2),
        (3, 5),
        (6, 7),
        (8, 11),
        (12, 17),
        (18, 23),
        (24, 29),
        (30, 35),
        (36, 47),
        (48, 59),
        (60, 71),
        (72, 83),
    ]


def test_checklist_ages_and_item_counts() -> None:
    inst = reference.instrument("milestone-checklist")
    assert [b.nominal for b in inst.bands] == "2m 4m 6m 9m 12m 15m 18m 24m 30m 36m 4y 5y".split()
    for band in inst.bands:
        assert 4 <= len(band.items) <= 16
        assert {i.domain for i in band.items} == {
            "social_emotional",
            "language",
            "cognitive",
            "movement",
        }


def test_motor_windows_are_the_who_figures() -> None:
    inst = reference.instrument("who-motor-windows")
    windows = {i.id: (i.p1_months, i.p99_months, i.refers) for i in inst.bands[0].items}
    assert windows == {
        "who-motor-sitting": (3.8, 9.2, True),
        "who-motor-standing-assisted": (4.8, 11.4, True),
        "who-motor-crawling": (5.2, 13.5, False),
        "who-motor-walking-assisted": (5.9, 13.7, True),
        "who-motor-standing-alone": (6.9, 16.9, True),
        "who-motor-walking-alone": (8.2, 17.6, True),
    }


def test_item_ids_unique_across_instruments() -> None:
    ids = []
    for inst in reference.load_all().instruments.values():
        ids += [q.id for q in inst.global_questions] + [i.id for b in inst.bands for i in b.items]
    assert len(ids) == len(set(ids))


# ------------------------------------------------------------------ broken files are refused


def _break(monkeypatch: pytest.MonkeyPatch, relative: str, change) -> None:
    original = reference_data.read_bytes

    def read(path: str) -> bytes:
        data = original(path)
        if path == relative:
            doc = yaml.safe_load(data.decode("utf-8"))
            change(doc)
            return yaml.safe_dump(doc, allow_unicode=True).encode("utf-8")
        return data

    monkeypatch.setattr(reference_data, "read_bytes", read)
    reference.load_all.cache_clear()


@pytest.fixture
def fresh_cache():
    reference.load_all.cache_clear()
    yield
    reference.load_all.cache_clear()


CN = "instruments/cn-warning-signs/2013.1.yaml"
MS = "instruments/milestone-checklist/1.0.yaml"
HB = "instruments/hb-cutoffs/who-2024.yaml"
FEED = "instruments/feeding-recall/cn-1.0.yaml"
MSG = "messages/screening.yaml"


def _del(path):
    def change(doc):
        node = doc
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]

    return change


def _set(path, value):
    def change(doc):
        node = doc
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("relative", "change", "field", "reason"),
    [
        (
            CN,
            _del(["bands", 3, "items", 1, "text", "en"]),
            "bands[3].items[1].text.en",
            "is required",
        ),
        (
            CN,
            _set(["bands", 2, "items", 0, "polarity"], "sometimes"),
            "bands[2].items[0].polarity",
            "is not one of",
        ),
        (
            CN,
            _set(["bands", 2, "items", 0, "colour"], "red"),
            "bands[2].items[0].colour",
            "is not a known field",
        ),
        (
            CN,
            _set(["bands", 2, "items", 0, "id"], "cnws-3m-1"),
            "bands[2].items[0].id",
            "duplicate id",
        ),
        (CN, _set(["bands", 4, "low_months"], 13), "bands[4].low_months", "contiguous"),
        (
            CN,
            _set(["bands", 1, "items", 0, "polarity"], "milestone"),
            "bands[1].items[0].polarity",
            "must be warning_sign",
        ),
        (
            CN,
            _set(["global_questions", 0, "flag"], "NO_SUCH_FLAG"),
            "global_questions[0].flag",
            "unknown flag code",
        ),
        (CN, _set(["version"], ""), "version", "does not match"),
        (MS, _set(["bands", 0, "items"], []), "bands[0].items", "4-16 items"),
        (
            HB,
            _set(["bands", 0, "severe_below_g_l"], 120),
            "bands[0].moderate_below_g_l",
            "severe < moderate",
        ),
        (HB, _set(["default"], True), "default", "exactly one default"),
        (FEED, _set(["foods", 0, "group"], 9), "foods[0].group", "9 is greater than the maximum"),
        (FEED, _set(["liquids", 0, "with_times"], True), "liquids[0].with_times", "milk feeds"),
        (
            MSG,
            _set(["messages", "advice.feeding.all_good", "en"], "Fine {name}"),
            "messages.advice.feeding.all_good",
            "placeholders differ",
        ),
        (
            MSG,
            _del(["messages", "advice.feeding.all_good", "zh-CN"]),
            "messages.advice.feeding.all_good.zh-CN",
            "is required",
        ),
    ],
)
def test_broken_file_is_refused_naming_file_and_field(
    monkeypatch: pytest.MonkeyPatch, fresh_cache, relative, change, field, reason
) -> None:
    _break(monkeypatch, relative, change)
    with pytest.raises(ReferenceDataError) as info:
        reference.load_all()
    error = info.value
    assert error.file == f"reference_data/{relative}"
    assert error.field == field
    assert reason in error.reason
    assert f"reference_data/{relative}: field '{field}'" in str(error)


def test_invalid_yaml_is_refused(monkeypatch: pytest.MonkeyPatch, fresh_cache) -> None:
    original = reference_data.read_bytes
    monkeypatch.setattr(
        reference_data, "read_bytes", lambda p: b"code: [unclosed\n" if p == HB else original(p)
    )
    with pytest.raises(
        ReferenceDataError,
        match=r"reference_data/instruments/hb-cutoffs/who-2024.yaml: field 'line 2",
    ):
        reference.load_all()


def test_unknown_version_is_a_specific_error() -> None:
    with pytest.raises(reference.UnknownVersionError) as info:
        reference.hb_table("who-1999")
    assert info.value.params["known"] == "who-2011, who-2024"
    with pytest.raises(reference.UnknownVersionError):
        reference.instrument("cn-warning-signs", "9.9")


# ------------------------------------------------------------------ message catalogue


def _error_message_ids() -> set[str]:
    ids = set()
    for module in (screening.development, screening.feeding, screening.growth, screening.reference):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, ScreeningInputError):
                ids.add(cls.message_id)
                ids.update(f"{cls.message_id}.{r}" for r in getattr(cls, "REASONS", ()))
    return ids


def used_message_ids() -> set[str]:
    ids = {
        f"flag.{code.lower()}.{who}" for code in RULES for who in ("parent", "clinician", "name")
    }
    ids |= _error_message_ids() | {ScreeningInputError.message_id}
    ids |= set(screening.feeding.GENERAL_ADVICE)
    ids |= {f"iycf.{code.lower()}.name" for code in screening.feeding.INDICATORS}
    ids |= {f"food_group.{g}" for g in screening.feeding.FOOD_GROUPS}
    ids |= {f"outcome.development.{o.value}" for o in screening.development.Outcome}
    ids |= set(screening.development.ACT_EARLY.values())
    ids |= {"age.band.months", "age.band.years"}  # screening.messages.band_words
    return ids


def test_catalogue_has_every_message_in_both_languages() -> None:
    messages = reference.load_all().messages
    missing = sorted(used_message_ids() - set(messages))
    assert missing == []
    for message_id in used_message_ids():
        for lang in LANGUAGES:
            assert messages[message_id][lang].strip(), (message_id, lang)


# texts of the layers above kept in the same catalogue; their own tests check their use
OWNED_ABOVE_SCREENING = ("error.record.", "indicator.", "result.", "reminder.", "notify.")


def test_catalogue_has_no_unused_message() -> None:
    screening_ids = {
        m for m in reference.load_all().messages if not m.startswith(OWNED_ABOVE_SCREENING)
    }
    assert sorted(screening_ids - used_message_ids()) == []


def test_placeholders_match_between_languages() -> None:
    for message_id, texts in reference.load_all().messages.items():
        assert placeholders(texts["zh-CN"]) == placeholders(texts["en"]), message_id


def test_text_fills_parameters_and_refuses_unknown_ids() -> None:
    assert (
        text("error.feeding.missing_field", "en", field="solid_feeds")
        == "A required field is missing: solid_feeds."
    )
    assert "solid_feeds" in text("error.feeding.missing_field", "zh-CN", field="solid_feeds")
    with pytest.raises(UnknownMessageError):
        text("no.such.id", "en")
    with pytest.raises(UnknownMessageError):
        text("advice.feeding.all_good", "fr")


def test_every_instrument_text_in_both_languages() -> None:
    for inst in reference.load_all().instruments.values():
        for item in [*inst.global_questions, *(i for b in inst.bands for i in b.items)]:
            assert item.text.zh_cn.strip() and item.text.en.strip()
    bank = reference.recall_bank()
    for entry in [*bank.liquids, *bank.foods]:
        assert entry.text.zh_cn.strip() and entry.text.en.strip()
