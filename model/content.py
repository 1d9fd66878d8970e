"""Content items as rows in growable arrays, and the logs from which cascades are rebuilt.

Items are not agents: an item is a row with its source, format, stance, valence, intensity,
outrage, quality, creation step, parent (for follow-ups and comments) and counters (exposures,
views, likes, comments, forwards; the comments' stance and tone: supportive, critical, uncivil;
moderation: removed, removed_uncivil, removed_critical; the outlet's public replies), its topic,
the item a derivative post derives from (``derived``, -1 for none; docs/ODD.md 7.18: not the
``parent``, which marks follow-ups and community comments) and its creator's appeal (the log of
the odds multiplier on likes and forwards, 0 = neutral). Exposures count deliveries to a screen;
views count items a user attended, so forwards <= views <= exposures.

Every view of a recorded item (``Params.record_cascades``) is logged as (item, parent, user,
step), where the parent is the user whose forward or post delivered it (-1 for the source
itself); every forward of any item is logged as (item, user, parent, step): ``user`` forwarded
the item that ``parent`` had delivered to it. The view log's first view per (item, user) is the
cascade tree: the users the item reached, each under the user it reached them through (Goel et
al. 2016); the forward log alone is the tree of forwarders.
"""

from __future__ import annotations

import numpy as np

from model.jit import njit

#: Source kinds.
OUTLET, USER = 0, 1
#: Delivery channels (index into per-cohort exposure tables).
CHANNELS = ("direct", "social", "recommended", "trending")
DIRECT, SOCIAL, RECOMMENDED, TRENDING = range(4)

_ITEM_FIELDS: dict[str, type] = {
    "source_kind": np.int8,
    "source": np.int32,
    "format": np.int8,
    "stance": np.float32,
    "valence": np.float32,
    "intensity": np.float32,
    "quality": np.float32,
    "created": np.int32,
    "parent": np.int32,
    "exposures": np.int64,
    "views": np.int64,
    "likes": np.int64,
    "comments": np.int64,
    "forwards": np.int64,
    "followed_up": np.bool_,
    "outrage": np.float32,
    "supportive": np.int32,
    "critical": np.int32,
    "uncivil": np.int32,
    "removed": np.int32,
    "removed_uncivil": np.int32,
    "removed_critical": np.int32,
    "replies": np.int32,
    "topic": np.int32,
    "derived": np.int32,
    "appeal": np.float32,
}

#: Visible comments are never counted as full-strength proof below this many views, so that one
#: comment under one view does not read as a crowd.
PROOF_MIN_VIEWS = 10.0


def social_proof(
    supportive: np.ndarray,
    critical: np.ndarray,
    uncivil: np.ndarray,
    replies: np.ndarray,
    views: np.ndarray,
    negativity: float,
    proof_share: float,
) -> np.ndarray:
    """Signed social proof in [-1, 1] of the visible thread (docs/ODD.md 7.9).

    P = (S + R - nu (C + U)) / (S + R + nu (C + U)) x min(1, n / (proof_share max(views, 10)))
    with S, C, U the visible supportive, critical and uncivil user comments (an uncivil comment
    is also supportive or critical, so it counts against twice), R the outlet's public replies,
    nu >= 1 the negativity weight and n = S + C + R the visible comments: the climate's sign
    times its strength relative to the item's audience (scale-free; 0 for an empty thread).
    """
    s = supportive.astype(np.float64) + replies
    neg = negativity * (critical.astype(np.float64) + uncivil)
    n = supportive.astype(np.float64) + critical + replies
    tot = s + neg
    sign = np.divide(s - neg, tot, out=np.zeros(len(tot)), where=tot > 0)
    size = np.minimum(1.0, n / (proof_share * np.maximum(views, PROOF_MIN_VIEWS)))
    return sign * size


def visible_thread(c: ContentStore, items: np.ndarray) -> tuple[np.ndarray, ...]:
    """The visible (not removed) supportive, critical and uncivil comments and replies of ``items``."""
    return _visible(*_thread_columns(c), np.asarray(items, dtype=np.int64))


def item_proof(c: ContentStore, items: np.ndarray, params) -> np.ndarray:
    """Signed social proof of ``items`` under ``params`` (negativity weight, proof share):
    :func:`social_proof` of their :func:`visible_thread`, in one pass."""
    return _item_proof(
        *_thread_columns(c),
        c.__dict__["_views"],
        np.asarray(items, dtype=np.int64),
        float(params.negativity_weight),
        float(params.proof_share),
    )


