"""``OpinionEcology.run(steps)`` stops at the horizon ``params.steps`` and says so."""

from __future__ import annotations

import warnings

import pytest

from model import OpinionEcology, Params
from model.engine import HorizonWarning


def test_run_past_the_horizon_warns_and_stops_there():
    m = OpinionEcology(Params(n_users=60, steps=5), seed=1)
    with pytest.warns(HorizonWarning, match=r"run\(8\) stopped after step 5: .*params.steps=5"):
        m.run(8)
    assert m.steps == 5


def test_run_inside_the_horizon_or_by_default_does_not_warn():
    m = OpinionEcology(Params(n_users=60, steps=5), seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", HorizonWarning)
        m.run(3)
        m.run(2)
        assert m.steps == 5
        OpinionEcology(Params(n_users=60, steps=4), seed=1).run()
