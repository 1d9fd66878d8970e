"""Full measures every ``collect_every`` steps: the same values where they are collected, the
same final measures, and the per-step series kept every step (tolerance zero: the same code
computes each value, so the bits must agree)."""

import numpy as np
import pytest

from model import OpinionEcology
from model.measures import final_measures


def run(every: int, steps: int = 50) -> OpinionEcology:
    m = OpinionEcology(n_users=300, steps=steps, strategy="interactive", seed=3)
    m.collect_every = every
    m.run()
    return m


def test_collected_steps_equal_the_every_step_run():
    full, sparse = run(1), run(24)
    a = full.datacollector.get_model_vars_dataframe()
    b = sparse.datacollector.get_model_vars_dataframe()
    # step 0 (the build), steps 24 and 48, and the last step (50): 4 rows
    assert len(a) == 51 and len(b) == 4
    for row, step in enumerate([0, 24, 48, 50]):
        assert a.iloc[step].equals(b.iloc[row]), f"step {step} differs"
    assert full.step_series == sparse.step_series and len(sparse.step_series["reach"]) == 51
    fa, fb = final_measures(full), final_measures(sparse)
    assert fa.keys() == fb.keys()
    for k in fa:
        assert fa[k] == fb[k] or (np.isnan(fa[k]) and np.isnan(fb[k])), k


def test_current_snapshot_between_collections_computes_without_a_row():
    m = OpinionEcology(n_users=200, steps=30, strategy="interactive", seed=1)
    m.collect_every = 10
    for _ in range(5):
        m.step()
    rows = len(m.datacollector.model_vars["reach"])
    snap = m.current_snapshot()
    assert len(m.datacollector.model_vars["reach"]) == rows == 1  # only the build's row
    assert snap["reach"] == m.step_series["reach"][-1]
    for _ in range(5):
        m.step()
    assert m.collected_at == 10 and m.current_snapshot() is m.last_snapshot


@pytest.mark.parametrize("every", [0, 1])
def test_collect_every_one_or_less_collects_every_step(every):
    m = run(every, steps=5)
    assert len(m.datacollector.model_vars["reach"]) == 6
