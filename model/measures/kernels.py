"""Compiled kernels of the step snapshot: every per-cohort sum of a step in a few passes.

The snapshot (:func:`model.measures.collect.snapshot`) reports about twenty measures overall and
per cohort. Computed one numpy call at a time they cost hundreds of small calls per step, which
at a few thousand users is most of the cost of measuring; these kernels compute the same sums
in one pass over the users (and one over the acquaintance ties).

Same numbers as the array code, bit for bit, so that no reported value moves:

- a mean over a cohort was ``np.bincount(gen, weights=v)``: a sequential float64 sum in user
  order, which a loop reproduces;
- an overall mean was ``v.mean()``: numpy's pairwise sum in ``v``'s own dtype (float32 for
  valence, arousal and belonging), reproduced by :func:`pairwise_sum` (numpy's
  ``pairwise_sum`` of ``loops_utils.h``: blocks of 128 summed with eight accumulators, halves
  split at multiples of eight);
- a segment sum of ``np.add.reduceat`` is its first element plus the pairwise sum of the rest;
- counts are integers, exact in any order.

``tests/unit/test_measure_kernels.py`` checks each kernel against the array code on random
inputs and on a hand-computed six-user population.

Over 400 lines: every kernel here depends on the replicated summation orders at the top, and
kept together they can be read against those orders; one kernel per family of measures
(shares, means, tallies, opinion moments, echo chambers, clusters).
"""

from __future__ import annotations

import numpy as np

from model.content import DIRECT, RECOMMENDED, SOCIAL, TRENDING
from model.jit import exp, log, njit

#: Columns of :func:`flag_counts`'s result: (numerator, denominator) for each share.
FLAG_SHARES = (
    "reach",
    "reach_non_followers",
    "daily_focal_viewers",
    "community_members",
    "stickiness",
    "retention",
    "followers",
)
#: Columns of :func:`value_sums`'s per-cohort sums and overall means.
VALUE_MEANS = ("trust", "valence", "arousal", "belonging", "exposure_distance")


@njit
def _block(a: np.ndarray, lo: int, n: int, zero: float) -> float:
    """numpy's pairwise sum of a block a[lo:lo+n] of at most 128 values."""
    if n < 8:
        res = zero
        for i in range(lo, lo + n):
            res += a[i]
        return res
    r0 = a[lo]
    r1 = a[lo + 1]
    r2 = a[lo + 2]
    r3 = a[lo + 3]
    r4 = a[lo + 4]
    r5 = a[lo + 5]
    r6 = a[lo + 6]
    r7 = a[lo + 7]
    i = 8
    m = n - n % 8
    while i < m:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit
def _pairwise(a: np.ndarray, lo: int, n: int, zero: float) -> float:
    """numpy's pairwise sum of a[lo:lo+n] (n >= 0), accumulated in the type of ``zero``.

    numpy recurses: sum(lo, n) = sum(lo, h) + sum(lo + h, n - h) with h = n // 2 rounded down
    to a multiple of 8, down to blocks of at most 128. The recursion is unrolled here onto
    explicit stacks (numba's cache cannot reload a self-recursive function), evaluating the
    same tree in the same order: left half, right half, then their sum.
    """
    if n <= 128:
        return _block(a, lo, n, zero)
    # pending work: (lo, n) of a half still to sum, or n = -1 for "add the top two results"
    todo_lo = np.empty(128, dtype=np.int64)
    todo_n = np.empty(128, dtype=np.int64)
    vals = np.empty(128, dtype=a.dtype)
    top = 0
    nv = 0
    todo_lo[0] = lo
    todo_n[0] = n
    top = 1
    while top > 0:
        top -= 1
        cl = todo_lo[top]
        cn = todo_n[top]
        if cn < 0:
            right = vals[nv - 1]
            left = vals[nv - 2]
            vals[nv - 2] = left + right
            nv -= 1
        elif cn <= 128:
            vals[nv] = _block(a, cl, cn, zero)
            nv += 1
        else:
            h = cn // 2
            h -= h % 8
            # popped in reverse: left half first, then right half, then their sum
            todo_lo[top] = 0
            todo_n[top] = -1
            todo_lo[top + 1] = cl + h
            todo_n[top + 1] = cn - h
            todo_lo[top + 2] = cl
            todo_n[top + 2] = h
            top += 3
    return vals[0]


