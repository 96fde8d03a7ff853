"""Survey files for ``childhealth prevalence`` and ``childhealth quality``: read, z-score, write.

Formats by extension: ``.csv``, ``.parquet``, Stata ``.dta`` and SPSS ``.sav`` (pyreadstat); a
folder is a Parquet dataset (``api.commands.survey_batches``).
Columns use WHO Anthro's names (``sex``, ``age_days``/``age_months``, ``weight``, ``lenhei``,
``measure``, ``oedema``, …); the z-score columns are computed with ``growth_charts.zscores``
unless all of ``zlen, zwei, zwfl, zbmi`` are already present.

Stata/SPSS value labels: the codes are kept for the columns WHO codes itself (sex, oedema,
measure, wealth quintile), the labels are used for the other text groupings (region, …), and a
measurement, age or weight column whose value is a labelled code (e.g. 999 = "not measured") is an
error naming the column and row, since a code is not a number.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

import growth_charts
from api.commands.errors import fail
from api.commands.survey_task import Z_COLUMNS, shown
from health.exchange.errors import ExchangeError

FORMATS = (".csv", ".parquet", ".dta", ".sav")
MEASURED = ("age_days", "age_months", "weight", "lenhei", "headc", "armc", "triskin", "subskin")
CODED = ("sex", "oedema", "measure")


class InputFileError(ExchangeError):
    """A survey file that cannot be used, located as an import's error is (file, line, column)."""


class SurveyFile:
    """One input file: its frame and how to name a row of it in an error."""

    def __init__(self, path: Path, frame: pd.DataFrame, labels: dict[str, dict]) -> None:
        self.path = path
        self.frame = frame
        self.labels = labels

    @property
    def is_text(self) -> bool:
        return self.path.suffix.lower() == ".csv"

    def error(self, row: int, column: str | None, reason: str) -> InputFileError:
        """An ``InputFileError`` for 0-based data row ``row`` (CSV: line row + 2)."""
        if self.is_text:
            return InputFileError(str(self.path), reason, line=row + 2, column=column)
        return InputFileError(str(self.path), f"row {row + 1}: {reason}", column=column)

    @contextmanager
    def located(self) -> Iterator[None]:
        """Re-raise the engine's complaints about this file's columns and cells (a value that
        is not what the column holds, a missing column) as ``InputFileError``."""
        try:
            yield
        except growth_charts.InvalidValueError as error:
            reason = f"{shown(error.value)} is not {error.expected}"
            raise self.error(error.row, error.column, reason) from None
        except growth_charts.MissingColumnError as error:
            raise InputFileError(
                str(self.path), "required column is missing", column=error.column
            ) from None

    def check_codes(self, numeric_columns: Iterable[str]) -> None:
        """Refuse labelled codes in columns that must hold numbers."""
        for column in numeric_columns:
            labels = self.labels.get(column)
            if not labels or column not in self.frame:
                continue
            hit = self.frame[column].isin(list(labels))
            if hit.any():
                row = int(hit.to_numpy().nonzero()[0][0])
                value = self.frame[column].iloc[row]
                raise self.error(
                    row,
                    column,
                    f"{shown(value)} is a labelled code ({labels[value]!r}), not a number; "
                    "recode it to missing",
                )

    def apply_labels(self, columns: Iterable[str]) -> None:
        """Replace codes by their value labels in text grouping columns."""
        for column in columns:
            labels = self.labels.get(column)
            if labels and column in self.frame:
                series = self.frame[column]
                self.frame[column] = series.map(lambda v, m=labels: m.get(v, v)).where(
                    series.notna()
                )


def read_survey(path: Path) -> SurveyFile:
    """Read ``path`` by its extension (a folder: a Parquet dataset, its files in path order);
    ``InputFileError`` if unreadable or of another type."""
    if path.is_dir():
        from api.commands.survey_batches import read_dataset

        return read_dataset(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputFileError(str(path), f"unknown file type; use one of {', '.join(FORMATS)}")
    labels: dict[str, dict] = {}
    try:
        if suffix == ".csv":
            frame = pd.read_csv(path, low_memory=False)
        elif suffix == ".parquet":
            frame = pd.read_parquet(path)
        else:
            import pyreadstat

            reader = pyreadstat.read_dta if suffix == ".dta" else pyreadstat.read_sav
            frame, meta = reader(str(path), apply_value_formats=False)
            labels = dict(meta.variable_value_labels)
    except FileNotFoundError:
        raise InputFileError(str(path), "file not found") from None
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise InputFileError(str(path), f"cannot be read ({error})") from None
    except Exception as error:  # pyreadstat raises its own exception types
        raise InputFileError(str(path), f"cannot be read ({type(error).__name__})") from None
    return SurveyFile(path, frame, labels)


def with_zscores(survey: SurveyFile) -> pd.DataFrame:
    """The frame with WHO's z-score and flag columns (computed when any is absent)."""
    frame = survey.frame
    if all(column in frame for column in Z_COLUMNS):
        return frame
    with survey.located():
        return growth_charts.zscores(frame)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` by the extension of ``path`` (CSV, Parquet, Stata or SPSS)."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        fail(f"{path}: unknown output type; use one of {', '.join(FORMATS)}")
    try:
        if suffix == ".csv":
            frame.to_csv(path, index=False)
        elif suffix == ".parquet":
            frame.to_parquet(path, index=False)
        else:
            import pyreadstat

            writer = pyreadstat.write_dta if suffix == ".dta" else pyreadstat.write_sav
            writer(frame, str(path))
    except OSError as error:
        fail(f"{path}: {error.strerror}")


@contextmanager
def reported_warnings():
    """Print the library's warnings (rows left out, …) as one ``warning:`` line each."""
    import sys

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for item in caught:
        print(f"warning: {item.message}", file=sys.stderr)
