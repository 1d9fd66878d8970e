"""Cascades: the tree of each recorded item, its size, depth and structural virality.

A cascade tree is built from the first view of each user of a recorded item (docs/ODD.md
section 7.13): each viewer hangs under the user who delivered it, if that user is in the tree,
else under the root (the source). Structural virality is the mean pairwise distance in the tree,
root included (Goel et al. 2016), computed exactly in O(n) per tree from the Wiener index:
W = sum over edges of s (n - s), with s the subtree size below the edge, and virality
2W / (n (n - 1)). A star of n nodes gives 2(n-1)/n, a chain (n+1)/3.

The final-measure summaries (``mean_cascade_size`` ...) average over the recorded items with at
least one view.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

from model.content import EventLog
from model.measures._world import World


def cascade_trees(model: World) -> pd.DataFrame:
    """One row per (item, user) first view of a recorded item: parent user (-1 = root) and step."""
    log = model.view_log.to_frame()
    if log.empty:
        return log
    return log.drop_duplicates(["item", "user"], keep="first").reset_index(drop=True)


def _tree_stats(model: World) -> pd.DataFrame:
    """Size, depth and structural virality of every recorded cascade tree (cached per log length)."""
    cache = model.caches.tree
    if cache is not None and cache[0] == len(model.view_log):
        return cache[1]
    stats = _compute_tree_stats(model)
    model.caches.tree = (len(model.view_log), stats)
    return stats


def _compute_tree_stats(model: World) -> pd.DataFrame:
    log = model.view_log
    if len(log) == 0:
        return pd.DataFrame(columns=["size", "depth", "virality"], dtype=float)
    n = model.n_users
    items, inv = np.unique(log["item"], return_inverse=True)
    n_items = len(items)
    # first view of each (item, user): a stable sort keeps the log's (time) order within a key
    key = inv.astype(np.int64) * (n + 1) + (log["user"].astype(np.int64) + 1)
    order = np.argsort(key, kind="stable")
    ks = key[order]
    first = np.ones(len(ks), dtype=bool)
    first[1:] = ks[1:] != ks[:-1]
    node_keys = ks[first]  # sorted: node i (after the roots) is the i-th unique key
    rec = order[first]  # its first record in the log
    # process nodes in log (time) order: a parent always viewed in an earlier step than its
    # children, so sizes flow upward from the latest step and depths downward from the earliest
    by_time = np.argsort(rec, kind="stable")
    node = by_time  # node indices in time order
    r = rec[by_time]
    step = log["step"][r].astype(np.int64)
    par = log["parent"][r].astype(np.int64)
    tree = inv[r].astype(np.int64)
    parent_key = tree * (n + 1) + (par + 1)
    pos = np.minimum(np.searchsorted(node_keys, parent_key), len(node_keys) - 1)
    found = (par >= 0) & (node_keys[pos] == parent_key)
    parent_node = np.where(found, n_items + pos, tree)  # else attach to the item's root
    m = len(node_keys)
    size = np.ones(n_items + m, dtype=np.int64)
    depth = np.zeros(n_items + m, dtype=np.int64)
    me = n_items + node
    bounds = np.flatnonzero(np.diff(step)) + 1
    starts, ends = np.concatenate([[0], bounds]), np.concatenate([bounds, [m]])
    for a, b in zip(starts, ends, strict=True):
        depth[me[a:b]] = depth[parent_node[a:b]] + 1
    for a, b in zip(starts[::-1], ends[::-1], strict=True):
        np.add.at(size, parent_node[a:b], size[me[a:b]])
    tree_n = size[:n_items]
    s_child = size[me]
    wiener = np.bincount(tree, weights=s_child * (tree_n[tree] - s_child), minlength=n_items)
    with np.errstate(invalid="ignore", divide="ignore"):
        virality = np.where(tree_n > 1, 2.0 * wiener / (tree_n * (tree_n - 1.0)), np.nan)
    max_depth = np.zeros(n_items, dtype=np.int64)
    np.maximum.at(max_depth, tree, depth[me])
    return pd.DataFrame(
        {"size": tree_n - 1, "depth": max_depth, "virality": virality},
        index=pd.Index(items, name="item"),
    )


class _ReachIndex:
    """The distinct (item, user) pairs of a view log, as sorted keys, updated incrementally.

    A cascade's size (users reached) is the number of distinct users who viewed its item. The
    log only grows, so each update reads only the rows appended since the last one; merging
    them into the sorted keys copies them once (8 bytes per distinct pair), so an update costs
    the new rows plus one pass over the keys, not a rebuild of every tree.
    """

    def __init__(self, n_users: int) -> None:
        self.stride = np.int64(n_users + 1)
        self.lock = threading.Lock()
        self.seen = 0  # log rows read so far
        self.keys = np.zeros(0, dtype=np.int64)  # sorted item * stride + user

    def __getstate__(self) -> dict[str, object]:
        # a lock does not pickle (model.save): the saved index carries its keys, and the
        # loaded one gets a fresh lock
        state = dict(self.__dict__)
        del state["lock"]
        return state

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.lock = threading.Lock()

    def update(self, log: EventLog) -> None:
        with self.lock:
            end = len(log)
            if end < self.seen:
                raise RuntimeError(
                    f"the view log shrank from {self.seen} to {end} rows; it is append-only"
                )
            if end == self.seen:
                return
            key = np.unique(
                log["item"][self.seen : end].astype(np.int64) * self.stride
                + log["user"][self.seen : end].astype(np.int64)
            )
            at = np.searchsorted(self.keys, key)
            known = np.zeros(len(key), dtype=bool)
            inside = at < len(self.keys)
            known[inside] = self.keys[at[inside]] == key[inside]
            self.keys = np.insert(self.keys, at[~known], key[~known])
            self.seen = end

    def sizes(self) -> tuple[np.ndarray, np.ndarray]:
        """The items (sorted) and their distinct users."""
        with self.lock:
            item = self.keys // self.stride
        starts = np.flatnonzero(np.r_[True, item[1:] != item[:-1]]) if len(item) else item
        return item[starts], np.diff(np.r_[starts, len(item)]).astype(np.int64)


def cascade_sizes(model: World) -> pd.Series:
    """Users reached by each recorded item (its cascade tree without the root).

    Equal to the size of :func:`cascade_trees`'s trees (tested); counted incrementally from
    the rows the view log gained since the last call (:class:`_ReachIndex`).
    """
    index = model.caches.reach
    if index is None:
        index = model.caches.reach = _ReachIndex(model.n_users)
    log = model.view_log
    index.update(log)
    items, counts = index.sizes()
    return pd.Series(
        counts, index=pd.Index(items.astype(log["item"].dtype), name="item"), name="size"
    )


def cascade_depths(model: World) -> pd.Series:
    """Depth of each recorded item's cascade tree (1 = reached only directly)."""
    return _tree_stats(model)["depth"].astype(np.int64)


