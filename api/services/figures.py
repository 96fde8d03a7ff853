"""Plotly figures as HTML with no inline code, for the Content-Security-Policy (``script-src
'self'``): an empty ``<div data-figure=ID>`` and the figure as JSON in a ``<script
type="application/json" id=ID>`` block, which the browser never runs. ``/static/figures.js``
draws every such figure with ``Plotly.newPlot`` once the page has loaded.
"""

from __future__ import annotations

import json
import uuid
from typing import Any


def figure_block(data_json: str, layout_json: str, config: dict[str, Any]) -> str:
    """The HTML of one figure from its traces (a JSON array) and layout (a JSON object), built
    by the service. Every ``<`` is written as the JSON escape ``\\u003c``, so no text inside the
    figure (a label, a name) can end the block early or open a tag."""
    block_id = f"figure-{uuid.uuid4().hex[:12]}"
    spec = f'{{"data":{data_json},"layout":{layout_json},"config":{json.dumps(config)}}}'
    spec = spec.replace("<", "\\u003c")
    return (
        f'<div class="plotly-graph-div" data-figure="{block_id}"></div>'
        f'<script type="application/json" id="{block_id}">{spec}</script>'
    )
