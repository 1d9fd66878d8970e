"""Lazy relaxation of emotion (model/rules/emotion.py, docs/ODD.md 7.10): a user without views
relaxes by the closed form x0 + (x - x0) (1 - relax)^k when read, not one step at a time."""

from __future__ import annotations

import numpy as np
import pytest

from model import OpinionEcology
from model.rules.emotion import (
    lazy_relaxation_kernel,
    relaxation_kernel,
    settle_kernel,
)
from model.trust import decay_table

NO_VIEWS = np.zeros(0, np.int64)


def explicit_steps(v, a, bv, ba, k, relax=0.1, views=None):
    """k steps of the non-lazy kernel (every user relaxes each step); ``views`` (user, item,
    item valence, item intensity) are viewed at the last step."""
    v, a = v.copy(), a.copy()
    for step in range(k):
        u, it, iv, ii = views if views is not None and step == k - 1 else (NO_VIEWS,) * 4
        relaxation_kernel(
            u, it, np.asarray(iv, np.float32), np.asarray(ii, np.float32), v, a, bv, ba,
            np.ones(4), np.zeros(len(v), np.int8), relax, 0.1,
        )  # fmt: skip
    return v, a


def lazy(anchor_v, anchor_a, at, v=None, a=None):
    """The rule's lazy arrays with the state as last shown = (v, a) at the anchor's step."""
    v = anchor_v if v is None else v
    a = anchor_a if a is None else a
    return (anchor_v, anchor_a, at, v.copy(), a.copy(), at.copy())


def settle(v, a, bv, ba, anchor_v, anchor_a, at, t, rows=None, relax=0.1, state=None):
    keep = 1.0 - float(np.float32(relax))
    settle_kernel(
        NO_VIEWS if rows is None else rows, rows is None, t, v, a, bv, ba,
        state if state is not None else lazy(anchor_v, anchor_a, at, v, a), keep,
        decay_table(keep),
    )  # fmt: skip


def test_five_untouched_steps_by_hand():
    """Valence 0.5 toward baseline 0 and arousal 0.2 toward 0.6, relax 0.1, untouched for 5
    steps: 0.5 x 0.9^5 = 0.295245 and 0.6 - 0.4 x 0.9^5 = 0.363804 (the closed form, to
    float32), and within 1e-6 of 5 explicit steps."""
    bv, ba = np.array([0.0], np.float32), np.array([0.6], np.float32)
    v, a = np.array([0.5], np.float32), np.array([0.2], np.float32)
    at = np.array([3], np.int32)
    sv, sa = v.copy(), a.copy()
    settle(sv, sa, bv, ba, v.copy(), a.copy(), at, 8)
    keep = 1.0 - float(np.float32(0.1))
    assert sv[0] == np.float32(0.5 * keep**5) and sa[0] == np.float32(0.6 - 0.4 * keep**5)
    assert sv[0] == pytest.approx(0.295245, abs=1e-6) and sa[0] == pytest.approx(0.363804, abs=1e-6)
    ev, ea = explicit_steps(v, a, bv, ba, 5)
    assert abs(sv[0] - ev[0]) < 1e-6 and abs(sa[0] - ea[0]) < 1e-6


def test_long_untouched_spell_stays_within_float32_rounding():
    """2,000 steps untouched (beyond nothing, inside the decay table): within 1e-6 of 2,000
    explicit steps; both have reached the baseline."""
    bv, ba = np.array([-0.3], np.float32), np.array([0.1], np.float32)
    v, a = np.array([0.9], np.float32), np.array([1.0], np.float32)
    sv, sa = v.copy(), a.copy()
    settle(sv, sa, bv, ba, v.copy(), a.copy(), np.array([0], np.int32), 2000)
    ev, ea = explicit_steps(v, a, bv, ba, 2000)
    assert abs(sv[0] - ev[0]) < 1e-6 and abs(sa[0] - ea[0]) < 1e-6
    assert sv[0] == pytest.approx(-0.3, abs=1e-6)


def test_reads_do_not_move_the_anchor():
    """Settling at steps 4, 6 and then 9 gives the same bits as settling at 9 once, and a
    settle for the anchor's own step gives the anchor back (whatever a later read left)."""
    bv, ba = np.array([0.1, -0.2], np.float32), np.array([0.5, 0.3], np.float32)
    anchor_v, anchor_a = np.array([0.7, 0.4], np.float32), np.array([0.0, 0.9], np.float32)
    at = np.array([2, 3], np.int32)
    once_v, once_a = anchor_v.copy(), anchor_a.copy()
    settle(once_v, once_a, bv, ba, anchor_v.copy(), anchor_a.copy(), at.copy(), 9)
    v, a = anchor_v.copy(), anchor_a.copy()
    st = lazy(anchor_v, anchor_a, at)
    for t in (4, 6, 9):
        settle(v, a, bv, ba, None, None, None, t, state=st)
    assert v.tobytes() == once_v.tobytes() and a.tobytes() == once_a.tobytes()
    assert st[2].tolist() == [2, 3], "the anchors did not move"
    settle(v, a, bv, ba, None, None, None, 3, rows=np.array([1]), state=st)
    assert v[1] == anchor_v[1] and a[1] == anchor_a[1]
    assert v[0] == once_v[0], "rows not asked for are left"