def structural_virality(model: World) -> pd.Series:
    """Mean pairwise distance in each recorded item's cascade tree, root included (Goel et al. 2016).

    A pure broadcast (a star of n nodes) gives 2(n-1)/n; a chain of n nodes gives (n+1)/3.
    Computed exactly via the Wiener index, O(n) per tree, so no sampling is needed.
    """
    return _tree_stats(model)["virality"]


def tree_virality(parent: np.ndarray) -> float:
    """Structural virality of one tree given as a parent array (parent[root] = -1).

    Nodes must be numbered so that every parent comes before its children.
    """
    parent = np.asarray(parent, dtype=np.int64)
    n = len(parent)
    if n < 2:
        return float("nan")
    if parent[0] != -1 or (parent[1:] < 0).any() or (parent[1:] >= np.arange(1, n)).any():
        raise ValueError("parent must have parent[0] == -1 and parent[i] < i for every other node")
    size = np.ones(n, dtype=np.int64)
    for i in range(n - 1, 0, -1):
        size[parent[i]] += size[i]
    return float(2.0 * (size[1:] * (n - size[1:])).sum() / (n * (n - 1)))


# ------------------------------------------------------------------ summaries (final measures)
def mean_cascade_size(model: World) -> float:
    """Mean users reached per recorded item."""
    sizes = _tree_stats(model)["size"].to_numpy(float)
    return float(sizes.mean()) if len(sizes) else float("nan")


def max_cascade_size(model: World) -> float:
    """Most users reached by one recorded item."""
    sizes = _tree_stats(model)["size"].to_numpy(float)
    return float(sizes.max()) if len(sizes) else float("nan")


def mean_cascade_depth(model: World) -> float:
    """Mean depth of the recorded items' cascade trees."""
    stats = _tree_stats(model)
    return float(stats["depth"].mean()) if len(stats) else float("nan")


def mean_structural_virality(model: World) -> float:
    """Mean structural virality over the recorded items whose tree has two nodes or more."""
    v = _tree_stats(model)["virality"].dropna()
    return float(v.mean()) if len(v) else float("nan")
