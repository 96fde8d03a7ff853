"""What a Dask worker runs for a Parquet dataset: one partition read, computed and written.

This module is what a task's pickle names (``Part``, ``PartError`` and the task functions are
pickled by reference), so it is all a worker imports for a z-score task: pyarrow, pandas and
the growth engine (``growth_charts``), never the rest of ``api`` or ``health`` (importing
``api.commands.survey_file`` pulls in ``health.exchange``: 1–2 s per worker). The prevalence
tasks import ``growth_charts.prevalence_parts`` (scipy) when they run. The driver side (the
partition list, the cluster, the merges) is ``api.commands.survey_batches``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import growth_charts
from growth_charts.batch import FLAG_COLUMNS

if TYPE_CHECKING:
    from api.commands.survey_file import InputFileError
    from growth_charts.prevalence_parts import DesignFacts, Options, PartSums, Plan

Z_COLUMNS = ("zlen", "zwei", "zwfl", "zbmi")


def shown(value: object) -> str:
    """A cell value as the user wrote it (numpy scalars as plain numbers)."""
    if hasattr(value, "item"):
        value = value.item()
    return repr(value)


@dataclass(frozen=True)
class Part:
    """Rows ``start`` … ``start + rows − 1`` of one row group of one file; ``first_row`` is the
    0-based position of its first row in the file."""

    path: str
    row_group: int
    start: int
    first_row: int
    rows: int


class PartError(Exception):
    """A bad partition, picklable so that a Dask worker can send it back; ``row`` is 1-based
    in the file, ``None`` when the whole partition is bad."""

    def __init__(self, file: str, reason: str, row: int | None = None, column: str | None = None):
        super().__init__(file, reason, row, column)
        self.file, self.reason, self.row, self.column = file, reason, row, column

    def input_error(self) -> InputFileError:
        """The command's error: ``file, column 'c': row N: reason`` (made on the driver)."""
        from api.commands.survey_file import InputFileError

        reason = self.reason if self.row is None else f"row {self.row}: {self.reason}"
        return InputFileError(self.file, reason, column=self.column)


def read_part(part: Part, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The partition as a pandas frame (only ``columns`` that the file has, when given)."""
    try:
        handle = pq.ParquetFile(part.path)
        if columns is not None:
            names = set(handle.schema_arrow.names)
            columns = [c for c in columns if c in names]
        group = handle.read_row_group(part.row_group, columns=columns)
        return group.slice(part.start, part.rows).to_pandas()
    except (OSError, pa.ArrowException) as error:
        raise PartError(part.path, f"cannot be read as Parquet ({error})") from None


@contextmanager
def located(part: Part, valid: bool = False) -> Iterator[None]:
    """The engine's complaints about a partition as ``PartError`` naming file and row.

    ``valid``: word a bad value as ``childhealth zscore`` does (``… is not valid (…)``).
    """
    try:
        yield
    except growth_charts.InvalidValueError as error:
        expected = f"valid ({error.expected})" if valid else error.expected
        row = part.first_row + error.row + 1
        reason = f"{shown(error.value)} is not {expected}"
        raise PartError(part.path, reason, row, error.column) from None
    except growth_charts.MissingColumnError as error:
        raise PartError(part.path, "required column is missing", column=error.column) from None


# z-scores ------------------------------------------------------------------------------------


def zscore_frame(frame: pd.DataFrame, rules: str) -> pd.DataFrame:
    """``growth_charts.zscores`` with the flags as nullable small integers (as the CSV job)."""
    result = growth_charts.zscores(frame, rules)  # type: ignore[arg-type]
    flags = [c for c in FLAG_COLUMNS if c in result]
    result[flags] = result[flags].astype("Int8")
    return result


def zscore_part(part: Part, rules: str) -> pd.DataFrame:
    """One partition's z-scores (``PartError`` for a bad value, naming file and row)."""
    frame = read_part(part)
    with located(part, valid=True):
        return zscore_frame(frame, rules)


def zscore_part_to(part: Part, rules: str, path: str, header: bool) -> int:
    """One partition's z-scores written to ``path`` (Parquet, or CSV when it ends in ``.csv``,
    with the header if ``header``); returns its rows. The Dask task: nothing is held."""
    result = zscore_part(part, rules)
    if path.endswith(".csv"):
        result.to_csv(path, index=False, header=header)
    else:
        result.to_parquet(path, index=False)
    return len(result)


def warm_up(rules: str = "who-anthro") -> float:
    """One z-score task on ``FUSED_MIN_ROWS`` made-up children (the fewest that take the
    compiled path), read from and written to a temporary folder, so that a worker has imported
    the engine and pandas' Parquet I/O and loaded the engine's compiled kernels (numba's cache in
    ``growth_charts/__pycache__``: about 0.4 s; compiled anew only if that cache is stale) before
    its first partition. Returns the seconds it took."""
    import tempfile
    import time
    from pathlib import Path

    from growth_charts.anthro import FUSED_MIN_ROWS

    start = time.perf_counter()
    child = {"sex": [1, 2], "age_days": [100, 1000], "weight": [6.0, 12.0],
             "lenhei": [62.0, 88.0], "measure": ["l", "h"], "oedema": ["n", "n"],
             "headc": [40.0, 48.0], "armc": [13.0, 15.0], "triskin": [8.0, 8.0],
             "subskin": [7.0, 7.0]}  # fmt: skip
    frame = pd.DataFrame({k: v * (FUSED_MIN_ROWS // 2) for k, v in child.items()})
    with tempfile.TemporaryDirectory(prefix="childhealth-warm-up-") as folder:
        source = Path(folder) / "in.parquet"
        frame.to_parquet(source, index=False)
        zscore_part_to(Part(str(source), 0, 0, 0, len(frame)), rules, f"{folder}/out.parquet",
                       header=False)  # fmt: skip
    return time.perf_counter() - start


# prevalence ----------------------------------------------------------------------------------


def _with_zscores(frame: pd.DataFrame) -> pd.DataFrame:
    if all(column in frame for column in Z_COLUMNS):
        return frame
    return growth_charts.zscores(frame)


def facts_of(part: Part, options: Options, columns: list[str]) -> DesignFacts:
    """Pass 1 of the prevalence table on one partition: its design facts."""
    from growth_charts.prevalence_parts import design_facts

    frame = read_part(part, columns)
    with located(part):
        return design_facts(frame, options)


def sums_of(part: Part, layout: Plan) -> PartSums | None:
    """Pass 2 of the prevalence table on one partition: its sums."""
    from growth_charts.prevalence_parts import partition_sums

    frame = read_part(part)
    with located(part):
        return partition_sums(_with_zscores(frame), layout)
