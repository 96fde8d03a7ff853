"""Shared fixtures: WHO's own z-score outputs, the golden files in ``tests/golden/who``."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.golden import WHO


def _dataset(name: str) -> pd.DataFrame:
    return pd.read_csv(WHO / name)


@pytest.fixture(scope="session")
def igrowup_r_survey() -> pd.DataFrame:
    """WHO igrowup R macro output for a 498-child survey, all eight WHO 2006 indicators."""
    return _dataset("MySurvey_z_st.csv")


@pytest.fixture(scope="session")
def igrowup_stata_survey() -> pd.DataFrame:
    """WHO igrowup/who2007 Stata macro output, 5,704 rows incl. WHO 2007 indicators."""
    return _dataset("test_dataset.csv")
