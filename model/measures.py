"""Measures of DESIGN section 5: pure functions of a model, shared by data collection, the viewer
and the experiments.

Every population measure takes ``by=None`` (one number) or ``by="generation"`` (a dict keyed by
cohort). They read the model's arrays and cumulative tallies and never change the model.

Definitions (an *exposure* in the section-5 sense is an item a user attended, a view):

* reach: share of users who viewed at least one focal-outlet item (cumulative);
* secondary_share: share of focal views that came through a forward (social channel);
* social_channel_share: share of all views taken from the social screen (social, recommended,
  trending): the calibration target of each cohort's ``social_share``;
* engagement: likes + comments + forwards per view of focal items (cumulative);
* stickiness: daily active / followers, where a daily active follower liked, commented on or
  forwarded a focal item in the last day (24 steps);
* retention: initial followers of the focal outlet who still follow;
* cascades: per recorded item, size (users reached), depth and structural virality, the mean
  pairwise distance in its cascade tree (Goel et al. 2016), computed exactly in O(n) per tree
  from the Wiener index: W = sum over edges of s (n - s), with s the subtree size below the edge;
* opinion climate: variance, Sarle's bimodality coefficient, number of clusters, and the
  echo-chamber index (Pearson correlation of opinions across acquaintance ties).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from agents.generations import GENERATIONS
from model.content import DIRECT, SOCIAL

if TYPE_CHECKING:
    from model.engine import OpinionEcology

By = str | None


def _check_by(by: By) -> None:
    if by not in (None, "generation"):
        raise ValueError(f"by={by!r} is not allowed; use None or 'generation'")


def _by_gen(model: OpinionEcology, values: np.ndarray, by: By, mask: np.ndarray | None = None):
    """Mean of ``values`` over users (where ``mask``), overall or per generation."""
    _check_by(by)
    g = model.state.gen
    if mask is not None:
        values, g = values[mask], g[mask]
    if by is None:
        return _safe_mean(values)
    cnt = np.bincount(g, minlength=4)
    tot = np.bincount(g, weights=values, minlength=4)
    return {
        name: (float(tot[i] / cnt[i]) if cnt[i] else float("nan"))
        for i, name in enumerate(GENERATIONS)
    }


def _safe_mean(x: np.ndarray) -> float:
    return float(x.mean()) if len(x) else float("nan")


def _ratio(num: np.ndarray, den: np.ndarray, by: By):
    """num/den summed over cohorts (axis 0 is the cohort)."""
    _check_by(by)
    if by is None:
        d = den.sum()
        return float(num.sum() / d) if d else float("nan")
    return {
        name: (float(num[i].sum() / den[i].sum()) if den[i].sum() else float("nan"))
        for i, name in enumerate(GENERATIONS)
    }


# ------------------------------------------------------------------ reach and dissemination
def reach(model: OpinionEcology, by: By = None):
    """Share of users who have viewed at least one item of the focal outlet."""
    return _by_gen(model, model.state.reached, by)


def secondary_share(model: OpinionEcology, by: By = None):
    """Share of views of focal items that came through a forward."""
    vb = model.views_by[:, :, 1]
    return _ratio(vb[:, SOCIAL], vb.sum(axis=1), by)


def social_channel_share(model: OpinionEcology, by: By = None):
    """Share of all views taken through social channels (everything but direct)."""
    vb = model.views_by.sum(axis=2)
    return _ratio(vb.sum(axis=1) - vb[:, DIRECT], vb.sum(axis=1), by)


def engagement(model: OpinionEcology, by: By = None, kind: str = "all"):
    """Likes, comments, forwards (or all three) per view of focal items."""
    cols = {"like": [0], "comment": [1], "forward": [2], "all": [0, 1, 2]}
    if kind not in cols:
        raise ValueError(f"kind={kind!r} is not allowed; use one of {', '.join(cols)}")
    num = model.engaged_by[:, cols[kind]].sum(axis=1)
    return _ratio(num, model.views_by[:, :, 1].sum(axis=1), by)


# ------------------------------------------------------------------ loyalty
def stickiness(model: OpinionEcology, by: By = None):
    """Daily active followers: followers of the focal outlet who liked, commented on or forwarded
    its content in the last day, as a share of followers."""
    from model.constants import DAY

    s = model.state
    daily = s.last_focal_engage > model.steps - DAY
    return _by_gen(model, daily, by, mask=s.follows[:, 0])


def retention(model: OpinionEcology, by: By = None):
    """Share of the focal outlet's initial followers who still follow it."""
    s = model.state
    return _by_gen(model, s.follows[:, 0], by, mask=s.initial_follows)