def thread_shares(c: ContentStore, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shares of the visible thread of ``items`` that are uncivil and critical, from one read of
    the thread (0 for an empty thread)."""
    return _thread_shares(*_thread_columns(c), np.asarray(items, dtype=np.int64))


def _thread_columns(c: ContentStore) -> tuple[np.ndarray, ...]:
    """The counters a thread is read from (the store's whole columns: items index them)."""
    d = c.__dict__
    return tuple(d["_" + f] for f in _THREAD)


_THREAD = (
    "supportive",
    "critical",
    "uncivil",
    "removed",
    "removed_uncivil",
    "removed_critical",
    "replies",
)

# The thread kernels: compiled, because a step reads threads of a few hundred items and the
# dozen array calls of the former code, not the arithmetic, were the cost. Integer counts are
# exact in any width; the float arithmetic follows social_proof operation by operation.


@njit
def _check(items, n):
    for i in range(items.shape[0]):
        if items[i] < 0 or items[i] >= n:
            raise IndexError("item id out of range")


@njit
def _visible(sup_all, crit_all, unc_all, rem, rem_unc, rem_crit, rep_all, items):
    _check(items, sup_all.shape[0])
    k = items.shape[0]
    sup = np.empty(k, dtype=np.int32)
    crit = np.empty(k, dtype=np.int32)
    unc = np.empty(k, dtype=np.int32)
    rep = np.empty(k, dtype=np.int32)
    for i in range(k):
        it = items[i]
        crit[i] = crit_all[it] - rem_crit[it]
        sup[i] = sup_all[it] - (rem[it] - rem_crit[it])
        unc[i] = unc_all[it] - rem_unc[it]
        rep[i] = rep_all[it]
    return sup, crit, unc, rep


@njit
def _item_proof(
    sup_all, crit_all, unc_all, rem, rem_unc, rem_crit, rep_all, views, items, nu, share
):
    _check(items, sup_all.shape[0])
    out = np.empty(items.shape[0])
    for i in range(items.shape[0]):
        it = items[i]
        sup = float(sup_all[it] - (rem[it] - rem_crit[it]))
        crit = float(crit_all[it] - rem_crit[it])
        unc = float(unc_all[it] - rem_unc[it])
        rep = float(rep_all[it])
        s = sup + rep
        neg = nu * (crit + unc)
        n = sup + crit + rep
        tot = s + neg
        sign = (s - neg) / tot if tot > 0 else 0.0
        x = n / (share * max(float(views[it]), PROOF_MIN_VIEWS))
        # np.minimum(1, x): nan stays nan
        size = x if (x < 1.0 or x != x) else 1.0
        out[i] = sign * size
    return out


@njit
def _thread_shares(sup_all, crit_all, unc_all, rem, rem_unc, rem_crit, rep_all, items):
    _check(items, sup_all.shape[0])
    k = items.shape[0]
    uncivil = np.zeros(k)
    critical = np.zeros(k)
    for i in range(k):
        it = items[i]
        crit = crit_all[it] - rem_crit[it]
        sup = sup_all[it] - (rem[it] - rem_crit[it])
        unc = unc_all[it] - rem_unc[it]
        n = float(sup + crit + rep_all[it])
        if n > 0:
            uncivil[i] = unc / n
            critical[i] = crit / n
    return uncivil, critical


@njit
def _count(arr, items, n):
    for i in range(items.shape[0]):
        it = items[i]
        if it < 0 or it >= n:
            raise IndexError("item id out of range")
        arr[it] += 1


@njit
def first_since(created: np.ndarray, since: int) -> int:
    """The first item created at or after ``since`` (``created`` is sorted): searchsorted, left."""
    lo, hi = 0, created.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        if created[mid] < since:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit
def _keep_top(best: np.ndarray, score: np.ndarray, k: int, top: int, it: int, e: int) -> int:
    """Insert item ``it`` of engagement ``e`` into the ``k`` kept so far (most first), after
    every kept item of at least this engagement (earlier items win ties); a full list drops its
    last. Returns the new count. The caller skips ``e`` that cannot enter a full list."""
    j = k if k < top else top - 1
    while j > 0 and score[j - 1] < e:
        if j < top:
            best[j] = best[j - 1]
            score[j] = score[j - 1]
        j -= 1
    best[j] = it
    score[j] = e
    return k + 1 if k < top else k


@njit
def top_engaged(
    created: np.ndarray,
    likes: np.ndarray,
    comments: np.ndarray,
    forwards: np.ndarray,
    since: int,
    top: int,
) -> np.ndarray:
    """The ``top`` items created at or after ``since`` with most likes + comments + forwards
    (at least one), most first, ties in item order: what a stable argsort of minus the
    engagement gave, in one pass that keeps the best ``top`` so far (``created`` is sorted).
    """
    top = max(top, 0)
    best = np.empty(top, dtype=np.int64)
    score = np.empty(top, dtype=np.int64)
    k = 0
    for it in range(first_since(created, since), created.shape[0]):
        e = likes[it] + comments[it] + forwards[it]
        if e <= 0 or (k == top and (top == 0 or e <= score[k - 1])):
            continue
        k = _keep_top(best, score, k, top, it, e)
    return best[:k]


@njit
def top_engaged_on(
    created: np.ndarray,
    likes: np.ndarray,
    comments: np.ndarray,
    forwards: np.ndarray,
    since: int,
    top: int,
    topic: np.ndarray,
    on: np.ndarray,
) -> np.ndarray:
    """:func:`top_engaged` among the items whose topic is ``on`` (a flag per topic): the
    trending channel's pool when it shows the trending list's topics (docs/ODD.md 7.18)."""
    top = max(top, 0)
    best = np.empty(top, dtype=np.int64)
    score = np.empty(top, dtype=np.int64)
    k = 0
    for it in range(first_since(created, since), created.shape[0]):
        if not on[topic[it]]:
            continue
        e = likes[it] + comments[it] + forwards[it]
        if e <= 0 or (k == top and (top == 0 or e <= score[k - 1])):
            continue
        k = _keep_top(best, score, k, top, it, e)
    return best[:k]


class ContentStore:
    """All items ever published, one row each; arrays grow by doubling."""

    def __init__(self, capacity: int = 1024) -> None:
        self.n = 0
        self._cap = max(16, capacity)
        for name, dtype in _ITEM_FIELDS.items():
            setattr(self, "_" + name, np.zeros(self._cap, dtype=dtype))
        self._refresh()

    def _refresh(self) -> None:
        """Keep each column's view of its first ``n`` rows as a plain attribute: the kernels
        read the columns about 80 times a step, and a ``__getattr__`` call and a fresh slice
        each time cost more than the views' refresh when items are added (a few times a step)."""
        d, n = self.__dict__, self.n
        for name in _ITEM_FIELDS:
            d[name] = d["_" + name][:n]

    def __getstate__(self) -> dict:
        # the views are not stored: pickle would copy each one apart from its column
        return {k: v for k, v in self.__dict__.items() if k not in _ITEM_FIELDS}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._refresh()

    def __len__(self) -> int:
        return self.n

    def __getattr__(self, name: str) -> np.ndarray:
        # only reached for a name that is not an attribute (the views are set by _refresh)
        if name in _ITEM_FIELDS:
            return self.__dict__["_" + name][: self.n]
        raise AttributeError(name)

    def add(self, **cols: np.ndarray | float) -> np.ndarray:
        """Append items; returns their ids. Counters start at 0; missing parents and
        derivations are -1; an item given a parent and no topic takes its parent's topic.

        The first column given is an array (its length is the number of items); a later one
        may be a scalar, the same for every new item.
        """
        k = len(next(iter(cols.values())))  # type: ignore[arg-type]  # the first is an array
        if self.n + k > self._cap:
            new = max(self._cap * 2, self.n + k)
            for name in _ITEM_FIELDS:
                old = self.__dict__["_" + name]
                grown = np.zeros(new, dtype=old.dtype)
                grown[: self.n] = old[: self.n]
                self.__dict__["_" + name] = grown
            self._cap = new
        ids = np.arange(self.n, self.n + k, dtype=np.int64)
        if "topic" not in cols and "parent" in cols:
            # a follow-up or a community comment keeps its parent's topic (docs/ODD.md 7.18)
            par = np.asarray(cols["parent"], dtype=np.int64)
            cols["topic"] = np.where(par >= 0, self.__dict__["_topic"][np.maximum(par, 0)], 0)
        cols.setdefault("parent", -1)
        cols.setdefault("derived", -1)
        for name, values in cols.items():
            self.__dict__["_" + name][self.n : self.n + k] = values
        self.n += k
        self._refresh()
        return ids

    def count(self, counter: str, items: np.ndarray) -> None:
        """Add one to ``counter`` for each occurrence of each item id."""
        if len(items):
            _count(self.__dict__["_" + counter], np.asarray(items, dtype=np.int64), self.n)

    def nbytes(self) -> int:
        return sum(self.__dict__["_" + f].nbytes for f in _ITEM_FIELDS)


class EventLog:
    """Append-only int32 columns (item, a, b, step) that grow by doubling."""

    def __init__(self, columns: tuple[str, ...], capacity: int = 4096) -> None:
        self.columns = columns
        self.n = 0
        self._data = np.zeros((len(columns), max(16, capacity)), dtype=np.int32)

    def append(self, *cols: np.ndarray) -> None:
        k = len(cols[0])
        if k == 0:
            return
        if self.n + k > self._data.shape[1]:
            grown = np.zeros(
                (len(self.columns), max(2 * self._data.shape[1], self.n + k)), np.int32
            )
            grown[:, : self.n] = self._data[:, : self.n]
            self._data = grown
        for j, c in enumerate(cols):
            self._data[j, self.n : self.n + k] = c
        self.n += k

    def __getitem__(self, name: str) -> np.ndarray:
        return self._data[self.columns.index(name), : self.n]

    def __len__(self) -> int:
        return self.n

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame({c: self[c] for c in self.columns})

    def nbytes(self) -> int:
        return self._data.nbytes
