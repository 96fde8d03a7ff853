"""The local Dask cluster started for one run: its workers get the slowed timers of
``survey_batches.LOCAL_CLUSTER_CONFIG`` (no statistical profiler, no 20 ms ticks) and glibc's
own malloc trimming, and it leaves the caller's Dask configuration as it found it."""

from __future__ import annotations

import pytest

from api.commands import survey_batches

SETTINGS = (
    "distributed.worker.profile.enabled",
    "distributed.admin.tick.interval",
    "distributed.admin.system-monitor.interval",
    "distributed.worker.memory.monitor-interval",
)
# run on a worker by eval (a builtin: nothing of this test is shipped)
ON_WORKER = (
    "[__import__('dask').config.get(k) for k in {keys!r}]"
    " + [__import__('os').environ.get('MALLOC_TRIM_THRESHOLD_')]"
)


@pytest.mark.slow
def test_the_local_cluster_runs_with_its_quiet_settings():
    import dask
    import distributed  # noqa: F401 (its configuration defaults)

    before = [dask.config.get(k) for k in SETTINGS]
    with survey_batches.dask_client(None, 1) as client:
        seen = client.run(eval, ON_WORKER.format(keys=SETTINGS))
    expected = [survey_batches.LOCAL_CLUSTER_CONFIG[k] for k in SETTINGS] + [None]
    assert list(seen.values()) == [expected]
    assert [dask.config.get(k) for k in SETTINGS] == before
