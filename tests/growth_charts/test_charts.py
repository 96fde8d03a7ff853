"""Plotly growth charts: bands and lines from the engine, the 24-month break, hover, languages."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from growth_charts import INDICATORS, value_at_z, z_from_percentile
from growth_charts.charts import growth_chart


def named(figure: go.Figure, name: str) -> go.Scatter:
    return next(trace for trace in figure.data if trace.name == name)


@pytest.mark.parametrize("code", sorted(INDICATORS))
@pytest.mark.parametrize("style", ["percentile", "zscore"])
def test_every_indicator_draws(code, style):
    figure = growth_chart(code, "F", style=style, lang="en")
    assert isinstance(figure, go.Figure)
    lines = [t for t in figure.data if t.name and t.showlegend is not False]
    assert len(lines) == (3 if style == "percentile" else 7)
    for trace in figure.data:
        y = np.asarray(trace.y, dtype=float)
        assert np.isfinite(y).sum() > 10


def test_median_and_bands_come_from_the_engine():
    figure = growth_chart("wfa", "M", lang="en")
    median = named(figure, "Median")
    assert median.x[365] == pytest.approx(365 / 30.4375)
    assert median.y[365] == pytest.approx(value_at_z("wfa", "M", 365, 0.0)[0])
    upper = named(figure, "P3–P97")
    assert upper.y[365] == pytest.approx(value_at_z("wfa", "M", 365, z_from_percentile(97))[0])
    assert upper.fill == "tonexty"


def test_length_height_break_at_24_months():
    figure = growth_chart("lhfa", "F", style="zscore", lang="en")
    line = named(figure, "z = 0")
    x, y = np.asarray(line.x, dtype=float), np.asarray(line.y, dtype=float)
    gap = np.flatnonzero(np.isnan(y))
    assert gap.size == 1
    assert x[gap[0] - 1] == pytest.approx(730 / 30.4375)
    assert x[gap[0] + 1] == pytest.approx(731 / 30.4375)
    assert y[gap[0] - 1] - y[gap[0] + 1] == pytest.approx(0.7, abs=0.2)  # lying > standing
    assert any("height" in (a.text or "") for a in figure.layout.annotations)


def test_child_points_hover_with_z_and_percentile():
    figure = growth_chart("wfl", "M", ages_or_lengths=[70.0, 75.0], values=[7.0, 9.5], lang="en")
    child = named(figure, "Child's measurements")
    assert list(child.x) == [70.0, 75.0]
    assert "z = -2.3" in child.text[0] or "z = -2.2" in child.text[0]
    assert "percentile" in child.text[0]


def test_chinese_labels():
    figure = growth_chart("hcfa", "F", ages_or_lengths=[100], values=[40.0])
    assert figure.layout.title.text == "年龄别头围 · 女童"
    assert figure.layout.xaxis.title.text == "月龄"
    assert "头围" in figure.layout.yaxis.title.text
    assert named(figure, "孩子的测量值").text[0].startswith("头围: 40 厘米")


def test_who2007_axis_in_years():
    figure = growth_chart("bmi_2007", "M", style="zscore", lang="en")
    x = np.asarray(figure.data[0].x, dtype=float)
    assert x[0] == pytest.approx(61 / 12) and x[-1] == pytest.approx(19.0)


# ---- issue 11 (2): labelled centile lines, as WHO's percentile charts


def test_centile_lines_3_15_50_85_97_come_from_the_engine_and_are_labelled_at_the_end():
    from growth_charts.charts import LINE_LABEL

    figure = growth_chart("wfa", "F", lang="en")
    labels = [a for a in figure.layout.annotations if a.name == LINE_LABEL]
    assert [a.text for a in labels] == ["3rd", "15th", "50th", "85th", "97th"]
    for label, centile in zip(labels, (3, 15, 50, 85, 97), strict=True):
        line = named(figure, "Median" if centile == 50 else label.text)
        assert line.mode == "lines" and line.fill is None
        z = float(z_from_percentile(centile))
        assert line.y[400] == pytest.approx(value_at_z("wfa", "F", 400, z)[0])
        assert label.x == pytest.approx(line.x[-1]) and label.xanchor == "left"
        assert label.y == pytest.approx(value_at_z("wfa", "F", 1856, z)[0])
    assert figure.layout.margin.r >= 40  # room for the labels


def test_line_labels_follow_a_zoomed_chart_and_the_language():
    from growth_charts.charts import line_labels

    labels = line_labels("lhfa", "M", 365.0, lang="zh-CN")
    assert [a["text"] for a in labels] == ["P3", "P15", "P50", "P85", "P97"]
    assert labels[2]["x"] == pytest.approx(365 / 30.4375)
    assert labels[2]["y"] == pytest.approx(value_at_z("lhfa", "M", 365, 0.0)[0])
    z_labels = line_labels("wfh", "F", 500.0, style="zscore", lang="en")  # clipped to 120 cm
    assert [a["text"] for a in z_labels] == ["−3", "−2", "−1", "0", "+1", "+2", "+3"]
    assert {a["x"] for a in z_labels} == {120.0}


def test_zscore_lines_are_labelled_and_the_title_leaves_the_right_to_the_mode_bar():
    figure = growth_chart("hcfa", "M", style="zscore", lang="en")
    assert [a.text for a in figure.layout.annotations][-3:] == ["+1", "+2", "+3"]
    assert figure.layout.title.x == 0 and figure.layout.title.xanchor == "left"


# ---- issue 11 (3): a preterm baby's measurements at both ages


def test_preterm_points_at_corrected_and_actual_age_joined_by_a_line():
    figure = growth_chart(
        "wfa", "M", ages_or_lengths=[80, 230, 400], values=[5.0, 7.5, 9.0],
        actual_ages=[150, 300, np.nan], lang="en",
    )  # fmt: skip
    child = named(figure, "Child's measurements (corrected age)")
    assert np.asarray(child.x) == pytest.approx(np.array([80, 230, 400]) / 30.4375)
    assert "Corrected age: 2.6 months" in child.text[0] and "Corrected age" not in child.text[2]
    actual = next(t for t in figure.data if t.name == "At actual age" and t.mode == "markers")
    assert np.asarray(actual.x) == pytest.approx(np.array([150, 300]) / 30.4375)
    assert list(actual.y) == [5.0, 7.5]
    assert "Actual age: 4.9 months" in actual.text[0] and "Born early" in actual.text[0]
    join = next(t for t in figure.data if t.name == "At actual age" and t.mode == "lines")
    assert list(join.y) == [5.0, 5.0, None, 7.5, 7.5, None]
    assert join.x[0] == pytest.approx(actual.x[0]) and join.x[1] == pytest.approx(child.x[0])
    assert join.showlegend is False and join.hoverinfo == "skip"


def test_no_second_age_without_a_correction_or_on_a_length_axis():
    term = growth_chart("wfa", "M", ages_or_lengths=[80], values=[5.0], actual_ages=[np.nan])
    assert [t.name for t in term.data if "markers" in (t.mode or "")] == ["孩子的测量值"]
    wfl = growth_chart("wfl", "M", ages_or_lengths=[60.0], values=[5.5], actual_ages=[150])
    assert [t.name for t in wfl.data if "markers" in (t.mode or "")] == ["孩子的测量值"]
    chinese = growth_chart("hcfa", "F", ages_or_lengths=[60], values=[38.0], actual_ages=[120])
    actual = next(t for t in chinese.data if t.name == "按实际月龄" and t.mode == "markers")
    assert actual.text[0].startswith("头围: 38 厘米<br>实际月龄：3.9个月")
