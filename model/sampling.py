"""Draws whose cost follows the number of users drawn, not the population (docs/ODD.md 7.1).

A step in which 1% of users act should cost about 1% of the per-user work of a step in which
everyone acts; drawing one uniform per user to find who acts costs the whole population every
step. :func:`bernoulli_subset` draws the same independent Bernoulli choices from the gaps
between them.
"""

from __future__ import annotations

import numpy as np


def bernoulli_subset(rng: np.random.Generator, n: int, prob: float) -> np.ndarray:
    """The users ``i < n`` of a Bernoulli(``prob``) draw each, as sorted int64 indices.

    The same distribution as ``np.flatnonzero(rng.random(n) < prob)`` at a cost that follows
    the number drawn, not ``n`` (docs/ODD.md 7.1, "Cost follows activity"): below
    ``DENSE_SHARE`` the gaps between successive users drawn are geometric (Devroye 1986,
    ch. 10.4: the waiting time to the next success of Bernoulli trials), so about n x prob
    geometric draws replace n uniforms; at or above it, where the uniforms are cheaper, one
    uniform per user. Below 1e-9 the count is drawn first (Binomial(n, prob), then which ones,
    uniformly), so no geometric gap can overflow.

    Raises:
        ValueError: ``prob`` is outside [0, 1] or ``n`` is negative.
    """
    if not 0.0 <= prob <= 1.0:
        raise ValueError(f"bernoulli_subset: prob must be in [0, 1], got {prob!r}")
    if n < 0:
        raise ValueError(f"bernoulli_subset: n must be a non-negative integer, got {n!r}")
    if prob == 0.0 or n == 0:
        return np.zeros(0, dtype=np.int64)
    if prob >= DENSE_SHARE:
        return np.flatnonzero(rng.random(n) < prob).astype(np.int64, copy=False)
    if prob < 1e-9:
        k = int(rng.binomial(n, prob))
        idx = rng.choice(n, size=k, replace=False, shuffle=False).astype(np.int64, copy=False)
        idx.sort()
        return idx
    parts = []
    last = -1  # the last user drawn so far
    while True:
        # enough gaps to pass n about 19 times in 20; the rest is drawn by the next chunk
        size = int((n - 1 - last) * prob + 2.0 * np.sqrt((n - last) * prob) + 16)
        pos = last + np.cumsum(rng.geometric(prob, size))
        if pos[-1] >= n:
            parts.append(pos[: np.searchsorted(pos, n)])
            break
        parts.append(pos)
        last = int(pos[-1])
    out = parts[0] if len(parts) == 1 else np.concatenate(parts)
    return out.astype(np.int64, copy=False)


#: The share of users drawn at and above which :func:`bernoulli_subset` draws one uniform per
#: user: n uniforms cost about as much as n x 0.25 geometric gaps (measured at 10^5 users).
DENSE_SHARE = 0.25
