"""The Litestar application factory: :func:`create_app`."""

from __future__ import annotations

import functools
import inspect
import secrets
import threading
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import anyio.to_thread
import plotly
from litestar import Litestar, Request, Response, Router, get
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import File
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from sqlalchemy import text
from sqlalchemy.orm import Session

from api import logs
from api.access import PUBLIC, guard, require_user, scoped_case, scoped_child
from api.database import (
    engine_for,
    off_the_loop,
    sqlalchemy_config,
    sqlalchemy_plugin,
    thread_tokens,
)
from api.errors import problem_details_plugin
from api.i18n import normalise
from api.limits import RequestLimits
from api.request_scope import (
    AnsweredBefore,
    HeldElsewhere,
    answered_before,
    document_idempotency,
    held_elsewhere,
    keep_answers,
    provide_caller,
    provide_visit,
    replay_or_claim,
)
from api.security_headers import add_security_headers
from api.sessions import SignInSessionConfig, install_session_writes
from api.settings import Settings
from api.stores import store_for
from health.clock import Clock

HERE = Path(__file__).parent
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
SESSION_COOKIE = "childhealth_session"
CSRF_COOKIE = "childhealth_csrf"
CSRF_HEADER = "x-csrftoken"


def _swagger_dir() -> Path | None:
    """Swagger UI's files from the ``swagger-ui-bundle`` package, when it is installed."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    return Path(swagger_ui_bundle.swagger_ui_path)


@get("/health", opt={"roles": PUBLIC}, sync_to_thread=False, tags=["service"])
def health_check(db: NamedDependency[Session]) -> dict[str, str]:
    """Liveness and database reachability."""
    db.execute(text("SELECT 1"))
    return {"status": "ok"}


@get("/static/plotly.min.js", opt={"roles": PUBLIC}, include_in_schema=False, sync_to_thread=False)
def plotly_js() -> File:
    """Plotly's browser bundle, from the installed plotly package (cached by the browser)."""
    return File(PLOTLY_JS, media_type="text/javascript", headers={"cache-control": "max-age=86400"})


@get("/favicon.ico", opt={"roles": PUBLIC}, include_in_schema=False, sync_to_thread=False)
def favicon() -> File:
    """The service's icon (an SVG; browsers ask for ``/favicon.ico`` whatever the page links)."""
    return File(HERE / "static" / "favicon.svg", media_type="image/svg+xml")


def _locale(request: Request[Any, Any, Any]) -> None:
    """Before each request: the interface language (``?lang=``, cookie ``lang``, zh-CN)."""
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    request.scope.setdefault("state", {})["locale"] = normalise(chosen)


async def _before_request(request: Request[Any, Any, Any]) -> Response[bytes] | None:
    """Before each handler (after the guard): the language, then a write's idempotency key
    (the first answer when the write is a repeat; see ``api.request_scope``)."""
    _locale(request)
    return await replay_or_claim(request)


