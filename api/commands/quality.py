"""``childhealth quality IN [--html OUT.html]``: the survey's data-quality report.

Prints the summary table (z-score missing/flagged shares, SD, skewness and kurtosis against
WHO's expected ranges, digit preference, sex ratio, age heaping); with ``--html`` also writes a
self-contained page with the z-score histograms against the standard normal.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer

from api.commands.errors import fail


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.3f}".rstrip("0").rstrip(".")
    return str(value)


def quality(
    source: Annotated[Path, typer.Argument(help="Survey file: .csv, .parquet, .dta or .sav.")],
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML report.")
    ] = None,
) -> None:
    """Data-quality report of an anthropometric survey (WHO Anthro Survey Analyser style)."""
    from rich.console import Console
    from rich.table import Table

    from api.commands.survey_file import MEASURED, InputFileError, read_survey, with_zscores
    from growth_charts.quality import quality_report

    try:
        survey = read_survey(source)
        survey.check_codes(MEASURED)
        frame = with_zscores(survey)
        with survey.located():
            report = quality_report(frame)
    except InputFileError as error:
        fail(error.message)
    table = Table(title=f"Data quality: {source.name}")
    for column in report.summary.columns:
        table.add_column(column, justify="right" if column == "value" else "left")
    for record in report.summary.itertuples(index=False):
        table.add_row(*(_cell(value) for value in record))
    console = Console()
    if not console.is_terminal:
        console = Console(width=120)  # a file or pipe: keep rows on one line
    console.print(table)
    if html is not None:
        from growth_charts.quality_html import quality_html

        try:
            html.write_text(quality_html(report, f"Data quality: {source.name}"), "utf-8")
        except OSError as error:
            fail(f"{html}: {error.strerror}")


def register(app: typer.Typer) -> None:
    """Attach the ``quality`` command."""
    app.command("quality")(quality)
