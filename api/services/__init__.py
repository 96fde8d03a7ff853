"""Service functions the web layer calls (wrapping the pure layers and ``health/``)."""
