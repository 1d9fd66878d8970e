"""Behaviour is unchanged: every golden run reproduces its recorded frames exactly.

The tolerance is zero. The runs are seeded and the refactors this guards reorder no float
operation; a commit that must reorder one regenerates ``golden.parquet`` and says why.
"""

import pandas as pd

from tests.golden.cases import GOLDEN, frames


def test_golden_frames_reproduce_exactly():
    want = pd.read_parquet(GOLDEN)
    got = frames()
    assert set(got["case"]) == set(want["case"]), "the golden cases changed"
    pd.testing.assert_frame_equal(got, want, check_exact=True)
