"""``experiments.plan``'s check of recorded rows against the plan, column by column.

:func:`experiments.plan._differing_columns` picks the columns the one-by-one comparison must
look at; it must never drop a column that differs, whatever the dtypes, and must keep the
columns' order so that the error names the first one that differs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from experiments.plan import _differing_columns


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Three rows, hand-built: the columns that agree and the ones that do not, by dtype."""
    got = pd.DataFrame(
        {
            "f_same": [0.1, np.nan, 2.0],  # NaN against NaN agrees
            "f_diff": [0.1, 0.2, 0.3],
            "f_nan": [0.1, np.nan, 0.3],  # NaN against a number differs
            "i_same": np.array([1, 2, 3], dtype=np.int64),
            "i_vs_f": np.array([1, 2, 3], dtype=np.int64),  # 3 against 3.5
            "b_same": [True, False, True],
            "s_same": ["a", None, "c"],  # missing against missing agrees
            "s_diff": ["a", "b", "c"],
            "o_same": pd.Series([1, "b", None], dtype=object),
        }
    )
    ref = pd.DataFrame(
        {
            "f_same": [0.1, np.nan, 2.0],
            "f_diff": [0.1, 0.2, 0.30000000000000004],
            "f_nan": [0.1, 0.2, 0.3],
            "i_same": np.array([1, 2, 3], dtype=np.int64),
            "i_vs_f": [1.0, 2.0, 3.5],
            "b_same": [True, False, True],
            "s_same": ["a", None, "c"],
            "s_diff": ["a", "x", "c"],
            "o_same": pd.Series([1, "b", None], dtype=object),
        }
    )
    return got, ref


def test_the_blocks_keep_exactly_the_columns_that_differ_and_objects_are_kept():
    """By hand: f_diff differs in its last bit, f_nan has a NaN against 0.2, i_vs_f has 3
    against 3.5, s_diff has "b" against "x"; f_same (NaN against NaN), i_same, b_same and
    s_same (missing against missing) agree and are dropped; the object column is always kept
    for the one-by-one comparison; the columns keep their order."""
    got, ref = _frames()
    assert isinstance(got["s_same"].dtype, pd.StringDtype) and got["o_same"].dtype == object
    cols = list(got.columns)
    assert _differing_columns(got, ref, cols) == ["f_diff", "f_nan", "i_vs_f", "s_diff", "o_same"]
    assert _differing_columns(got, ref, cols[::-1]) == [
        "o_same", "s_diff", "i_vs_f", "f_nan", "f_diff",
    ]  # fmt: skip


@pytest.mark.parametrize("column", ["f_diff", "f_nan", "i_vs_f", "s_diff"])
def test_no_column_that_differs_is_dropped(column):
    """The old one-by-one test (``a == b`` or both missing, on every column) is the oracle:
    each column it finds differing is among the kept ones."""
    got, ref = _frames()

    def differs(c: str) -> bool:
        a, b = got[c], ref[c]
        return not ((a == b).to_numpy(bool) | (a.isna() & b.isna()).to_numpy(bool)).all()

    assert differs(column)
    assert column in _differing_columns(got, ref, [column])
    assert [c for c in got.columns if differs(c)] == [
        c for c in _differing_columns(got, ref, list(got.columns)) if differs(c)
    ]
