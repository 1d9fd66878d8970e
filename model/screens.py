"""Users' FIFO screens and the one writer that delivers items onto them (docs/ODD.md 2.1, 7.3, 7.4).

Each user has two screens of ``size`` slots (Weng et al. 2012): a direct screen for the outlets
it follows and a social screen for everything else (shares, recommendations, trending top-ups,
community items). Every write into a screen goes through :meth:`Screens.deliver_direct`,
:meth:`Screens.deliver_outlets` or :meth:`Screens.push_social`, which also count exposures;
:meth:`Screens.mark_seen` is the only other mutation. The writer keeps per-user counts of unseen
slots and their total, so that attention gathers the screens of only those users who have
something to see and ``extinct()`` needs no scan.

The writes are compiled kernels (:mod:`model.jit`): a delivery touches a few slots of a few
rows, so numpy's per-call overhead, not the work, was their cost. They only move integers, so
they give exactly the state the former array code gave. The file runs past 400 lines because
each kernel stays next to the one method of :class:`Screens` that calls it.
"""

from __future__ import annotations

import numpy as np

from model.content import OUTLET, ContentStore
from model.jit import njit


@njit
def _slot(p, size):
    """p mod size for 0 <= p < 2^50, without an integer division (tens of cycles each, the
    kernels' main cost): the quotient from a float reciprocal is off by at most one."""
    q = np.int64(p * (1.0 / size))
    r = p - q * size
    if r < 0:
        r += size
    elif r >= size:
        r -= size
    return r


@njit
def _check_ids(rec, n_users, items, n_items):
    """Unchecked indices would write outside the arrays: fail as numpy's indexing did."""
    for i in range(rec.shape[0]):
        if rec[i] < 0 or rec[i] >= n_users:
            raise IndexError("screens: a recipient is not a user id")
    for i in range(items.shape[0]):
        if items[i] < 0 or items[i] >= n_items:
            raise IndexError("screens: an item is not in the content store")


@njit
def _write_direct(item, seen, ptr, unseen, exposures, rec, items):
    """``items`` onto the direct screens of the distinct users ``rec``; returns the fresh slots."""
    _check_ids(rec, item.shape[0], items, exposures.shape[0])
    size = item.shape[1]
    m = items.shape[0]
    total = 0
    for i in range(rec.shape[0]):
        u = rec[i]
        p = ptr[u]
        sl = _slot(p, size)
        fresh = 0
        for j in range(m):
            if seen[u, sl]:
                fresh += 1
            item[u, sl] = items[j]
            seen[u, sl] = False
            exposures[items[j]] += 1
            sl += 1
            if sl == size:
                sl = 0
        ptr[u] = p + m
        unseen[u] += fresh
        total += fresh
    return total


@njit
def _write_outlets(item, seen, ptr, unseen, exposures, follows, items, source_kind, source):
    """Each outlet's ``items`` (in order; at most a screen-full, the newest) onto the direct
    screens of its followers, outlet by outlet in increasing id; returns the fresh slots."""
    _check_ids(items[:0], 0, items, source.shape[0])
    size = item.shape[1]
    n_out = follows.shape[1]
    # per outlet, its items in order, the newest screen-full of them
    count = np.zeros(n_out, dtype=np.int64)
    for j in range(items.shape[0]):
        if source_kind[items[j]] != OUTLET or source[items[j]] >= n_out:
            raise ValueError("deliver_outlets: every item must be an outlet's item")
        count[source[items[j]]] += 1
    first = np.zeros(n_out + 1, dtype=np.int64)
    for k in range(n_out):
        first[k + 1] = first[k] + min(count[k], size)
    pick = np.empty(first[n_out], dtype=np.int64)
    taken = np.zeros(n_out, dtype=np.int64)
    for j in range(items.shape[0]):
        k = source[items[j]]
        skip = count[k] - min(count[k], size)
        if taken[k] >= skip:
            pick[first[k] + taken[k] - skip] = items[j]
        taken[k] += 1
    total = 0
    for k in range(n_out):
        a, b = first[k], first[k + 1]
        if a == b:
            continue
        for u in range(follows.shape[0]):
            if not follows[u, k]:
                continue
            sl = _slot(ptr[u], size)
            fresh = 0
            for j in range(a, b):
                if seen[u, sl]:
                    fresh += 1
                item[u, sl] = pick[j]
                seen[u, sl] = False
                sl += 1
                if sl == size:
                    sl = 0
            ptr[u] += b - a
            unseen[u] += fresh
            total += fresh
        # every follower got each of these once
        n_fol = 0
        for u in range(follows.shape[0]):
            if follows[u, k]:
                n_fol += 1
        for j in range(a, b):
            exposures[pick[j]] += n_fol
    return total