def follower_share(model: OpinionEcology, by: By = None):
    """Share of users who follow the focal outlet."""
    return _by_gen(model, model.state.follows[:, 0], by)


def mean_trust(model: OpinionEcology, by: By = None):
    """Mean trust in the focal outlet."""
    return _by_gen(model, model.state.trust_media[:, 0], by)


def belonging(model: OpinionEcology, by: By = None):
    """Mean belonging to the focal outlet's community."""
    return _by_gen(model, model.state.belonging[:, 0], by)


def emotion_climate(model: OpinionEcology, by: By = None) -> dict[str, Any]:
    """Mean valence and arousal: {'valence': ..., 'arousal': ...} (each per cohort with by)."""
    return {
        "valence": _by_gen(model, model.state.valence, by),
        "arousal": _by_gen(model, model.state.arousal, by),
    }


# ------------------------------------------------------------------ opinion climate
def _per_gen(model: OpinionEcology, fn: Callable[[np.ndarray], Any], by: By):
    """fn(opinions) overall, or per cohort."""
    _check_by(by)
    x, g = model.state.opinion, model.state.gen
    if by is None:
        return fn(x)
    return {name: fn(x[g == i]) for i, name in enumerate(GENERATIONS)}


def _variance(x: np.ndarray) -> float:
    return float(x.var()) if len(x) else float("nan")


def opinion_variance(model: OpinionEcology, by: By = None):
    """Variance of opinions."""
    return _per_gen(model, _variance, by)


def _bimodality(x: np.ndarray) -> float:
    """Sarle's coefficient (g^2 + 1) / (k + 3 (n-1)^2 / ((n-2)(n-3))), with the sample
    (bias-corrected) skewness g and excess kurtosis k, as SAS and scipy (bias=False) define them."""
    n = len(x)
    if n < 4:
        return float("nan")
    d = x - x.mean()
    d2 = d * d
    m2, m3, m4 = d2.mean(), (d2 * d).mean(), (d2 * d2).mean()
    if m2 <= 1e-300:
        return float("nan")
    g1 = m3 / m2**1.5 * np.sqrt(n * (n - 1)) / (n - 2)
    g2 = ((n + 1) * (m4 / m2**2 - 3) + 6) * (n - 1) / ((n - 2) * (n - 3))
    return float((g1**2 + 1) / (g2 + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))))


def bimodality(model: OpinionEcology, by: By = None):
    """Sarle's bimodality coefficient of opinions (> 5/9 suggests two modes)."""
    return _per_gen(model, _bimodality, by)


def _clusters(xs: np.ndarray, min_count: float, tol: float) -> int:
    """Clusters of sorted opinions xs (neighbours within tol) holding at least min_count users."""
    if len(xs) == 0:
        return 0
    bounds = np.flatnonzero(np.diff(xs) > tol)
    sizes = np.diff(np.concatenate([[0], bounds + 1, [len(xs)]]))
    return int((sizes >= min_count).sum())


def opinion_clusters(
    model: OpinionEcology, min_share: float = 0.05, by: By = None, tol: float | None = None
):
    """Opinion clusters holding at least ``min_share`` of users (of the cohort, with by).

    Opinions within ``tol`` (default 1e-3) of their neighbour in sorted order form one cluster.
    """
    from model.constants import CLUSTER_TOL

    _check_by(by)
    if not 0 <= min_share <= 1:
        raise ValueError(f"min_share={min_share} must be in [0, 1]")
    tol = CLUSTER_TOL if tol is None else tol
    return _per_gen(model, lambda x: _clusters(np.sort(x), min_share * len(x), tol), by)


def _echo_parts(model: OpinionEcology) -> np.ndarray:
    """Per cohort of the tie's owner: count, sum a, sum b, sum a^2, sum b^2, sum ab over ties."""
    x = model.state.opinion
    src, dst, bounds = model.networks.acq_by_group(model.state.gen, 4)
    parts = np.zeros((4, 6))
    for i in range(4):
        a, b = x[src[bounds[i] : bounds[i + 1]]], x[dst[bounds[i] : bounds[i + 1]]]
        parts[i] = len(a), a.sum(), b.sum(), a @ a, b @ b, a @ b
    return parts


