"""What every handler shares, declared once: JSON handlers document the problem responses and
are declared to run on the event loop (they are short and synchronous: right for SQLite; on
PostgreSQL the app moves every one of them to its worker threads, ``api.app.handlers_in_threads``);
page handlers are left out of the OpenAPI schema by their controllers (:class:`PageController`)."""

from __future__ import annotations

from functools import partial

from litestar import Controller, get, post

from api.errors import PROBLEM_RESPONSES

api_get = partial(get, responses=PROBLEM_RESPONSES, sync_to_thread=False)
api_post = partial(post, responses=PROBLEM_RESPONSES, sync_to_thread=False)
page_get = partial(get, sync_to_thread=False)
page_post = partial(post, sync_to_thread=False)


class PageController(Controller):
    """A controller of server-rendered pages (not part of the JSON API's schema)."""

    include_in_schema = False