@njit
def _social_order(rec, items, n_users):
    """The deliveries' positions in order of (recipient, item), equal pairs in given order (the
    order a stable sort of the key recipient x (n + 1) + item gives): a counting sort on the
    recipient (linear), then items within each recipient."""
    m = rec.shape[0]
    start = np.zeros(n_users + 1, dtype=np.int64)
    for i in range(m):
        start[rec[i] + 1] += 1
    for u in range(n_users):
        start[u + 1] += start[u]
    pos = start[:-1].copy()
    order = np.empty(m, dtype=np.int64)
    for i in range(m):
        order[pos[rec[i]]] = i
        pos[rec[i]] += 1
    for u in range(n_users):
        a, b = start[u], start[u + 1]
        if b - a <= 32:
            # insertion sort on the item, stable (strict comparison)
            for q in range(a + 1, b):
                o = order[q]
                r = q - 1
                while r >= a and items[order[r]] > items[o]:
                    order[r + 1] = order[r]
                    r -= 1
                order[r + 1] = o
        else:
            grp = order[a:b].copy()
            sub = np.argsort(items[grp], kind="mergesort")
            for q in range(b - a):
                order[a + q] = grp[sub[q]]
    return order


@njit
def _write_social(
    soc_item,
    soc_from,
    soc_chan,
    soc_seen,
    soc_ptr,
    soc_unseen,
    dir_item,
    exposures,
    follows,
    source_kind,
    source,
    n_items,
    rec,
    items,
    frm,
    chan,
):
    """Deliveries (rec, item, from) onto social screens; returns the fresh slots.

    In order of (recipient, item), the first of each pair only; an item already on either of
    the recipient's screens is dropped; of what is left, a recipient keeps its newest
    screen-full, written at the next slots of its ring."""
    _check_ids(rec, soc_item.shape[0], items, source.shape[0])
    size = soc_item.shape[1]
    m = rec.shape[0]
    key = rec * (n_items + 1) + items
    # a stable order: of equal (recipient, item) pairs the first given is the one delivered
    if m * 8 < soc_item.shape[0]:
        # few deliveries against the population: a stable sort of the keys costs less than
        # the counting sort, a pass over every user
        order = np.argsort(key, kind="mergesort")
    else:
        order = _social_order(rec, items, soc_item.shape[0])
    kept = np.empty(m, dtype=np.int64)
    total = 0
    a = 0
    while a < m:
        u = rec[order[a]]
        b = a
        while b < m and rec[order[b]] == u:
            b += 1
        # the group a..b of recipient u: drop repeats and items already on a screen (the
        # screens as they were before this batch: u's row changes only below)
        n = 0
        for q in range(a, b):
            o = order[q]
            if q > a and key[o] == key[order[q - 1]]:
                continue
            it = items[o]
            on = False
            for sl in range(size):
                if soc_item[u, sl] == it:
                    on = True
                    break
            if not on and source_kind[it] == OUTLET and follows[u, source[it]]:
                for sl in range(size):
                    if dir_item[u, sl] == it:
                        on = True
                        break
            if not on:
                kept[n] = o
                n += 1
        p = soc_ptr[u]
        first = max(0, n - size)
        sl = _slot(p + first, size)
        fresh = 0
        for r in range(first, n):
            o = kept[r]
            if soc_seen[u, sl]:
                fresh += 1
            soc_item[u, sl] = items[o]
            soc_from[u, sl] = frm[o]
            soc_chan[u, sl] = chan
            soc_seen[u, sl] = False
            exposures[items[o]] += 1
            sl += 1
            if sl == size:
                sl = 0
        soc_ptr[u] = p + n
        soc_unseen[u] += fresh
        total += fresh
        a = b
    return total


@njit
def _mark_seen(soc_seen, dir_seen, soc_unseen, dir_unseen, users, n_soc, n_dir, su, ss, du, ds):
    """Mark the cells (su, ss) of the social screens and (du, ds) of the direct ones seen and
    take ``n_soc``/``n_dir`` off the distinct ``users``' unseen counts; returns the cells
    marked. One call in place of four indexed numpy writes (a few microseconds each)."""
    n, size = soc_seen.shape
    for i in range(users.shape[0]):
        if users[i] < 0 or users[i] >= n:
            raise IndexError("mark_seen: a user id out of range")
    for k in range(su.shape[0]):
        if su[k] < 0 or su[k] >= n or ss[k] < 0 or ss[k] >= size:
            raise IndexError("mark_seen: a social cell out of range")
    for k in range(du.shape[0]):
        if du[k] < 0 or du[k] >= n or ds[k] < 0 or ds[k] >= size:
            raise IndexError("mark_seen: a direct cell out of range")
    # checked first, written after: a bad cell leaves the screens as they were
    for k in range(su.shape[0]):
        soc_seen[su[k], ss[k]] = True
    for k in range(du.shape[0]):
        dir_seen[du[k], ds[k]] = True
    for i in range(users.shape[0]):
        u = users[i]
        soc_unseen[u] -= n_soc[i]
        dir_unseen[u] -= n_dir[i]
    return su.shape[0] + du.shape[0]


