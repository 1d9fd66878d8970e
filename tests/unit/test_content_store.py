"""The content store's columns: views of the first ``n`` rows that alias the stored arrays, kept
as plain attributes (refreshed when items are added, rebuilt after unpickling)."""

from __future__ import annotations

import copy
import pickle

import numpy as np

from model.content import OUTLET, USER, ContentStore, top_engaged


def _store(capacity: int = 16) -> ContentStore:
    c = ContentStore(capacity=capacity)
    c.add(source_kind=np.array([OUTLET, USER, USER]), source=np.array([0, 5, 7]), created=2)
    return c


def test_columns_show_the_items_added_and_write_through() -> None:
    c = _store()
    assert c.n == 3 and len(c.views) == 3
    assert c.source.tolist() == [0, 5, 7] and c.created.tolist() == [2, 2, 2]
    assert c.parent.tolist() == [-1, -1, -1]
    c.views[1] += 4  # a kernel's write lands in the store
    c.count("views", np.array([1, 2, 2]))
    assert c.views.tolist() == [0, 5, 2]


def test_columns_follow_growth() -> None:
    # capacity 16: the 20 items added below double every column
    c = _store()
    c.views[0] = 9
    ids = c.add(source_kind=np.full(17, USER), source=np.arange(17))
    assert ids.tolist() == list(range(3, 20)) and c.n == 20
    assert len(c.source) == 20 and c.source[3:].tolist() == list(range(17))
    assert c.views[0] == 9
    c.views[19] = 3
    assert c.__dict__["_views"][19] == 3  # still a view of the (grown) column


def test_a_copied_store_has_its_own_aliased_columns() -> None:
    c = _store()
    for other in (pickle.loads(pickle.dumps(c)), copy.deepcopy(c)):
        assert other.source.tolist() == [0, 5, 7] and other.n == 3
        other.views[2] += 1
        other.count("likes", np.array([0]))
        assert other.views.tolist() == [0, 0, 1] and other.likes.tolist() == [1, 0, 0]
        assert np.shares_memory(other.views, other.__dict__["_views"])
        other.add(source_kind=np.array([USER]), source=np.array([1]))
        assert other.source.tolist() == [0, 5, 7, 1]
    assert c.views.tolist() == [0, 0, 0] and c.n == 3


def _top_by_argsort(created, likes, comments, forwards, since, top):
    """The array code top_engaged replaced: a stable argsort of minus the engagement."""
    start = int(np.searchsorted(created, since, side="left"))
    if start >= len(created):
        return []
    eng = likes[start:] + comments[start:] + forwards[start:]
    if eng.max(initial=0) == 0:
        return []
    best = np.argsort(-eng, kind="stable")[:top]
    return (best[eng[best] > 0] + start).tolist()


def test_top_engaged_by_hand() -> None:
    created = np.array([0, 1, 1, 2, 3, 3], dtype=np.int32)
    likes = np.array([9, 1, 0, 2, 0, 1])
    comments = np.array([0, 1, 0, 0, 0, 0])
    forwards = np.array([0, 0, 0, 0, 0, 1])
    # from step 1: items 1..5 with engagement 2, 0, 2, 0, 2: ties in item order, no zeros
    assert top_engaged(created, likes, comments, forwards, 1, 10).tolist() == [1, 3, 5]
    assert top_engaged(created, likes, comments, forwards, 1, 2).tolist() == [1, 3]
    assert top_engaged(created, likes, comments, forwards, 0, 2).tolist() == [0, 1]
    assert top_engaged(created, likes, comments, forwards, 4, 5).tolist() == []
    assert top_engaged(created, likes, comments, forwards, 0, 0).tolist() == []


def test_top_engaged_equals_the_stable_argsort() -> None:
    rng = np.random.default_rng(2)
    for _ in range(300):
        n = int(rng.integers(0, 80))
        created = np.sort(rng.integers(0, 30, n)).astype(np.int32)
        cols = [rng.integers(0, k, n).astype(np.int64) for k in (3, 2, 2)]
        since, top = int(rng.integers(-2, 32)), int(rng.integers(0, 12))
        got = top_engaged(created, *cols, since, top).tolist()
        assert got == _top_by_argsort(created, *cols, since, top)
