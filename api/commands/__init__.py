"""One module per ``childhealth`` sub-command; each exposes ``register(app)``."""
