"""CSV → CSV against WS/T 423-2022: ``childhealth zscore IN.csv -o OUT.csv --reference ws423``.

The input is read in WHO Anthro's column names exactly as for WHO (``growth_charts.frame``: the
same codes, the same errors); the position correction and BMI come from WHO's engine
(``clenhei``, ``cbmi``, with the chosen rule set), the z, flag and category columns from
:mod:`growth_charts.ws423` (:data:`~growth_charts.ws423.BATCH_COLUMNS`). Input columns pass
through as text, in order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from growth_charts.age import LENGTH_HEIGHT_SWITCH_DAY
from growth_charts.anthro import UNKNOWN_POSITION_SWITCH_CM, RuleSet, children, compute
from growth_charts.batch import BatchInputError
from growth_charts.codes import measure_codes, oedema_codes, sex_codes
from growth_charts.frame import InvalidValueError, _coded, numeric_column
from growth_charts.rounding import round_half_up
from growth_charts.ws423 import BATCH_COLUMNS, batch_columns


def ws423_frame(frame: pd.DataFrame, rules: RuleSet = "who-anthro") -> pd.DataFrame:
    """``frame`` with :data:`BATCH_COLUMNS` appended (replacing any of that name).

    Raises ``InvalidValueError`` for the first value that cannot be read, like
    :func:`growth_charts.zscores`."""
    kids = children(
        _coded(frame, "sex", sex_codes),
        age_days=numeric_column(frame, "age_days"),
        age_months=numeric_column(frame, "age_months"),
        weight=numeric_column(frame, "weight"),
        lenhei=numeric_column(frame, "lenhei"),
        measure=_coded(frame, "measure", measure_codes),
        oedema=_coded(frame, "oedema", oedema_codes),
        headc=numeric_column(frame, "headc"),
    )
    who = compute(kids, rules)
    day = round_half_up(kids.age_days)
    with np.errstate(invalid="ignore"):
        by_position = np.where(
            kids.measure >= 0, kids.measure == 0, who["clenhei"] < UNKNOWN_POSITION_SWITCH_CM
        )
        use_length = np.where(np.isnan(day), by_position, day < LENGTH_HEIGHT_SWITCH_DAY)
    columns = batch_columns(
        kids.sex, kids.age_days, kids.weight, who["clenhei"], who["cbmi"], kids.headc,
        np.asarray(kids.oedema, dtype=bool), use_length.astype(bool),
    )  # fmt: skip
    out = frame.drop(columns=[c for c in BATCH_COLUMNS if c in frame.columns])
    appended = pd.DataFrame(index=frame.index)
    for name in BATCH_COLUMNS:
        values = columns[name]
        if name.startswith("f"):
            appended[name] = pd.array(
                np.where(np.isnan(values), 0, values).astype(np.int8), dtype="Int8"
            )
            appended.loc[np.isnan(values), name] = pd.NA
        elif name.startswith("g"):
            appended[name] = values
        elif name in ("clenhei", "cbmi"):
            appended[name] = np.round(values, 4)
        else:  # z as WHO's batch writes them: 2 decimals, no trailing zeros (-2, 0.5, 3.85)
            text = np.char.mod("%g", np.where(np.isnan(values), 0.0, values) + 0.0)
            appended[name] = np.where(np.isnan(values), "", text)
    return pd.concat([out, appended], axis=1)


def zscore_csv_ws423(source: str | Path, target: str | Path, rules: RuleSet = "who-anthro") -> int:
    """Write ``source`` plus the WS/T 423-2022 columns to ``target``; returns the row count.

    Raises ``BatchInputError`` (file, line, column, reason) as the WHO path does; ``target`` is
    then left unwritten."""
    path = Path(source)
    if not path.is_file():
        raise BatchInputError(str(path), "no such file")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise BatchInputError(
            str(path), "the file is empty: expected a header row", line=1
        ) from None
    except UnicodeDecodeError:
        raise BatchInputError(str(path), "the file is not UTF-8 text") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if "sex" not in frame.columns:
        raise BatchInputError(str(path), "required column 'sex' is missing", line=1)
    try:
        result = ws423_frame(frame, rules)
    except InvalidValueError as error:
        raise BatchInputError(
            str(path),
            f"{error.value!r} is not valid ({error.expected})",
            line=error.row + 2,
            column=error.column,
        ) from None
    out_path = Path(target)
    partial = out_path.with_name(out_path.name + ".partial")
    try:
        result.to_csv(partial, index=False, lineterminator="\n")
        partial.replace(out_path)
    finally:
        partial.unlink(missing_ok=True)
    return len(result)