def _corr_from(p: np.ndarray) -> float:
    n, sa, sb, saa, sbb, sab = p
    if n < 3:
        return float("nan")
    va, vb = saa / n - (sa / n) ** 2, sbb / n - (sb / n) ** 2
    if va <= 1e-15 or vb <= 1e-15:
        return float("nan")
    return float((sab / n - sa * sb / n**2) / np.sqrt(va * vb))


def echo_chamber_index(model: OpinionEcology, by: By = None):
    """Pearson correlation of opinions across acquaintance ties (neighbour-opinion correlation).

    With ``by``, over the ties of each cohort's users (to neighbours of any cohort).
    """
    _check_by(by)
    parts = _echo_parts(model)
    if by is None:
        return _corr_from(parts.sum(axis=0))
    return {n: _corr_from(parts[i]) for i, n in enumerate(GENERATIONS)}


# ------------------------------------------------------------------ cascades
def cascade_trees(model: OpinionEcology) -> pd.DataFrame:
    """One row per (item, user) first view of a recorded item: parent user (-1 = root) and step."""
    log = model.view_log.to_frame()
    if log.empty:
        return log
    return log.drop_duplicates(["item", "user"], keep="first").reset_index(drop=True)


def _tree_stats(model: OpinionEcology) -> pd.DataFrame:
    """Size, depth and structural virality of every recorded cascade tree (cached per log length)."""
    cache = getattr(model, "_tree_cache", None)
    if cache is not None and cache[0] == len(model.view_log):
        return cache[1]
    stats = _compute_tree_stats(model)
    model._tree_cache = (len(model.view_log), stats)
    return stats


def _compute_tree_stats(model: OpinionEcology) -> pd.DataFrame:
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

    def update(self, log) -> None:
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


def cascade_sizes(model: OpinionEcology) -> pd.Series:
    """Users reached by each recorded item (its cascade tree without the root).

    Equal to the size of :func:`cascade_trees`'s trees (tested); counted incrementally from
    the rows the view log gained since the last call (:class:`_ReachIndex`).
    """
    index = getattr(model, "_reach_index", None)
    if index is None:
        index = model._reach_index = _ReachIndex(model.n_users)
    log = model.view_log
    index.update(log)
    items, counts = index.sizes()
    return pd.Series(
        counts, index=pd.Index(items.astype(log["item"].dtype), name="item"), name="size"
    )


def cascade_depths(model: OpinionEcology) -> pd.Series:
    """Depth of each recorded item's cascade tree (1 = reached only directly)."""
    return _tree_stats(model)["depth"].astype(np.int64)


def structural_virality(model: OpinionEcology) -> pd.Series:
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


def popularity(model: OpinionEcology, born: tuple[int, int] | None = None) -> np.ndarray:
    """Popularity of each item: 1 (its publication) plus its forwards (Weng et al. 2012).

    Args:
        model: The model.
        born: Keep only items created in steps ``first..last`` (inclusive). Used to leave out
            the start-up transient (empty screens, no competition) and items too young to have
            finished spreading.
    """
    pop = 1 + model.content.forwards.astype(np.int64)
    if born is None:
        return pop
    first, last = born
    created = model.content.created
    return pop[(created >= first) & (created <= last)]


#: Fewest observations in the tail for a candidate xmin of :func:`fit_power_law`.
MIN_TAIL = 50


def _discrete_alpha(log_sum: float, n: int, xmin: int) -> float:
    """Exact discrete power-law MLE: argmax of -n ln zeta(alpha, xmin) - alpha sum ln x."""
    from scipy.optimize import minimize_scalar
    from scipy.special import zeta

    res = minimize_scalar(
        lambda a: n * np.log(zeta(a, xmin)) + a * log_sum,
        bounds=(1.0 + 1e-6, 10.0),
        method="bounded",
        options={"xatol": 1e-7},
    )
    return float(res.x)


