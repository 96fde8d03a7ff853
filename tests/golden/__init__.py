"""Golden files: outputs of WHO's own software kept byte for byte in the repository (see
``who/README.md`` for each file's source, licence and sha256)."""

from __future__ import annotations

from pathlib import Path

WHO = Path(__file__).resolve().parent / "who"
