"""Trust in outlets as Beta evidence with memory (docs/ODD.md 7.10; docs/evidence.md 5, 6).

Each (user, outlet) pair holds positive and negative evidence e+ and e- (pseudo-observations)
on top of a prior of strength s centred on the user's initial trust t0:

    trust = (s t0 + e+) / (s + e+ + e-)

so the baseline persists and experience moves it (the Beta reputation system of Josang &
Ismail 2002). Evidence is forgotten at lambda per day, applied lazily: only pairs that receive
evidence are touched, each decayed from the step it was last updated. ``state.trust_media`` is
the derived value the rest of the model reads.

A reply's evidence depends on the commenter's trust and stance (Coombs & Holladay 2006; van
Noort & Willemsen 2012; Prochazka & Obermaier 2022): see :func:`reply_evidence`.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from model import jit, portable
from model.constants import DAY


def beta_trust(t0: np.ndarray, pos: np.ndarray, neg: np.ndarray, prior: float) -> np.ndarray:
    """(s t0 + e+) / (s + e+ + e-), in [0, 1] for t0 in [0, 1] and non-negative evidence."""
    return (prior * t0 + pos) / (prior + pos + neg)


def keep_per_step(params: Any) -> float:
    """Share of evidence kept per step: lambda^(1 / DAY)."""
    return float(params.trust_forgetting ** (1.0 / DAY))


@jit.njit
def scalar_power(base: float, log_base: float, exponent: float) -> float:
    """base^exponent with log_base = jit.log(base) taken once: the bits of portable.power with a
    scalar base (a decay keep^age), which reads ln base from a cache."""
    if base == 1.0 or exponent == 0.0:
        return 1.0  # portable.power gives exp(0 ln base) = 1 exactly
    if math.isfinite(log_base):
        return jit.exp(exponent * log_base)
    return jit.power(base, exponent)


#: Ages (steps since the last update) whose decay factor keep^age is read from a table.
DECAY_AGES = 4096


@functools.lru_cache(maxsize=64)
def decay_table(keep: float) -> np.ndarray:
    """keep^age for age = 0 .. DECAY_AGES - 1 (portable.power's bits, which the kernels' own
    power gives too): a lazy decay then costs a read instead of an exp. Do not write to it."""
    return portable.power(keep, np.arange(DECAY_AGES, dtype=np.float64))


@jit.njit
def decay(table: np.ndarray, keep: float, log_keep: float, age: int) -> float:
    """keep^age from the table when the age is in it, else computed (the same bits)."""
    if 0 <= age < table.shape[0]:
        return table[age]
    return scalar_power(keep, log_keep, float(age))


#: Bits of the key one pass of :func:`stable_order` sorts on (2^11 buckets).
RADIX_BITS = 11


@jit.njit
def stable_order(key: np.ndarray) -> np.ndarray:
    """Positions of ``key`` (non-negative integers) sorted by key, equal keys in input order:
    each run of equal keys then sums in the input order, as np.bincount does.

    A least-significant-digit radix sort (stable, O(len(key)) per 11 bits of the largest key):
    several times faster than numba's merge sort on the phases' few thousand keys.
    """
    m = key.shape[0]
    order = np.arange(m)
    if m < 2:
        return order
    top = key.max()
    tmp = np.empty(m, dtype=np.int64)
    nb = 1 << RADIX_BITS
    mask = nb - 1
    count = np.empty(nb + 1, dtype=np.int64)
    shift = 0
    while (top >> shift) > 0:
        count[:] = 0
        for j in range(m):
            count[((key[order[j]] >> shift) & mask) + 1] += 1
        for b in range(nb):
            count[b + 1] += count[b]
        for j in range(m):
            d = (key[order[j]] >> shift) & mask
            tmp[count[d]] = order[j]
            count[d] += 1
        order, tmp = tmp, order
        shift += RADIX_BITS
    return order


@jit.njit
def evidence_kernel(
    users: np.ndarray,
    outlets: np.ndarray,
    pos: np.ndarray,
    neg: np.ndarray,
    ep: np.ndarray,
    en: np.ndarray,
    last: np.ndarray,
    trust_media: np.ndarray,
    trust0: np.ndarray,
    n_out: int,
    t: int,
    keep: float,
    prior: float,
    table: np.ndarray,
) -> None:
    """add_evidence on flat (user x outlet) arrays (``n_out`` outlets a user): per pair, the
    events' sums (in event order), the old evidence decayed from its last step, and the
    derived trust.

    The stored evidence and trust are float32; ``(prior t0 + e+) / (prior + e+ + e-)`` is
    evaluated in float32 as numpy does for float32 arrays and a Python float.
    """
    m = users.shape[0]
    key = np.empty(m, dtype=np.int64)
    for j in range(m):
        key[j] = np.int64(users[j]) * n_out + np.int64(outlets[j])
    order = stable_order(key)
    lk = jit.log(keep)
    prior32 = np.float32(prior)
    j = 0
    while j < m:
        kk = key[order[j]]
        dp = 0.0
        dn = 0.0
        while j < m and key[order[j]] == kk:
            dp += pos[order[j]]
            dn += neg[order[j]]
            j += 1
        fac = decay(table, keep, lk, t - last[kk])
        ep[kk], en[kk], trust_media[kk] = evidence_pair(
            ep[kk], en[kk], trust0[kk], fac, dp, dn, prior32
        )
        last[kk] = t


@jit.njit
def evidence_pair(
    pos: np.float32,
    neg: np.float32,
    t0: np.float32,
    fac: float,
    dp: float,
    dn: float,
    prior32: np.float32,
) -> tuple[np.float32, np.float32, np.float32]:
    """One pair's summed evidence (dp, dn) onto its evidence (pos, neg) decayed by ``fac``: the
    new e+, e- and trust, in float32 as stored.

    Scalars in and out: a kernel that handed its arrays to a helper once per pair paid numba's
    reference counting of every array on every call (about 30 us a step at 2,000 users).
    """
    p = np.float32(pos * fac + dp)
    n = np.float32(neg * fac + dn)
    return p, n, (prior32 * t0 + p) / (prior32 + p + n)


def add_evidence(
    state: Any,
    params: Any,
    t: int,
    users: np.ndarray,
    outlets: np.ndarray,
    pos: np.ndarray,
    neg: np.ndarray,
) -> None:
    """Add evidence (one row per event) to the (user, outlet) pairs and re-derive their trust.

    Events of one pair are summed; each touched pair's old evidence is first decayed from its
    last update to ``t``. Cost follows the events, not the N x K pairs (one compiled pass,
    :func:`evidence_kernel`).
    """
    if len(users) == 0:
        return
    keep = keep_per_step(params)
    evidence_kernel(
        users,
        outlets,
        np.ascontiguousarray(pos, dtype=np.float64),
        np.ascontiguousarray(neg, dtype=np.float64),
        state.trust_pos.reshape(-1),
        state.trust_neg.reshape(-1),
        state.trust_last.reshape(-1),
        state.trust_media.reshape(-1),
        state.trust0.reshape(-1),
        state.trust_pos.shape[1],
        int(t),
        keep,
        float(params.trust_prior),
        decay_table(keep),
    )


def trust_at(state: Any, params: Any, t: int, outlet: int = 0) -> np.ndarray:
    """Every user's trust in ``outlet`` at step ``t``: the evidence decayed from its last update
    to ``t`` (``state.trust_media`` holds the value at the last evidence, which overstates old
    evidence). O(n); changes no state."""
    fac = portable.power(keep_per_step(params), t - state.trust_last[:, outlet])
    return beta_trust(
        state.trust0[:, outlet].astype(np.float64),
        state.trust_pos[:, outlet] * fac,
        state.trust_neg[:, outlet] * fac,
        params.trust_prior,
    )


def reply_evidence(
    trust: np.ndarray, critic: np.ndarray, params: Any
) -> tuple[np.ndarray, np.ndarray]:
    """(e+, e-) a reply adds for its recipient, by the recipient's trust and stance.

    With w = ``reply_evidence`` and theta = ``reply_backfire_trust``:
    trusted (trust >= theta) supporter +w; trusted critic +w/2; distrusting supporter +w/2
    (weak); distrusting critic -w (backfire: negative evidence). One compiled pass
    (:func:`reply_evidence_kernel`), not seven numpy calls on a step's few replies.
    """
    return reply_evidence_kernel(
        np.asarray(trust), np.asarray(critic, dtype=np.bool_), float(params.reply_evidence),
        float(params.reply_backfire_trust),
    )  # fmt: skip


@jit.njit
def reply_evidence_kernel(
    trust: np.ndarray, critic: np.ndarray, w: float, theta: float
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`reply_evidence` per reply. Trust is compared with theta in trust's dtype, as numpy
    compares a float32 array with a Python float (NEP 50)."""
    m = trust.shape[0]
    bound = trust.dtype.type(theta)
    pos = np.empty(m)
    neg = np.empty(m)
    for j in range(m):
        if trust[j] >= bound:
            pos[j] = 0.5 * w if critic[j] else w
            neg[j] = 0.0
        else:
            pos[j] = 0.0 if critic[j] else 0.5 * w
            neg[j] = w if critic[j] else 0.0
    return pos, neg
