"""checks.csv with the optional screening-result columns: stored by both writers, bad rows
named by file, line and column, files without the columns still load."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from health.exchange import ExchangeError, import_folder
from tests.health.test_health_import import FOLDER, TODAY, dump, write

RESULTS = (
    "hearing_left,hearing_right,red_reflex,eye_position,visual_behaviour,"
    "acuity_left,acuity_right,caries_teeth,vitamin_d_given"
)
HEADER = "child_id,date,kind,clinic_code,weight_kg,length_cm,measure,head_cm,hb_g_l"
CHECKS = f"""{HEADER},{RESULTS}
c01,2024-07-01,routine,CL1,,,,,,pass,refer,normal,normal,abnormal,,,0,0
c11,2025-02-12,routine,CL1,,,,,118,pass,pass,,,,4.7,4.9,2,
c12,2024-11-05,routine,CL1,,,,,,,,,,,,,,1
"""


def folder_with(tmp_path: Path, checks: str, name: str = "x") -> Path:
    return write(tmp_path / name, dict(FOLDER, **{"checks.csv": checks}))


def test_results_are_stored(engine: Engine, tmp_path: Path) -> None:
    summary = import_folder(engine, folder_with(tmp_path, CHECKS), today=TODAY)
    assert summary.changed["checks.csv"] == 3
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                f"SELECT c.code, {RESULTS.replace('vitamin_d_given', 'k.vitamin_d_given')} "
                "FROM checks k JOIN children c ON c.id = k.child_id ORDER BY c.code"
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("c01", "pass", "refer", "normal", "normal", "abnormal", None, None, 0, False),
        ("c11", "pass", "pass", None, None, None, 4.7, 4.9, 2, None),
        ("c12", None, None, None, None, None, None, None, None, True),
    ]
    again = import_folder(engine, folder_with(tmp_path, CHECKS, "y"), today=TODAY)
    assert again.changed["checks.csv"] == 0


def test_a_file_without_the_result_columns_leaves_them_empty(
    engine: Engine, tmp_path: Path
) -> None:
    import_folder(engine, write(tmp_path / "x", FOLDER), today=TODAY)
    with engine.connect() as conn:
        filled = conn.execute(
            text(
                "SELECT COUNT(*) FROM checks WHERE hearing_left IS NOT NULL "
                "OR acuity_left IS NOT NULL OR caries_teeth IS NOT NULL "
                "OR vitamin_d_given IS NOT NULL"
            )
        ).scalar()
    assert filled == 0


BAD = [
    ("pass,refer,normal", "pass,fail,normal",
     "checks.csv, line 2, column 'hearing_right': 'fail' is not one of pass, refer"),
    ("normal,normal,abnormal", "normal,normal,poor",
     "checks.csv, line 2, column 'visual_behaviour': 'poor' is not one of normal, abnormal"),
    ("4.7,4.9", "4.75,4.9",
     "checks.csv, line 3, column 'acuity_left': 4.75 is not a 5-point record with one decimal"
     " (for example 4.9)"),
    ("4.7,4.9", "4.7,5.4", "checks.csv, line 3, column 'acuity_right': 5.4 is outside 3–5.3"),
    ("abnormal,,,0,0", "abnormal,4.8,,0,0",
     "checks.csv, line 2, column 'acuity_left': visual acuity is recorded from 36 months of age"),
    ("4.9,2,", "4.9,1.5,",
     "checks.csv, line 3, column 'caries_teeth': 1.5 is not a whole number of teeth"),
    ("4.9,2,", "4.9,21,", "checks.csv, line 3, column 'caries_teeth': 21 is outside 0–20"),
    (",,,1\n", ",,,yes\n",
     "checks.csv, line 4, column 'vitamin_d_given': 'yes' is not one of 1, 0"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "message"), BAD, ids=[b[2][12:60] for b in BAD])
def test_bad_result_names_file_line_column_and_imports_nothing(
    engine: Engine, tmp_path: Path, old: str, new: str, message: str
) -> None:
    import_folder(engine, write(tmp_path / "good", FOLDER), today=TODAY)
    before = dump(engine)
    assert old in CHECKS
    with pytest.raises(ExchangeError) as caught:
        import_folder(engine, folder_with(tmp_path, CHECKS.replace(old, new, 1), "bad"),
                      today=TODAY)  # fmt: skip
    assert str(caught.value) == message
    assert dump(engine) == before