class Screens:
    """Each user's two FIFO screens: direct (outlets followed) and social (everything else).

    Attributes:
        size: Slots per screen.
        soc_item, soc_from, soc_chan, soc_seen: The social screen: item, the user whose share
            delivered it (-1 for none), channel, and whether it was seen (n x size).
        dir_item, dir_seen: The direct screen (n x size).
        soc_ptr, dir_ptr: Items ever written per user; the next slot is ``ptr % size``.
        soc_unseen, dir_unseen: Unseen slots per user.
        total_unseen: Unseen slots over all users and both screens.
    """

    def __init__(self, n: int, size: int) -> None:
        self.size = size
        self.soc_item = np.full((n, size), -1, dtype=np.int32)
        self.soc_from = np.full((n, size), -1, dtype=np.int32)
        self.soc_chan = np.zeros((n, size), dtype=np.int8)
        self.soc_seen = np.ones((n, size), dtype=bool)
        self.soc_ptr = np.zeros(n, dtype=np.int64)
        self.dir_item = np.full((n, size), -1, dtype=np.int32)
        self.dir_seen = np.ones((n, size), dtype=bool)
        self.dir_ptr = np.zeros(n, dtype=np.int64)
        self.soc_unseen = np.zeros(n, dtype=np.int32)
        self.dir_unseen = np.zeros(n, dtype=np.int32)
        self.total_unseen = 0

    def nbytes(self) -> int:
        """Bytes held by the screens' arrays."""
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))

    def unseen(self) -> int:
        """Unseen slots on all screens (kept by the writer; O(1))."""
        return self.total_unseen

    def deliver_direct(self, content: ContentStore, rec: np.ndarray, items: np.ndarray) -> None:
        """Write ``items`` (at most ``size``, in order) onto the direct screens of the distinct
        users ``rec``."""
        if len(rec) == 0:
            return
        self.total_unseen += _write_direct(
            self.dir_item,
            self.dir_seen,
            self.dir_ptr,
            self.dir_unseen,
            content.exposures,
            np.asarray(rec, dtype=np.int64),
            np.asarray(items, dtype=np.int64),
        )

    def deliver_outlets(
        self, content: ContentStore, follows: np.ndarray, items: np.ndarray
    ) -> None:
        """Direct delivery of outlets' new ``items``: every follower of an outlet gets its items
        in order, at most the newest screen-full, outlet by outlet (one pass over the users)."""
        if len(items) == 0:
            return
        self.total_unseen += _write_outlets(
            self.dir_item,
            self.dir_seen,
            self.dir_ptr,
            self.dir_unseen,
            content.exposures,
            follows,
            np.asarray(items, dtype=np.int64),
            content.source_kind,
            content.source,
        )

    def push_social(
        self,
        content: ContentStore,
        follows: np.ndarray,
        rec: np.ndarray,
        items: np.ndarray,
        frm: np.ndarray,
        chan: int,
    ) -> None:
        """Write deliveries (recipient, item, from) into social screens, FIFO, on channel ``chan``.

        An item already on either of the recipient's screens (seen or not) is not delivered
        again, nor is a repeat of a (recipient, item) pair; a recipient's deliveries go in
        order of item id; of a batch larger than the screen a user keeps the newest screen-full.
        """
        if len(rec) == 0:
            return
        c = content
        self.total_unseen += _write_social(
            self.soc_item,
            self.soc_from,
            self.soc_chan,
            self.soc_seen,
            self.soc_ptr,
            self.soc_unseen,
            self.dir_item,
            c.exposures,
            follows,
            c.source_kind,
            c.source,
            c.n,
            np.asarray(rec, dtype=np.int64),
            np.asarray(items, dtype=np.int64),
            np.asarray(frm, dtype=np.int64),
            np.int64(chan),
        )

    def mark_seen(
        self,
        users: np.ndarray,
        n_soc: np.ndarray,
        n_dir: np.ndarray,
        soc: tuple[np.ndarray, np.ndarray],
        dir_: tuple[np.ndarray, np.ndarray],
    ) -> None:
        """Mark attended slots seen.

        Args:
            users: Distinct users who attended.
            n_soc, n_dir: How many social and direct slots each of them took.
            soc, dir_: The (user, slot) cells taken on each screen: every cell unseen before and
                given once, ``n_soc[i]`` (``n_dir[i]``) of them for ``users[i]``.
        """
        i64 = np.int64
        self.total_unseen -= _mark_seen(
            self.soc_seen,
            self.dir_seen,
            self.soc_unseen,
            self.dir_unseen,
            np.asarray(users, dtype=i64),
            np.asarray(n_soc, dtype=i64),
            np.asarray(n_dir, dtype=i64),
            np.asarray(soc[0], dtype=i64),
            np.asarray(soc[1], dtype=i64),
            np.asarray(dir_[0], dtype=i64),
            np.asarray(dir_[1], dtype=i64),
        )