def _ks_distance(values: np.ndarray, counts: np.ndarray, alpha: float, xmin: int) -> float:
    """Largest gap, over every integer >= xmin, between the tail's empirical CDF and the fit's."""
    from scipy.special import zeta

    emp = np.cumsum(counts) / counts.sum()
    fit = 1.0 - zeta(alpha, values + 1.0) / zeta(alpha, xmin)
    # the empirical CDF also jumps: compare just below each observed value as well
    emp_below = np.concatenate([[0.0], emp[:-1]])
    fit_below = 1.0 - zeta(alpha, values) / zeta(alpha, xmin)
    return float(max(np.abs(emp - fit).max(), np.abs(emp_below - fit_below).max()))


def fit_power_law(
    x: np.ndarray, xmin: int | None = None, min_tail: int = MIN_TAIL
) -> dict[str, float]:
    """Discrete power-law fit P(x) = x^-alpha / zeta(alpha, xmin) for x >= xmin (Clauset et al. 2009).

    alpha is the exact discrete maximum-likelihood estimate (Clauset, Shalizi & Newman 2009,
    eq. 3.5, maximised numerically with the Hurwitz zeta function); its standard error is
    (alpha - 1) / sqrt(n_tail) (their eq. 3.2). With ``xmin=None`` the lower bound is the
    candidate that minimises the Kolmogorov-Smirnov distance between the tail and its fit
    (their section 3.3), over every observed value that leaves at least ``min_tail``
    observations in the tail.

    Args:
        x: Positive integer observations.
        xmin: A fixed lower bound, or None to choose it by the KS criterion.
        min_tail: Fewest observations a KS-chosen tail may hold.

    Returns:
        alpha, alpha_se, xmin, ks (the KS distance of the fit), n_tail, n_items, decades
        (log10 of max / min over all observations) and tail_decades (log10 of max / xmin).
    """
    x = np.asarray(x, dtype=np.int64)
    nan = float("nan")
    out = {
        "alpha": nan,
        "alpha_se": nan,
        "xmin": nan,
        "ks": nan,
        "n_tail": 0.0,
        "n_items": float(len(x)),
        "decades": 0.0,
        "tail_decades": 0.0,
    }
    if len(x) == 0:
        return out
    if (x < 1).any():
        raise ValueError("power-law fits need positive integer observations (got a value < 1)")
    out["decades"] = float(np.log10(x.max() / x.min()))
    values, counts = np.unique(x, return_counts=True)
    # tail sums from the top: n and sum ln x over the observations >= values[i]
    n_ge = np.cumsum(counts[::-1])[::-1]
    log_ge = np.cumsum((counts * np.log(values))[::-1])[::-1]
    # a tail needs two distinct values to pin alpha down
    fittable = values < values[-1]
    if xmin is None:
        cands = np.flatnonzero(fittable & (n_ge >= min_tail))
    else:
        if isinstance(xmin, bool) or int(xmin) != xmin or xmin < 1:
            raise ValueError(
                f"xmin={xmin!r} must be a whole number >= 1, or None to choose it by KS"
            )
        cands = np.flatnonzero(fittable & (values >= xmin))[:1]
    fits = []
    for i in cands:
        xm = int(values[i]) if xmin is None else int(xmin)
        a = _discrete_alpha(float(log_ge[i]), int(n_ge[i]), xm)
        fits.append(
            (_ks_distance(values[i:].astype(np.float64), counts[i:], a, xm), a, xm, int(n_ge[i]))
        )
    if not fits:
        return out
    d, a, xm, n_tail = min(fits)
    out.update(
        alpha=a,
        alpha_se=float((a - 1.0) / np.sqrt(n_tail)),
        xmin=float(xm),
        ks=d,
        n_tail=float(n_tail),
        tail_decades=float(np.log10(values[-1] / xm)),
    )
    return out


def popularity_tail(
    model: OpinionEcology, xmin: int | None = None, born: tuple[int, int] | None = None
) -> dict[str, float]:
    """Power-law tail of item popularity: exponent, its lower bound and the decades spanned.

    See :func:`fit_power_law` (discrete MLE, xmin chosen by the Kolmogorov-Smirnov criterion
    of Clauset, Shalizi & Newman 2009 unless given) and :func:`popularity` for ``born``.
    """
    return fit_power_law(popularity(model, born), xmin=xmin)