@njit
def pairwise_sum(a: np.ndarray) -> float:
    """``np.add.reduce(a)`` for a 1-d float64 or float32 array, the same bits (in a's dtype)."""
    return _pairwise(a, 0, a.shape[0], a.dtype.type(0.0))


@njit
def flag_counts(
    gen: np.ndarray,
    n_cohorts: int,
    reached: np.ndarray,
    follows: np.ndarray,
    initial_follows: np.ndarray,
    ever_unfollowed: np.ndarray,
    community: np.ndarray,
    last_focal_view: np.ndarray,
    last_focal_engage: np.ndarray,
    since: int,
) -> np.ndarray:
    """Per cohort, (numerator, denominator) of each share of :data:`FLAG_SHARES`.

    Column 2k is the users who count for share k, column 2k + 1 those it is a share of (its
    mask). ``follows`` and ``community`` are the (users, outlets) arrays; the focal outlet is
    column 0. ``since`` is the step after which a view or engagement was "in the last day".
    """
    out = np.zeros((n_cohorts, 2 * len(FLAG_SHARES)), dtype=np.int64)
    for i in range(gen.shape[0]):
        g = gen[i]
        r = reached[i]
        f = follows[i, 0]
        init = initial_follows[i]
        left = ever_unfollowed[i]
        out[g, 0] += r
        out[g, 1] += 1
        never = not (init or f or left)
        out[g, 2] += r and never
        out[g, 3] += never
        out[g, 4] += last_focal_view[i] > since
        out[g, 5] += 1
        out[g, 6] += community[i, 0]
        out[g, 7] += 1
        out[g, 8] += f and last_focal_engage[i] > since
        out[g, 9] += f
        out[g, 10] += init and f and not left
        out[g, 11] += init
        out[g, 12] += f
        out[g, 13] += 1
    return out


