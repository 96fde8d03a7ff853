"""Plotly figures as HTML with no inline code, for the Content-Security-Policy (``script-src
'self'``): an empty ``<div data-figure=ID>`` and the figure as JSON in a ``<script
type="application/json" id=ID>`` block, which the browser never runs. ``/static/figures.js``
draws every such figure with ``Plotly.newPlot`` once the page has loaded.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

NARROW_PX = 600
"""Figures at most this wide (CSS pixels: phones) take their ``narrow`` config."""
PHONE_CONFIG: dict[str, Any] = {"displayModeBar": False}
"""On a phone the mode bar would cover the title (a tap on the chart shows it): none there."""


def figure_block(
    data_json: str,
    layout_json: str,
    config: dict[str, Any],
    narrow: dict[str, Any] | None = None,
) -> str:
    """The HTML of one figure from its traces (a JSON array) and layout (a JSON object), built
    by the service; ``narrow`` is the config that replaces parts of ``config`` when the figure
    is at most :data:`NARROW_PX` wide (``/static/figures.js`` applies it). Every ``<`` is
    written as the JSON escape ``\\u003c``, so no text inside the figure (a label, a name) can
    end the block early or open a tag."""
    block_id = f"figure-{uuid.uuid4().hex[:12]}"
    spec = f'{{"data":{data_json},"layout":{layout_json},"config":{json.dumps(config)}'
    if narrow:
        spec += f',"narrow":{{"max_width":{NARROW_PX},"config":{json.dumps(narrow)}}}'
    spec += "}"
    spec = spec.replace("<", "\\u003c")
    return (
        f'<div class="plotly-graph-div" data-figure="{block_id}"></div>'
        f'<script type="application/json" id="{block_id}">{spec}</script>'
    )
