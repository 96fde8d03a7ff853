"""The data-quality report as one self-contained HTML page (plotly.js embedded: works offline).

Figures: a histogram of each z-score (non-flagged values, as a density) with the standard
normal curve over it, and children per completed month of age by sex. Tables: the report's
summary, per-indicator statistics and terminal digits. Every text is HTML-escaped.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs
from scipy import stats

from growth_charts.quality import QualityReport

BIN_WIDTH = 0.25


def z_histogram(label: str, z: np.ndarray) -> go.Figure:
    """Density histogram of ``z`` (binned here, so a million children stay a small page) with
    the N(0, 1) density on the same axes; values beyond ±6 fall outside the bins."""
    edges = np.arange(-6.0, 6.0 + BIN_WIDTH, BIN_WIDTH)
    counts, _ = np.histogram(z, bins=edges)
    density = counts / (len(z) * BIN_WIDTH) if len(z) else counts.astype(float)
    grid = np.linspace(-6, 6, 241)
    figure = go.Figure()
    figure.add_trace(
        go.Bar(
            x=(edges[:-1] + edges[1:]) / 2,
            y=density,
            width=BIN_WIDTH,
            name=f"{label} (n = {len(z)})",
            marker_color="#4c78a8",
            opacity=0.75,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=grid, y=stats.norm.pdf(grid), mode="lines", name="WHO standard (N(0, 1))",
            line={"color": "#e45756", "width": 2},
        )
    )  # fmt: skip
    figure.update_layout(
        title=f"{label}: distribution against the WHO standard",
        xaxis_title="z-score",
        yaxis_title="density",
        bargap=0.02,
        height=380,
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
    )
    return figure


def age_figure(age_months: pd.DataFrame) -> go.Figure:
    """Children per completed month of age, girls and boys stacked."""
    figure = go.Figure()
    for column, colour in (("female", "#f58518"), ("male", "#54a24b")):
        figure.add_trace(
            go.Bar(x=age_months["month"], y=age_months[column], name=column, marker_color=colour)
        )
    figure.update_layout(
        barmode="stack",
        title="Children per completed month of age",
        xaxis_title="age (completed months)",
        yaxis_title="children",
        height=380,
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
    )
    return figure


def _table(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, na_rep="", float_format=lambda v: f"{v:.3f}")


def quality_html(report: QualityReport, title: str = "Anthropometric data quality") -> str:
    """The full page as a string (a few MB: plotly.js is inlined once)."""
    figures = [z_histogram(label, z) for label, z in report.z_values.items()]
    figures.append(age_figure(report.age_months))
    divs = [
        figure.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})
        for figure in figures
    ]
    safe_title = html.escape(title)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{safe_title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; margin: 1rem 0; font-size: 0.9rem; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.5rem; text-align: right; }}
th {{ background: #f3f3f3; }}
td:first-child, th:first-child {{ text-align: left; }}
</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head>
<body>
<h1>{safe_title}</h1>
<h2>Summary</h2>
{_table(report.summary)}
<h2>z-scores</h2>
{_table(report.indicators)}
{"".join(divs[:-1])}
<h2>Terminal digits (% of measurements)</h2>
{_table(report.digits)}
<h2>Age</h2>
{divs[-1]}
{_table(report.age_months)}
</body>
</html>
"""