# ------------------------------------------------------------------ collection
#: The per-step measures: name -> function(model, by). Each is reported overall and per cohort.
STEP_MEASURES: dict[str, Callable[..., Any]] = {
    "reach": reach,
    "secondary_share": secondary_share,
    "social_channel_share": social_channel_share,
    "engagement": engagement,
    "stickiness": stickiness,
    "retention": retention,
    "followers": follower_share,
    "trust": mean_trust,
    "valence": lambda m, by=None: emotion_climate(m, by)["valence"],
    "arousal": lambda m, by=None: emotion_climate(m, by)["arousal"],
    "belonging": belonging,
    "opinion_variance": opinion_variance,
    "bimodality": bimodality,
    "opinion_clusters": opinion_clusters,
    "echo_chamber": echo_chamber_index,
}


def snapshot(model: OpinionEcology) -> dict[str, float]:
    """Every step measure overall (``name``) and per cohort (``name[cohort]``), as one flat dict."""
    out: dict[str, float] = {}
    for name, fn in STEP_MEASURES.items():
        if name in _JOINT:
            overall, by_gen = _JOINT[name](model)
        else:
            overall, by_gen = fn(model), fn(model, by="generation")
        out[name] = overall
        for gen, v in by_gen.items():
            out[f"{name}[{gen}]"] = v
    return out


def _echo_joint(model: OpinionEcology) -> tuple[float, dict[str, float]]:
    parts = _echo_parts(model)
    return _corr_from(parts.sum(axis=0)), {
        n: _corr_from(parts[i]) for i, n in enumerate(GENERATIONS)
    }


def _clusters_joint(model: OpinionEcology) -> tuple[int, dict[str, int]]:
    from model.constants import CLUSTER_TOL

    # float32 sorts twice as fast and resolves gaps far below the 1e-3 tolerance
    x, g = model.state.opinion.astype(np.float32), model.state.gen
    runs = [np.sort(x[g == i]) for i in range(4)]
    # the merged sort of four sorted runs is near-linear (timsort)
    overall = _clusters(np.sort(np.concatenate(runs), kind="stable"), 0.05 * len(x), CLUSTER_TOL)
    return overall, {
        n: _clusters(runs[i], 0.05 * len(runs[i]), CLUSTER_TOL) for i, n in enumerate(GENERATIONS)
    }


#: Measures whose overall and per-cohort values the snapshot computes in one pass.
_JOINT = {"echo_chamber": _echo_joint, "opinion_clusters": _clusters_joint}


def steps_to_reach(model: OpinionEcology, share: float) -> float:
    """The first step at which ``reach`` was at least ``share`` (NaN if it never was).

    Final reach saturates in long runs; how fast it got there is the difference that remains.
    Read from the DataCollector, which the model fills once per step from step 0.
    """
    if not 0 < share <= 1:
        raise ValueError(f"share={share} must be in (0, 1]")
    series = np.asarray(model.datacollector.model_vars["reach"], dtype=float)
    hit = np.flatnonzero(series >= share)
    return float(hit[0]) if len(hit) else float("nan")


def final_measures(model: OpinionEcology) -> dict[str, float]:
    """The snapshot plus cascade summaries and reach speed: what an experiment keeps at the end."""
    out = snapshot(model)
    out["steps_to_reach_50"] = steps_to_reach(model, 0.5)
    out["steps_to_reach_90"] = steps_to_reach(model, 0.9)
    stats = _tree_stats(model)
    sizes = stats["size"].to_numpy(float)
    out["cascade_mean_size"] = float(sizes.mean()) if len(sizes) else float("nan")
    out["cascade_max_size"] = float(sizes.max()) if len(sizes) else float("nan")
    out["cascade_mean_depth"] = float(stats["depth"].mean()) if len(stats) else float("nan")
    v = stats["virality"].dropna()
    out["structural_virality"] = float(v.mean()) if len(v) else float("nan")
    out["replies"] = float(model.replies_sent)
    out["items"] = float(model.content.n)
    return out


def build_datacollector(model: OpinionEcology):
    """A Mesa DataCollector with every step measure overall and per cohort as model reporters.

    The model computes one :func:`snapshot` per collection (reading arrays only, no agent
    iteration); each reporter reads its entry, so a measure is computed once per step.
    """
    import mesa

    names = [n for name in STEP_MEASURES for n in (name, *(f"{name}[{g}]" for g in GENERATIONS))]
    reporters = {n: (lambda key: lambda m: m.last_snapshot[key])(n) for n in names}
    return mesa.DataCollector(model_reporters=reporters)