def test_a_value_set_from_outside_becomes_the_anchor():
    """Settled to step 5, then valence set to 0.8 from outside (an intervention): at step 7
    it has relaxed 2 steps from 0.8 toward 0.1 (0.1 + 0.7 x 0.9^2), not from the old anchor;
    the arousal, untouched, follows the old anchor; the new anchor is at step 5."""
    bv, ba = np.array([0.1], np.float32), np.array([0.5], np.float32)
    anchor_v, anchor_a = np.array([-0.4], np.float32), np.array([0.2], np.float32)
    st = lazy(anchor_v, anchor_a, np.array([1], np.int32))
    v, a = anchor_v.copy(), anchor_a.copy()
    settle(v, a, bv, ba, None, None, None, 5, state=st)
    v[0] = 0.8
    settle(v, a, bv, ba, None, None, None, 7, state=st)
    keep = 1.0 - float(np.float32(0.1))
    assert v[0] == np.float32(0.1 + (np.float64(np.float32(0.8)) - 0.1) * keep**2)
    assert a[0] == np.float32(0.5 + (np.float64(np.float32(0.2)) - 0.5) * keep**6)
    assert st[2][0] == 5


def test_a_viewer_after_an_untouched_spell():
    """A user anchored at step 2 views two items at step 6: its emotion is first relaxed to
    the end of step 5 (3 steps), then takes step 6's relaxation and pull: within 1e-6 of 4
    explicit steps with the views at the last; the scratch is left zero."""
    bv, ba = np.array([0.0], np.float32), np.array([0.5], np.float32)
    v0, a0 = np.array([0.6], np.float32), np.array([0.1], np.float32)
    views = (np.array([0, 0]), np.array([0, 1]), [-0.8, 0.4], [0.9, 0.7])
    ev, ea = explicit_steps(v0, a0, bv, ba, 4, views=views)
    v, a = v0.copy(), a0.copy()
    st = lazy(v0.copy(), a0.copy(), np.array([2], np.int32))
    keep = 1.0 - float(np.float32(0.1))
    sv, sa, nv = np.zeros(1), np.zeros(1), np.zeros(1, np.int64)
    lazy_relaxation_kernel(
        views[0], views[1], np.array(views[2], np.float32), np.array(views[3], np.float32),
        v, a, bv, ba, np.ones(4), np.zeros(1, np.int8), 0.1, 0.1, st, 6,
        keep, decay_table(keep), sv, sa, nv,
    )  # fmt: skip
    assert abs(v[0] - ev[0]) < 1e-6 and abs(a[0] - ea[0]) < 1e-6
    assert not sv.any() and not sa.any() and not nv.any()
    # by hand: 0.6 x 0.9^3 = 0.4374; pull 0.1 x mean(-0.8 - 0.4374, 0.4 - 0.4374) = -0.06374
    assert v[0] == pytest.approx(0.4374 - 0.04374 - 0.06374, abs=2e-6)


def test_nobody_active_relaxes_by_the_closed_form():
    """With no sessions (activity_scale 0) nobody views: after 7 steps every user's valence
    and arousal, as the model shows them, are x0 + (x - x0) 0.9^7 of the initial ones, and
    the anchors never moved."""
    m = OpinionEcology(seed=3, n_users=300, activity_scale=0.0, steps=10**6)
    s = m.state
    v0, a0 = s.valence.copy(), s.arousal.copy()
    m.run(7)
    keep = 1.0 - float(np.float32(m.rules.emotion.settings.emotion_relax))
    want_v = (s.base_valence + (v0.astype(np.float64) - s.base_valence) * keep**7).astype(
        np.float32
    )
    want_a = (s.base_arousal + (a0.astype(np.float64) - s.base_arousal) * keep**7).astype(
        np.float32
    )
    assert np.abs(s.valence - want_v).max() <= 1e-7
    assert np.abs(s.arousal - want_a).max() <= 1e-7
    st = m.rules.emotion.state
    assert (st.at == 0).all() and st.valence.tobytes() == v0.tobytes()


def test_collect_every_does_not_change_the_emotion():
    """Reading the state every step or every 24 steps leaves the same bits (a read never
    moves an anchor)."""
    runs = []
    for every in (1, 24):
        m = OpinionEcology(seed=8, n_users=400, strategy="interactive", steps=10**6)
        m.collect_every = every
        m.run(30)
        m.settle()
        runs.append((m.state.valence.tobytes(), m.state.arousal.tobytes()))
    assert runs[0] == runs[1]
