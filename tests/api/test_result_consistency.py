"""What the parent reads and what the doctor's page lists are the flags the service stored: the
JSON answer, the parent's result page and the doctor's flags agree, including the cases that
once disagreed (a weight-for-age or arm z of ±2.5 promised a review with no flag; a 5-6-year-old's
BMI-for-age overweight flag of the WHO 2007 reference was missing on the page)."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from litestar.testing import TestClient

from api.services.present import clinician_words
from growth_charts import value_at_z
from health.models import FlagRecord
from health.pipeline import flag_of
from tests.api.api_world import TODAY, World, login

REVIEW = "Your child-health clinic will review it."


def _child(client: TestClient, days_old: int) -> int:
    born = (TODAY - dt.timedelta(days=days_old)).isoformat()
    made = client.post("/api/v1/children", json={"sex": "F", "birth_date": born, "area_code": "T1"})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _bmi_2007(z: float) -> dict[str, float | str]:
    months = 2000 / 30.4375
    height = round(float(value_at_z("hfa_2007", "F", months, 0.0)[0]), 1)
    bmi = float(value_at_z("bmi_2007", "F", months, z)[0])
    return {"length_cm": height, "measure": "H", "weight_kg": round(bmi * (height / 100) ** 2, 2)}


CASES = {
    # indicator, age in days, values, the flag expected (None: no flag)
    "wfa +2.5": ("wfa", 400, {"weight_kg": round(float(value_at_z("wfa", "F", 400, 2.5)[0]), 2)},
                 None),
    # at 1200 days z -2.5 is 12.8 cm, above the MUAC cut-offs (< 12.5 cm): no flag at all
    "acfa -2.5": ("acfa", 1200, {"muac_cm": round(float(value_at_z("acfa", "F", 1200, -2.5)[0]),
                                                 1)}, None),
    # at 400 days z -2.5 is 12.4 cm: moderate acute malnutrition by MUAC, reviewed
    "acfa -2.5 MAM": ("acfa", 400, {"muac_cm": round(float(value_at_z("acfa", "F", 400, -2.5)[0]),
                                                    1)}, "GROWTH_MAM_MUAC"),
    "bmi 2007 overweight": ("bmi", 2000, _bmi_2007(1.5), "GROWTH_OVERWEIGHT"),
    "wfa -2.5": ("wfa", 400, {"weight_kg": round(float(value_at_z("wfa", "F", 400, -2.5)[0]), 2)},
                 "GROWTH_UNDERWEIGHT"),
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_parent_page_json_and_doctor_agree(app_client, world: World, name: str) -> None:
    indicator, days, values, expected = CASES[name]
    parent = login(app_client, "parent1")
    child_id = _child(parent, days)
    body = {"measured_on": TODAY.isoformat(), "source": "home", **values}
    answer = parent.post(
        f"/api/v1/children/{child_id}/measurements", json=body, params={"lang": "en"}
    )
    assert answer.status_code == 201, answer.text
    result = answer.json()
    codes = sorted(f["code"] for f in result["flags"])
    assert codes == ([expected] if expected else [])
    shown = {i["code"]: i for i in result["indicators"]}
    sentence = shown[indicator]["sentence"]
    assert (REVIEW in sentence) == (expected is not None), sentence
    assert result["case_opened"] == (expected is not None)
    if indicator == "bmi":
        assert shown["bmi"]["reference"] == "who2007"

    page = parent.get(f"/children/{child_id}", params={"lang": "en"})
    assert page.status_code == 200 and sentence in html.unescape(page.text)
    if expected:
        flag_text = result["flags"][0]["text"]
        assert flag_text in html.unescape(page.text)  # the stored flag's parent text, on the page
    else:
        assert REVIEW not in page.text

    doctor = login(app_client, "doctor1")
    stored = doctor.get(f"/api/v1/children/{child_id}/flags").json()
    assert sorted(f["code"] for f in stored) == codes
    doctor_page = doctor.get(f"/children/{child_id}", params={"lang": "en"})
    for code in codes:
        record = FlagRecord(**next(f for f in stored if f["code"] == code))
        clinician = clinician_words(flag_of(record), "en")  # the evidence in words (issue 11)
        assert clinician in html.unescape(doctor_page.text)
