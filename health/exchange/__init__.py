"""The bulk exchange format of coverage.md §4: a folder of CSV files loaded all-or-nothing."""

from health.exchange.errors import ExchangeError
from health.exchange.loader import ImportSummary, import_folder
from health.exchange.validate import FILES

__all__ = ["FILES", "ExchangeError", "ImportSummary", "import_folder"]
