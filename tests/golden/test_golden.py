"""Behaviour is unchanged: every golden run ends in its recorded state and reproduces its frames.

Two tolerances, for two kinds of number:
- The discrete state (follows, items and their counters, screens, logs, cascades, every
  generator's position) is compared exactly. It is what the random draws decided; one
  differing bit means the run took another course.
- The DataCollector frames and final measures are compared to a relative 1e-12 (absolute 0).
  They are reductions (means, shares, fits) of the state, and the model promises them equal
  to within 1e-12, not bit for bit, across CPUs and library builds (docs/ODD.md,
  "Reproducibility"). A behaviour change moves them by far more than 1e-12: the smallest
  non-zero step of any share over 400 users is 1/400 x 1/30 steps, about 1e-4.
"""

import json

import numpy as np
import pandas as pd

from tests.golden.cases import GOLDEN, STATE, discrete, run_all

RTOL = 1e-12


def test_golden_runs_reproduce():
    want_frames = pd.read_parquet(GOLDEN)
    want_state = json.loads(STATE.read_text())
    got_frames, digests = run_all()
    got_state = discrete(digests)
    assert set(got_frames["case"]) == set(want_frames["case"]), "the golden cases changed"
    assert got_state.keys() == want_state.keys(), "the golden runs changed"
    differ = {
        run: sorted(p for p in want_state[run] if got_state[run].get(p) != want_state[run][p])
        for run in want_state
    }
    differ = {run: paths for run, paths in differ.items() if paths}
    assert not differ, f"discrete state differs (run: arrays): {differ}"
    pd.testing.assert_frame_equal(
        got_frames.drop(columns="value"), want_frames.drop(columns="value"), check_exact=True
    )
    got, want = got_frames["value"].to_numpy(), want_frames["value"].to_numpy()
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=0, equal_nan=True)