def on_the_loop(hook: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """``hook`` (a guard or before-send hook, sync) as a coroutine function that runs it inline
    on the event loop. Litestar runs a sync hook in a worker thread; the app's handlers already
    run on the loop (short, synchronous database work) and a thread hop per hook costs more than
    the hook itself."""
    func = getattr(hook, "func", hook)  # Litestar's AsyncCallable wraps the sync function
    if inspect.iscoroutinefunction(func):
        return func  # type: ignore[no-any-return]

    @functools.wraps(func)
    async def inline(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return inline


def handlers_in_threads(app: Litestar) -> None:
    """Run every synchronous route handler of ``app`` in a worker thread (what Litestar does
    for ``sync_to_thread=True``), on a database whose work leaves the event loop. The handlers
    are declared to run inline (``api.controllers.base``), which suits SQLite; the app holds
    its own copy of each handler, so another app in the same process is not changed."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler, _ in route.route_handler_map.values():
            if handler.has_sync_callable:
                handler._fn = _in_thread(handler.fn)  # as on_registration does, in anyio's pool
                handler.has_sync_callable = False


def _in_thread(func: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """``func`` as a coroutine function that runs it in anyio's worker threads (the pool every
    blocking step of a request shares, see :func:`_size_thread_pool`)."""

    @functools.wraps(func)
    async def threaded(*args: Any, **kwargs: Any) -> Any:
        return await anyio.to_thread.run_sync(partial(func, *args, **kwargs))

    return threaded


def _size_thread_pool(tokens: int) -> Callable[[], None]:
    """On start-up: at most ``tokens`` worker threads for the requests' blocking work."""

    def size() -> None:
        anyio.to_thread.current_default_thread_limiter().total_tokens = tokens

    return size


def _template_globals(engine: JinjaTemplateEngine) -> None:
    """``new_idempotency_key()`` for the hidden field of every form that creates a record."""
    engine.engine.globals["new_idempotency_key"] = lambda: secrets.token_urlsafe(24)


def _warm_charts_in_background() -> None:
    """Start building the reference growth charts without delaying start-up."""
    from api.services.charts import warm_up

    threading.Thread(target=warm_up, name="warm-charts", daemon=True).start()


def _openapi(swagger: Path | None) -> OpenAPIConfig:
    plugins = []
    if swagger is not None:
        plugins.append(
            SwaggerRenderPlugin(
                js_url="/static/swagger/swagger-ui-bundle.js",
                css_url="/static/swagger/swagger-ui.css",
                standalone_preset_js_url="/static/swagger/swagger-ui-standalone-preset.js",
                favicon="<link rel='icon' href='/static/swagger/favicon-32x32.png'>",
                path="/swagger",
            )
        )
    return OpenAPIConfig(
        title="Child health and development screening",
        version="1.0.0",
        description="Errors are RFC 9457 problem details (application/problem+json).",
        path="/schema",
        render_plugins=plugins,
        # the schema and its docs UI are served, not part of the API they describe
        openapi_router=Router(
            "/schema", route_handlers=[], opt={"roles": PUBLIC}, include_in_schema=False
        ),
        use_handler_docstrings=True,
    )


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Litestar:
    """The service for ``settings`` (default: from the environment); ``clock`` replaces the
    settings' clock (tests pin the instant)."""
    from api.controllers import controllers

    settings = settings or Settings.from_env()
    logs.configure()
    engine = engine_for(settings.database_url)
    db_config = sqlalchemy_config(engine)
    store = store_for(settings.store_url, engine)  # shared by every process: no files
    sessions = SignInSessionConfig(
        key=SESSION_COOKIE,
        secure=settings.cookie_secure,
        httponly=True,
        samesite="lax",
        max_age=settings.session_max_age_s,
        store="sessions",
    )
    swagger = _swagger_dir()
    handlers: list[Any] = [health_check, plotly_js, favicon, *controllers()]
    handlers.append(
        create_static_files_router(
            path="/static", directories=[HERE / "static"], opt={"roles": PUBLIC}, name="static"
        )
    )
    if swagger is not None:
        handlers.append(
            create_static_files_router(
                path="/static/swagger", directories=[swagger], opt={"roles": PUBLIC}, name="swagger"
            )
        )
    on_startup = [_warm_charts_in_background] if settings.warm_charts else []
    tokens = thread_tokens(engine)
    if tokens is not None:
        on_startup.append(_size_thread_pool(tokens))
    app = Litestar(
        on_startup=on_startup,
        route_handlers=handlers,
        plugins=[sqlalchemy_plugin(db_config), problem_details_plugin()],
        guards=[on_the_loop(guard)],  # primary-key reads: inline on both databases
        middleware=[
            sessions.middleware,
            DefineMiddleware(logs.access_log_middleware),
            RequestLimits,  # before the body is parsed
            DefineMiddleware(keep_answers),  # innermost: sees the handler's own answer
        ],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name=CSRF_COOKIE,
            header_name=CSRF_HEADER,
            cookie_secure=settings.cookie_secure,
            cookie_samesite="lax",
        ),
        stores={
            "sessions": store.with_namespace("sessions"),
            "cache": store.with_namespace("cache"),
        },
        template_config=TemplateConfig(
            directory=HERE / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=_template_globals,
        ),
        openapi_config=_openapi(swagger),
        before_request=_before_request,
        exception_handlers={AnsweredBefore: answered_before, HeldElsewhere: held_elsewhere},
        before_send=[add_security_headers, logs.log_response],
        dependencies={
            "user": Provide(require_user, sync_to_thread=False),
            "child": Provide(scoped_child, sync_to_thread=False),
            "case": Provide(scoped_case, sync_to_thread=False),
            "caller": Provide(provide_caller, sync_to_thread=False),
            "visit": Provide(provide_visit, sync_to_thread=False),
        },
        state=State(
            {
                "settings": settings,
                "clock": clock or settings.clock(),
                "db_config": db_config,
                "engine": engine,
            }
        ),
        debug=settings.debug,
    )
    document_idempotency(app)
    app.before_send = [on_the_loop(hook) for hook in app.before_send]  # the database plugin's
    install_session_writes(app)  # after the database plugin's hook, which ends the transaction
    if off_the_loop(engine):
        handlers_in_threads(app)
    return app