@njit
def _ratios(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Rows [overall, per cohort] of num / den (measures x cohorts, integer counts); the
    overall divides the sums over cohorts; NaN where the denominator is 0.

    Counts below 2^53 are exact in float64, so each quotient is the correctly rounded one, as
    numpy's division of the counts (or of their float64 bincounts) gives it.
    """
    k, groups = num.shape
    out = np.empty((k, groups + 1))
    for j in range(k):
        tn = 0
        td = 0
        for g in range(groups):
            a = num[j, g]
            b = den[j, g]
            tn += a
            td += b
            out[j, 1 + g] = np.float64(a) / np.float64(b) if b != 0 else np.nan
        out[j, 0] = np.float64(tn) / np.float64(td) if td != 0 else np.nan
    return out


@njit
def flag_shares(
    gen: np.ndarray,
    n_cohorts: int,
    reached: np.ndarray,
    follows: np.ndarray,
    initial_follows: np.ndarray,
    ever_unfollowed: np.ndarray,
    community: np.ndarray,
    last_focal_view: np.ndarray,
    last_focal_engage: np.ndarray,
    since: int,
) -> np.ndarray:
    """The shares of :data:`FLAG_SHARES`, one row each: [overall, then per cohort]."""
    c = flag_counts(
        gen,
        n_cohorts,
        reached,
        follows,
        initial_follows,
        ever_unfollowed,
        community,
        last_focal_view,
        last_focal_engage,
        since,
    )
    return _ratios(c[:, 0::2].T, c[:, 1::2].T)


#: Rows of :func:`tally_shares`.
TALLY_MEASURES = (
    "secondary_share",
    "primary_share",
    "platform_share",
    "social_channel_share",
    "engagement",
    "forwards",
    "forwarded_views",
    "forwards_per_item",
)


@njit
def tally_shares(
    views_by: np.ndarray, engaged_by: np.ndarray, focal_forwards_by: np.ndarray, items: int
) -> np.ndarray:
    """The measures of :data:`TALLY_MEASURES` from the cohort tallies, one row each:
    [overall, then per cohort].

    ``views_by`` is cohorts x channels x (other items, focal items), ``engaged_by`` cohorts x
    (likes, comments, forwards) of focal items, ``focal_forwards_by`` per cohort; ``items``
    the focal items published. Counts overall are sums over cohorts.
    """
    groups = views_by.shape[0]
    num = np.zeros((5, groups), dtype=np.int64)
    den = np.zeros((5, groups), dtype=np.int64)
    for g in range(groups):
        focal = 0
        views = 0
        for ch in range(views_by.shape[1]):
            focal += views_by[g, ch, 1]
            views += views_by[g, ch, 0] + views_by[g, ch, 1]
        num[0, g] = views_by[g, SOCIAL, 1]
        num[1, g] = views_by[g, DIRECT, 1] + views_by[g, RECOMMENDED, 1]
        num[2, g] = views_by[g, TRENDING, 1]
        num[3, g] = views - (views_by[g, DIRECT, 0] + views_by[g, DIRECT, 1])
        num[4, g] = engaged_by[g, 0] + engaged_by[g, 1] + engaged_by[g, 2]
        for j in range(5):
            den[j, g] = focal
        den[3, g] = views
    out = np.empty((len(TALLY_MEASURES), groups + 1))
    out[:5] = _ratios(num, den)
    fw = 0
    social = 0
    for g in range(groups):
        fw += focal_forwards_by[g]
        social += views_by[g, SOCIAL, 1]
        out[5, 1 + g] = np.float64(focal_forwards_by[g])
        out[6, 1 + g] = np.float64(views_by[g, SOCIAL, 1])
        out[7, 1 + g] = np.float64(focal_forwards_by[g]) / np.float64(items) if items else np.nan
    out[5, 0] = np.float64(fw)
    out[6, 0] = np.float64(social)
    out[7, 0] = np.float64(fw) / np.float64(items) if items else np.nan
    return out


@njit
def _mean_of(a: np.ndarray, n: int, zero: float) -> float:
    """``float(a[:n].mean())`` for a contiguous float array: its pairwise sum over n, in its dtype."""
    if n == 0:
        return np.nan
    s = _pairwise(a, 0, n, zero)
    return float(s / a.dtype.type(n))


@njit
def _decay(age: float, keep: float, ln_keep: float) -> float:
    """keep^age as model.portable.power gives it for a scalar base: exp(age ln keep)."""
    return 1.0 if age == 0.0 or keep == 1.0 else exp(age * ln_keep)


@njit
def value_sums(
    gen: np.ndarray,
    n_cohorts: int,
    trust0: np.ndarray,
    trust_pos: np.ndarray,
    trust_neg: np.ndarray,
    trust_last: np.ndarray,
    keep: float,
    prior: float,
    t: int,
    valence: np.ndarray,
    arousal: np.ndarray,
    belonging: np.ndarray,
    seen_distance: np.ndarray,
    seen_count: np.ndarray,
) -> np.ndarray:
    """Per-cohort sums and counts, and the overall means, of the values of :data:`VALUE_MEANS`.

    Trust is each user's trust in the focal outlet at step ``t`` as
    :func:`model.trust.trust_at` derives it (the evidence decayed by ``keep`` per step since
    its last update, on a prior of strength ``prior``), operation for operation. The trust
    and ``belonging`` arrays are (users, outlets); the focal outlet is column 0. The exposure
    distance is ``seen_distance / seen_count`` over the users who viewed anything.

    Returns:
        One row per value: the overall mean as ``v.mean()`` gives it, then the mean per cohort
        as :func:`model.measures._cohort.by_gen` gives it (bincount's sequential float64 sum
        over the count); NaN over no user.
    """
    n = gen.shape[0]
    k = len(VALUE_MEANS)
    sums = np.zeros((n_cohorts, k))
    counts = np.zeros((n_cohorts, k), dtype=np.int64)
    # the overall means are pairwise sums over contiguous copies, as numpy took them
    ln_keep = log(keep)
    ages = min(max(np.int64(t) + 1, 0), n)
    memo = np.empty(ages)
    known = np.zeros(ages, dtype=np.bool_)
    trust = np.empty(n)
    bel = np.empty(n, dtype=belonging.dtype)
    expo = np.empty(n)
    m = 0
    for i in range(n):
        g = gen[i]
        pos = np.float64(trust_pos[i, 0])
        neg = np.float64(trust_neg[i, 0])
        if pos != 0.0 or neg != 0.0:  # no evidence stays 0 at any decay factor, exactly
            # power(keep, age) as model.portable.power takes it with a scalar base; ages are
            # whole steps, so each distinct age's factor is computed once
            a = np.int64(t) - np.int64(trust_last[i, 0])
            if 0 <= a < ages:
                if not known[a]:
                    memo[a] = _decay(np.float64(a), keep, ln_keep)
                    known[a] = True
                fac = memo[a]
            else:
                fac = _decay(np.float64(a), keep, ln_keep)
            pos = pos * fac
            neg = neg * fac
        tr = (prior * np.float64(trust0[i, 0]) + pos) / (prior + pos + neg)
        trust[i] = tr
        sums[g, 0] += tr
        sums[g, 1] += valence[i]
        sums[g, 2] += arousal[i]
        b = belonging[i, 0]
        bel[i] = b
        sums[g, 3] += b
        counts[g, 0] += 1
        c = seen_count[i]
        if c > 0:
            d = seen_distance[i] / np.float64(c)
            expo[m] = d
            m += 1
            sums[g, 4] += d
            counts[g, 4] += 1
    for j in range(1, 4):
        counts[:, j] = counts[:, 0]
    out = np.empty((k, n_cohorts + 1))
    out[0, 0] = _mean_of(trust, n, trust.dtype.type(0.0))
    out[1, 0] = _mean_of(valence, n, valence.dtype.type(0.0))
    out[2, 0] = _mean_of(arousal, n, arousal.dtype.type(0.0))
    out[3, 0] = _mean_of(bel, n, bel.dtype.type(0.0))
    out[4, 0] = _mean_of(expo, m, 0.0)
    for j in range(k):
        for g in range(n_cohorts):
            c = counts[g, j]
            # by_gen's float(bincount / count): a float64 sum over an integer count
            out[j, 1 + g] = sums[g, j] / np.float64(c) if c else np.nan
    return out


@njit
def opinion_moments(x: np.ndarray, gen: np.ndarray, n_cohorts: int) -> np.ndarray:
    """Count and central moments of opinions, overall (row 0) and per cohort (row 1 + g).

    Columns n, m2, m3, m4 with m_k = mean((x - mean)^k), each mean as numpy takes it over
    the group's opinions in user order (``x[gen == g]``): ``opinion_variance`` is m2 and
    Sarle's coefficient follows from n, m2, m3, m4 (:func:`model.measures.opinion.sarle`).
    """
    n = x.shape[0]
    out = np.full((n_cohorts + 1, 4), np.nan)
    # the cohorts' opinions in user order, one after the other (a stable counting sort)
    start = np.zeros(n_cohorts + 1, dtype=np.int64)
    for i in range(n):
        start[gen[i] + 1] += 1
    for g in range(n_cohorts):
        start[g + 1] += start[g]
    buf = np.empty(n)
    fill = start[:n_cohorts].copy()
    for i in range(n):
        buf[fill[gen[i]]] = x[i]
        fill[gen[i]] += 1
    d2 = np.empty(n)
    d3 = np.empty(n)
    d4 = np.empty(n)
    for row in range(n_cohorts + 1):
        vals = x if row == 0 else buf[start[row - 1] : start[row]]
        m = vals.shape[0]
        out[row, 0] = m
        if m == 0:
            continue
        mean = _pairwise(vals, 0, m, 0.0) / np.float64(m)
        for i in range(m):
            d = vals[i] - mean
            sq = d * d
            d2[i] = sq
            d3[i] = sq * d
            d4[i] = sq * sq
        fm = np.float64(m)
        out[row, 1] = _pairwise(d2, 0, m, 0.0) / fm
        out[row, 2] = _pairwise(d3, 0, m, 0.0) / fm
        out[row, 3] = _pairwise(d4, 0, m, 0.0) / fm
    return out


@njit
def _gathered_sums(x: np.ndarray, indices: np.ndarray, lo: int, n: int) -> tuple[float, float]:
    """numpy's pairwise sums of b and of b * b over b = x[indices[lo:lo + n]], for n <= 128
    (one block of :func:`_block`: sequential below 8 values, else 8 running sums), read
    straight from ``x`` without gathering the values into arrays first."""
    if n < 8:
        s = 0.0
        q = 0.0
        for i in range(lo, lo + n):
            b = x[indices[i]]
            s += b
            q += b * b
        return s, q
    b0, b1, b2, b3 = x[indices[lo]], x[indices[lo + 1]], x[indices[lo + 2]], x[indices[lo + 3]]
    b4, b5, b6, b7 = x[indices[lo + 4]], x[indices[lo + 5]], x[indices[lo + 6]], x[indices[lo + 7]]
    s0, s1, s2, s3, s4, s5, s6, s7 = b0, b1, b2, b3, b4, b5, b6, b7
    q0, q1, q2, q3 = b0 * b0, b1 * b1, b2 * b2, b3 * b3
    q4, q5, q6, q7 = b4 * b4, b5 * b5, b6 * b6, b7 * b7
    i = lo + 8
    end = lo + n - n % 8
    while i < end:
        b0, b1, b2, b3 = x[indices[i]], x[indices[i + 1]], x[indices[i + 2]], x[indices[i + 3]]
        b4, b5, b6, b7 = x[indices[i + 4]], x[indices[i + 5]], x[indices[i + 6]], x[indices[i + 7]]
        s0, s1, s2, s3 = s0 + b0, s1 + b1, s2 + b2, s3 + b3
        s4, s5, s6, s7 = s4 + b4, s5 + b5, s6 + b6, s7 + b7
        q0, q1, q2, q3 = q0 + b0 * b0, q1 + b1 * b1, q2 + b2 * b2, q3 + b3 * b3
        q4, q5, q6, q7 = q4 + b4 * b4, q5 + b5 * b5, q6 + b6 * b6, q7 + b7 * b7
        i += 8
    s = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    q = ((q0 + q1) + (q2 + q3)) + ((q4 + q5) + (q6 + q7))
    while i < lo + n:
        b = x[indices[i]]
        s += b
        q += b * b
        i += 1
    return s, q


@njit
def echo_parts(
    x: np.ndarray, gen: np.ndarray, n_cohorts: int, indptr: np.ndarray, indices: np.ndarray
) -> np.ndarray:
    """Per cohort of the tie's owner a: ties, sum a, sum b, sum a^2, sum b^2, sum ab.

    Over the acquaintance ties (a, b) in compressed rows; the sums over a user's neighbours
    are ``np.add.reduceat``'s (first plus the pairwise sum of the rest), the sums over users
    bincount's (sequential, in user order). A user's neighbours are read from ``x`` directly
    (:func:`_gathered_sums`); only a row of more than 129 ties is copied out for
    :func:`_pairwise`.
    """
    parts = np.zeros((n_cohorts, 6))
    nb = np.empty(0)
    nb2 = np.empty(0)
    for i in range(x.shape[0]):
        lo = indptr[i]
        k = indptr[i + 1] - lo
        nsum = 0.0
        nsq = 0.0
        if k > 0:
            first = x[indices[lo]]
            if k - 1 <= 128:
                rest, rest_sq = _gathered_sums(x, indices, lo + 1, k - 1)
            else:
                if nb.shape[0] < k:
                    nb = np.empty(k)
                    nb2 = np.empty(k)
                for j in range(k):
                    b = x[indices[lo + j]]
                    nb[j] = b
                    nb2[j] = b * b
                rest = _pairwise(nb, 1, k - 1, 0.0)
                rest_sq = _pairwise(nb2, 1, k - 1, 0.0)
            nsum = first + rest
            nsq = first * first + rest_sq
        a = x[i]
        deg = np.float64(k)
        dx = deg * a
        g = gen[i]
        parts[g, 0] += deg
        parts[g, 1] += dx
        parts[g, 2] += nsum
        parts[g, 3] += dx * a
        parts[g, 4] += nsq
        parts[g, 5] += a * nsum
    return parts


@njit
def _cluster_keys(x: np.ndarray, gen: np.ndarray) -> np.ndarray:
    """Per user, cohort << 32 | the float32 opinion's bits made order-preserving as unsigned."""
    n = x.shape[0]
    x32 = np.empty(n, dtype=np.float32)
    for i in range(n):
        x32[i] = np.float32(x[i])
    bits = x32.view(np.uint32)
    keys = np.empty(n, dtype=np.uint64)
    for i in range(n):
        b = np.uint64(bits[i])
        # negative floats: flip every bit (larger magnitude sorts first); others: set the sign
        u = b ^ np.uint64(0xFFFFFFFF) if b >> np.uint64(31) else b | np.uint64(0x80000000)
        keys[i] = (np.uint64(gen[i]) << np.uint64(32)) | u
    return keys


@njit
def _runs_at_least(size: int, need: float) -> int:
    return 1 if size > 0 and size >= need else 0


@njit
def _cluster_walk(
    keys: np.ndarray, n_cohorts: int, tol: np.float32, min_share: float
) -> np.ndarray:
    """Clusters overall (entry 0) and per cohort (entry 1 + g) from the sorted keys."""
    n = keys.shape[0]
    ubits = np.empty(n, dtype=np.uint32)
    start = np.zeros(n_cohorts + 1, dtype=np.int64)
    low = np.uint64(0xFFFFFFFF)
    for i in range(n):
        u = keys[i] & low
        b = u ^ np.uint64(0x80000000) if u >> np.uint64(31) else u ^ low
        ubits[i] = np.uint32(b)
        start[np.int64(keys[i] >> np.uint64(32)) + 1] += 1
    for g in range(n_cohorts):
        start[g + 1] += start[g]
    v = ubits.view(np.float32)
    out = np.zeros(n_cohorts + 1, dtype=np.int64)
    # each cohort: its opinions in ascending order are one segment of the keys
    for g in range(n_cohorts):
        lo, hi = start[g], start[g + 1]
        need = min_share * np.float64(hi - lo)
        run = 0
        for i in range(lo, hi):
            # the gap as np.diff takes it, in float32
            if run > 0 and np.float32(v[i] - v[i - 1]) > tol:
                out[1 + g] += _runs_at_least(run, need)
                run = 0
            run += 1
        out[1 + g] += _runs_at_least(run, need)
    # overall: merge the cohorts' ascending segments (order of the low 32 bits = float order)
    pos = start[:n_cohorts].copy()
    need = min_share * np.float64(n)
    run = 0
    last = np.float32(0.0)
    for _ in range(n):
        best = -1
        for g in range(n_cohorts):
            if pos[g] < start[g + 1] and (
                best < 0 or (keys[pos[g]] & low) < (keys[pos[best]] & low)
            ):
                best = g
        cur = v[pos[best]]
        pos[best] += 1
        if run > 0 and np.float32(cur - last) > tol:
            out[0] += _runs_at_least(run, need)
            run = 0
        run += 1
        last = cur
    out[0] += _runs_at_least(run, need)
    return out


@njit
def _cluster_cells(
    x: np.ndarray, gen: np.ndarray, n_cohorts: int, tol: np.float32, min_share: float
):
    """Clusters overall (entry 0) and per cohort (entry 1 + g) without sorting; an empty
    result when the opinions span too many cells (the caller sorts instead).

    Opinions fall into cells of width tol / 2 in order, so two opinions of one cell are never
    split (their float32 gap is at most tol / 2) and the gap between consecutive opinions of
    a group in different cells is the next occupied cell's minimum less the previous one's
    maximum: the float32 gaps of the sorted opinions, exactly, at O(users + cells). The users
    are put in cell order by a counting sort (one count per cell, not one per cell and group,
    which at 4,001 cells was 320 kB to fill every step), and one pass over them in that order
    keeps each group's open cell: its count, minimum and maximum, taken in user order.
    """
    n = x.shape[0]
    groups = n_cohorts + 1
    if n == 0:
        return np.zeros(groups, dtype=np.int64)
    x32 = np.empty(n, dtype=np.float32)
    lo = np.inf
    hi = -np.inf
    for i in range(n):
        v = np.float32(x[i])
        x32[i] = v
        lo = min(lo, np.float64(v))
        hi = max(hi, np.float64(v))
    w = np.float64(tol) / 2.0
    span = (hi - lo) / w
    # at most 65,536 cells (the model's [-1, 1] needs 4,001): O(users + cells)
    if not (span < min(4.0 * n + 4096.0, 65536.0)):
        return np.zeros(0, dtype=np.int64)  # NaN, inf or a wide spread: sort instead
    cells = np.int64(span) + 1
    cell = np.empty(n, dtype=np.int64)
    end = np.zeros(cells, dtype=np.int64)
    size = np.zeros(groups, dtype=np.int64)
    size[0] = n
    for i in range(n):
        cell[i] = np.int64((np.float64(x32[i]) - lo) / w)
        end[cell[i]] += 1
        size[1 + int(gen[i])] += 1
    # cell c's users will sit at [end[c - 1], end[c]) of ``users``, in user order
    first = 0
    for c in range(cells):
        k = end[c]
        end[c] = first
        first += k
    users = np.empty(n, dtype=np.int64)
    for i in range(n):
        users[end[cell[i]]] = i
        end[cell[i]] += 1
    need = np.empty(groups)
    for j in range(groups):
        need[j] = min_share * np.float64(size[j])
    out = np.zeros(groups, dtype=np.int64)
    run = np.zeros(groups, dtype=np.int64)
    last = np.zeros(groups, dtype=np.float32)
    # each group's latest occupied cell, still open: its index, count, minimum and maximum
    at = np.full(groups, -1, dtype=np.int64)
    count = np.zeros(groups, dtype=np.int64)
    low = np.zeros(groups, dtype=np.float32)
    high = np.zeros(groups, dtype=np.float32)
    for q in range(n):
        i = users[q]
        v = x32[i]
        c = cell[i]
        for step in range(2):
            j = 0 if step == 0 else 1 + int(gen[i])
            if at[j] == c:
                count[j] += 1
                low[j] = min(low[j], v)
                high[j] = max(high[j], v)
                continue
            # the open cell joins its run, or ends it (the gap as np.diff takes it, in float32)
            if at[j] >= 0 and run[j] > 0 and np.float32(low[j] - last[j]) > tol:
                out[j] += _runs_at_least(run[j], need[j])
                run[j] = 0
            run[j] += count[j]
            last[j] = high[j]
            at[j] = c
            count[j] = 1
            low[j] = v
            high[j] = v
    for j in range(groups):
        if run[j] > 0 and np.float32(low[j] - last[j]) > tol:
            out[j] += _runs_at_least(run[j], need[j])
            run[j] = 0
        out[j] += _runs_at_least(run[j] + count[j], need[j])
    return out


def clusters(
    x: np.ndarray, gen: np.ndarray, n_cohorts: int, tol: float, min_share: float
) -> list[int]:
    """Opinion clusters overall and per cohort, as ``opinion.clusters_joint`` counts them.

    Opinions are compared in float32 (as the measure does). Opinions within a few thousand
    tolerances of each other (the model's [-1, 1]) are binned in one pass
    (:func:`_cluster_cells`); otherwise they are sorted once, by cohort and value together
    (numpy's sort of 64-bit keys), and a walk counts each cohort's runs and merges the
    cohorts for the overall ones.

    Returns:
        [overall, then one count per cohort].
    """
    counts = _cluster_cells(x, gen, n_cohorts, np.float32(tol), min_share)
    if len(counts):
        return counts.tolist()
    keys = _cluster_keys(x, gen)
    keys.sort()
    return _cluster_walk(keys, n_cohorts, np.float32(tol), min_share).tolist()
