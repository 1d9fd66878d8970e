"""Users' FIFO screens and the one writer that delivers items onto them (docs/ODD.md 2.1, 7.3, 7.4).

Each user has two screens of ``size`` slots (Weng et al. 2012): a direct screen for the outlets
it follows and a social screen for everything else (shares, recommendations, trending top-ups,
community items). Every write into a screen goes through :meth:`Screens.deliver_direct` or
:meth:`Screens.push_social`, which also count exposures; :meth:`Screens.mark_seen` is the only
other mutation. The writer keeps per-user counts of unseen slots and their total, so that
attention gathers the screens of only those users who have something to see and ``extinct()``
needs no scan.
"""

from __future__ import annotations

import numpy as np

from model.content import OUTLET, ContentStore


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
        """Write ``items`` (at most ``size``, in order) onto the direct screens of users ``rec``."""
        if len(rec) == 0:
            return
        # flat positions of the (recipient, slot) cells: one gather and two writes, no 2-D fancy
        slot = (self.dir_ptr[rec][:, None] + np.arange(len(items))) % self.size
        flat = (rec[:, None] * self.size + slot).reshape(-1)
        seen = self.dir_seen.reshape(-1)
        fresh = seen[flat].reshape(len(rec), len(items)).sum(axis=1)
        tiled = np.tile(items, len(rec))
        self.dir_item.reshape(-1)[flat] = tiled
        seen[flat] = False
        self.dir_ptr[rec] += len(items)
        self.dir_unseen[rec] += fresh
        self.total_unseen += int(fresh.sum())
        content.count("exposures", tiled)

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
        again; of a batch larger than the screen a user keeps the newest screen-full.
        """
        if len(rec) == 0:
            return
        c = content
        rec = rec.astype(np.int64)
        items = items.astype(np.int64)
        key = rec * (c.n + 1) + items
        order = np.argsort(key, kind="stable")
        key, rec, items, frm = key[order], rec[order], items[order], frm[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        onscreen = (self.soc_item[rec] == items[:, None]).any(axis=1)
        # an outlet's item may also sit on the direct screen, if the user follows the outlet
        outlet = np.flatnonzero(c.source_kind[items] == OUTLET)
        outlet = outlet[follows[rec[outlet], c.source[items[outlet]]]]
        onscreen[outlet] |= (self.dir_item[rec[outlet]] == items[outlet][:, None]).any(axis=1)
        keep = first & ~onscreen
        rec, items, frm = rec[keep], items[keep], frm[keep]
        if len(rec) == 0:
            return
        # rank of each delivery among those to the same user; keep only the newest screen-full
        start = np.ones(len(rec), dtype=bool)
        start[1:] = rec[1:] != rec[:-1]
        grp = np.cumsum(start) - 1
        first_idx = np.flatnonzero(start)
        rank = np.arange(len(rec)) - first_idx[grp]
        n_per = np.diff(np.append(first_idx, len(rec)))
        keep = rank >= n_per[grp] - self.size
        slot = (self.soc_ptr[rec] + rank) % self.size
        r, sl = rec[keep], slot[keep]
        fresh = self.soc_seen[r, sl]
        self.soc_item[r, sl] = items[keep]
        self.soc_from[r, sl] = frm[keep]
        self.soc_chan[r, sl] = chan
        self.soc_seen[r, sl] = False
        self.soc_ptr[rec[start]] += n_per
        # r is sorted (by recipient) and each (r, sl) cell appears once, so the fresh cells per
        # recipient are run lengths: no unbuffered ufunc.at
        rf = r[fresh]
        if len(rf):
            first_f = np.flatnonzero(np.concatenate(([True], rf[1:] != rf[:-1])))
            self.soc_unseen[rf[first_f]] += np.diff(np.append(first_f, len(rf))).astype(np.int32)
        self.total_unseen += len(rf)
        c.count("exposures", items[keep])

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
        self.soc_seen[soc] = True
        self.dir_seen[dir_] = True
        self.soc_unseen[users] -= n_soc.astype(np.int32)
        self.dir_unseen[users] -= n_dir.astype(np.int32)
        self.total_unseen -= len(soc[0]) + len(dir_[0])
