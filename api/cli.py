"""The ``childhealth`` command line: one Typer app, one module per command in ``api/commands``.

Every command reports bad input as a one-line message on stderr and exits non-zero; no command
prints a traceback for a user error (see ``api.commands.errors``).
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="childhealth",
    help="Child health and development screening: WHO growth z-scores, screening and coverage.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Child health and development screening: WHO growth z-scores, screening and coverage."""


def _register() -> None:
    """Attach each command module's commands to ``app`` (imports kept local to stay fast)."""
    from api.commands import zscore

    zscore.register(app)
    from api.commands import prevalence

    prevalence.register(app)
    from api.commands import coverage, import_

    import_.register(app)
    coverage.register(app)
    from api.commands import seed_demo

    seed_demo.register(app)
    from api.commands import quality

    quality.register(app)
    from api.commands import serve

    serve.register(app)
    from api.commands import backup

    backup.register(app)
    from api.commands import forecast

    forecast.register(app)
    from api.commands import reminders

    reminders.register(app)
    from api.commands import call_list

    call_list.register(app)
    from api.commands import fhir

    fhir.register(app)
    from api.commands import partitions

    partitions.register(app)
    from api.commands import tallies

    tallies.register(app)
    # Command modules are added here as they land.


_register()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
