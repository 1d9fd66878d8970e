"""Feed choice rules: which unseen slots a user attends, given how many (docs/ODD.md 7.7).

Both rules sample without replacement with :func:`sample_slots` (Efraimidis & Spirakis 2006),
whose picking runs in one compiled kernel (:func:`take_slots`).
``weighted`` weighs a slot by format preference x recency x exp(w_proof x signed social proof,
when the platform shows comments) x (0.5 + trust in the source); ``uniform`` weighs every slot alike, as in Weng et al. (2012).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from model import portable
from model.content import OUTLET, PROOF_MIN_VIEWS
from model.jit import exp, njit
from model.rules.base import RuleSettings
from model.rules.registry import FEED_CHOICE
from model.schema import Interval, field
from model.world import FeedChoiceRule, SlotWeights, World

# weights below this count as this (a zero weight would make the key infinite)
_MIN_WEIGHT = np.float32(1e-12)
# rows taking at most this many slots select them; longer takes sort the row
_SELECT_MAX = 8
# the bits of float32 inf: a key >= 0 has bits in [0, _INF_BITS], which order as the keys do
_INF_BITS = 0x7F800000
# a selected slot's code: above every other code
_TAKEN = np.iinfo(np.int64).max


def sample_slots(
    rng: np.random.Generator,
    ok: np.ndarray,
    n_take: np.ndarray,
    avail: np.ndarray,
    weight: Callable[[np.ndarray], np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted sampling without replacement of n_take slots per row (Efraimidis & Spirakis 2006).

    Rows that take every available slot need no draw; the others sort keys E / w, E ~ Exp(1),
    with ``weight(rows)`` giving the slots' weights (float32; None: uniform). Rows with
    ``n_take == 0`` take nothing and draw nothing, so leaving them out changes no draw.

    Args:
        rng: The generator the keys are drawn from.
        ok: (rows, slots) which slots may be taken.
        n_take: Slots to take per row (at most ``avail``).
        avail: ``ok.sum(axis=1)``.
        weight: Slot weights of the given rows, or None.

    Returns:
        (rows, cols) of the slots taken: first the rows taking every slot (row by row, slots in
        order), then the rows taking one (by row), then the others (by row, smallest key first).
    """
    ok = np.ascontiguousarray(ok, dtype=np.bool_)
    n_take = np.asarray(n_take, dtype=np.int64)
    avail = np.asarray(avail, dtype=np.int64)
    rows = np.arange(ok.shape[0], dtype=np.int64)
    # the kernel reads the slots from screen-like arrays: every slot holds item 0, unseen if ok
    item = np.zeros(ok.shape, dtype=np.int32)
    part = np.flatnonzero((n_take < avail) & (n_take > 0))
    keys, w = draw_keys(rng, len(part), ok.shape[1], weight, part)
    r, c, _ = take_slots(rows, item, ~ok, n_take, avail, keys, w)
    return r, c


def draw_keys(
    rng: np.random.Generator,
    n_rows: int,
    n_slots: int,
    weight: Callable[..., np.ndarray] | None,
    *args: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The Exp(1) keys of ``n_rows`` sampled rows (float32) and their weights ``weight(*args)``.

    No row, no draw (the stream keeps its state). Without weights, the weights are an empty
    (0, n_slots) array: :func:`take_slots` then sorts the keys unweighted.
    """
    if n_rows == 0:
        empty = np.zeros((0, n_slots), dtype=np.float32)
        return empty, empty
    keys = rng.standard_exponential(size=(n_rows, n_slots), dtype=np.float32)
    if weight is None:
        return keys, np.zeros((0, n_slots), dtype=np.float32)
    return keys, np.ascontiguousarray(weight(*args), dtype=np.float32)


@njit
def take_slots(
    users: np.ndarray,
    item: np.ndarray,
    seen: np.ndarray,
    n_take: np.ndarray,
    avail: np.ndarray,
    keys: np.ndarray,
    weight: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The slots ``users`` take on one screen (``item``, ``seen``), given the keys drawn.

    A slot may be taken if it holds an item (>= 0) and is unseen. A row with ``n_take == 0``
    takes nothing and is not read; one with ``n_take >= avail`` takes every such slot; one with
    0 < ``n_take`` < ``avail`` (the sampled rows, ``keys`` and ``weight`` rows in their order)
    takes the ``n_take`` slots of smallest key E / max(w, 1e-12), ties to the lower slot: the
    first ``n_take`` of a stable argsort, as :func:`numpy.argsort` with ``kind="stable"`` orders
    them, in float32 as the array code did. ``weight`` with no rows means uniform weights.
    Each screen row is read once.

    A short take selects: each slot's code is its key's bits (an int32 that orders as the key
    does, the key being >= 0) above its index, so the codes are distinct and order as (key,
    slot), and each of the ``n_take`` passes takes the smallest code without a branch. A row
    with a key that is not a number >= 0 (a NaN weight) is selected as
    :func:`_first_smallest` does instead.

    Returns:
        (user, slot, item) of each slot taken (int64), in :func:`sample_slots`' order.
    """
    n_rows, n_slots = users.shape[0], item.shape[1]
    weighted = weight.shape[0] > 0
    n_all = n_one = n_many = 0
    for i in range(n_rows):
        k = n_take[i]
        if k <= 0:
            continue
        if k >= avail[i]:
            n_all += 1
        elif k == 1:
            n_one += 1
        else:
            n_many += k
    # the three parts of the output in the order of the array code: rows taking every slot,
    # rows taking one (argmin), rows taking several (sorted)
    out = np.empty((3, n_all * n_slots + n_one + n_many), dtype=np.int64)
    pos_all, pos_one, pos_many = 0, n_all * n_slots, n_all * n_slots + n_one
    key = np.empty(n_slots, dtype=np.float32)
    bits = key.view(np.int32)
    code = np.empty(n_slots, dtype=np.int64)
    order_buf = np.empty(n_slots, dtype=np.int64)
    tmp_buf = np.empty(n_slots, dtype=np.int64)
    p = -1
    for i in range(n_rows):
        k = n_take[i]
        if k <= 0:
            continue
        u = users[i]
        if k >= avail[i]:
            for j in range(n_slots):
                if item[u, j] >= 0 and not seen[u, j]:
                    out[0, pos_all], out[1, pos_all], out[2, pos_all] = u, j, item[u, j]
                    pos_all += 1
            continue
        p += 1
        for j in range(n_slots):
            if item[u, j] >= 0 and not seen[u, j]:
                e = keys[p, j]
                if weighted:
                    w = weight[p, j]
                    if w < _MIN_WEIGHT:
                        w = _MIN_WEIGHT
                    e = e / w
                key[j] = e
            else:
                key[j] = np.inf
        pos = pos_one if k == 1 else pos_many
        if k > _SELECT_MAX:
            order = _stable_argsort(key, order_buf, tmp_buf)
            for m in range(k):
                j = order[m]
                out[0, pos + m], out[1, pos + m], out[2, pos + m] = u, j, item[u, j]
        else:
            plain = True
            for j in range(n_slots):
                b = bits[j]
                plain &= (b >= 0) & (b <= _INF_BITS)
                code[j] = (np.int64(b) << 32) | j
            if not plain:
                _first_smallest(key, k, order_buf)
            for m in range(k):
                if plain:
                    c = code[0]
                    for j in range(1, n_slots):
                        c = min(c, code[j])
                    j = c & 0xFFFFFFFF
                    code[j] = _TAKEN
                else:
                    j = order_buf[m]
                out[0, pos + m], out[1, pos + m], out[2, pos + m] = u, j, item[u, j]
        if k == 1:
            pos_one += 1
        else:
            pos_many += k
    # rows taking every slot may hold fewer than n_slots: move the other parts left to close the
    # gap (element by element: a 2-D slice copy here costs seconds of compile time)
    start = n_all * n_slots
    if start > pos_all:
        for m in range(n_one + n_many):
            for r in range(3):
                out[r, pos_all + m] = out[r, start + m]
    end = pos_all + n_one + n_many
    return out[0, :end], out[1, :end], out[2, :end]


@njit
def _first_smallest(key: np.ndarray, k: int, pick: np.ndarray) -> None:
    """The first ``k`` slots in order of ``key`` into ``pick``: ``k`` passes, each taking the
    first smallest untaken key (the selection for rows with a NaN key, whose comparisons give
    no order)."""
    for m in range(k):
        best = -1
        for j in range(key.shape[0]):
            untaken = True
            for q in range(m):
                if pick[q] == j:
                    untaken = False
            if untaken and (best < 0 or key[j] < key[best]):
                best = j
        pick[m] = best


@njit
def _stable_argsort(key: np.ndarray, order: np.ndarray, tmp: np.ndarray) -> np.ndarray:
    """The slots in order of ``key``, ties in slot order (a bottom-up merge sort into ``order``,
    with ``tmp`` as scratch; numba's own stable argsort takes seconds to compile)."""
    n = key.shape[0]
    for j in range(n):
        order[j] = j
    width = 1
    src, dst = order, tmp
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            a, b = lo, mid
            for m in range(lo, hi):
                # the left run wins ties: stable
                if a < mid and (b >= hi or not key[src[b]] < key[src[a]]):
                    dst[m] = src[a]
                    a += 1
                else:
                    dst[m] = src[b]
                    b += 1
        src, dst = dst, src
        width *= 2
    return src


# exp(-a / tau) in float32 is 0 beyond a / tau = 104 (the smallest float32 is e^-103.3)
RECENCY_SPAN = 104.0
# ages of a table at most this long are looked up; longer recency times compute directly
RECENCY_TABLE_MAX = 1 << 20


@functools.lru_cache(maxsize=8)
def _recency_table(tau: float) -> np.ndarray:
    table = portable.exp(-np.arange(int(RECENCY_SPAN * tau) + 2) / tau).astype(np.float32)
    table.flags.writeable = False
    return table


def recency_weights(age: np.ndarray, tau: float) -> np.ndarray:
    """exp(-age / tau) as float32 for whole ages >= 0, from a table computed once per tau."""
    if RECENCY_SPAN * tau + 2 > RECENCY_TABLE_MAX:
        return portable.exp(-age / tau).astype(np.float32)
    table = _recency_table(tau)
    return table[np.minimum(age, len(table) - 1)]


@dataclass(frozen=True)
class WeightedSettings(RuleSettings):
    """The weighted feed choice's parameters."""

    recency_tau: float = field(
        24.0,
        Interval(float, 0.1, 1e6),
        group="attention",
        label="Recency time scale",
        unit="steps",
        doc="Time scale (steps) of the recency preference on screen.",
    )


@FEED_CHOICE.register("weighted")
class Weighted(FeedChoiceRule):
    """Format preference x recency x exp(w_proof x proof) x (0.5 + trust in the source), per slot."""

    Settings = WeightedSettings
    settings: WeightedSettings

    def slot_weights(self, world: World, t: int) -> SlotWeights:
        """This step's weight function (users, items) -> weights (float32, positive).

        Nothing is computed per item in advance: the function computes the weights of the slots
        it is given, in one kernel (:func:`weighted_slots`), so a step costs what attention
        gathers, not what the content store holds. An item's recency and proof are those of the
        content when the function first meets the item (attention changes neither).
        """
        p, c, s = world.params, world.content, world.state
        tau = self.settings.recency_tau
        # a table too long to build is empty: the kernel then computes exp(-age / tau) itself
        table = _recency_table(tau) if RECENCY_SPAN * tau + 2 <= RECENCY_TABLE_MAX else _NO_TABLE
        item_cols = (
            c.created,
            c.format,
            c.source_kind,
            c.source,
            c.supportive,
            c.critical,
            c.uncivil,
            c.removed,
            c.removed_critical,
            c.removed_uncivil,
            c.replies,
            c.views,
        )
        # each item's recency x proof as computed by the first call that meets it
        memo = np.full(c.n, -1.0, dtype=np.float32)
        proof = np.array(
            [p.w_proof, p.negativity_weight, p.proof_share] if p.comments_visible else []
        )

        def weigh(users: np.ndarray, items: np.ndarray) -> np.ndarray:
            return weighted_slots(
                np.ascontiguousarray(users, dtype=np.int64),
                np.ascontiguousarray(items, dtype=np.int64),
                s.gen,
                s.trust_media,
                s.trust_peers,
                world.fmt_pref32,
                t,
                table,
                tau,
                proof,
                memo,
                *item_cols,
            )

        return weigh


_NO_TABLE = np.zeros(0, dtype=np.float32)


@njit
def weighted_slots(
    users: np.ndarray,
    items: np.ndarray,
    gen: np.ndarray,
    trust_media: np.ndarray,
    trust_peers: np.ndarray,
    fmt_pref: np.ndarray,
    t: int,
    table: np.ndarray,
    tau: float,
    proof: np.ndarray,
    memo: np.ndarray,
    created: np.ndarray,
    fmt: np.ndarray,
    source_kind: np.ndarray,
    source: np.ndarray,
    supportive: np.ndarray,
    critical: np.ndarray,
    uncivil: np.ndarray,
    removed: np.ndarray,
    removed_critical: np.ndarray,
    removed_uncivil: np.ndarray,
    replies: np.ndarray,
    views: np.ndarray,
) -> np.ndarray:
    """The weighted rule's weight of each slot (``users[i]``, ``items[i, j]``), float32.

    fmt_pref[gen, format] x (recency x exp(w_proof x proof)) x (0.5 + trust in the source), in
    the float32 operations and order of the array code; an empty slot (item -1) is weighed as
    item 0. ``proof`` is (w_proof, negativity weight, proof share), or empty when comments are
    hidden; the proof follows :func:`model.content.item_proof` operation by operation, the
    recency :func:`recency_weights` (``table``, or exp(-age / tau) when ``table`` is empty).
    ``memo`` holds each item's recency x proof once computed (negative: not yet), so an item on
    many screens is computed once per step.
    """
    out = np.empty(items.shape, dtype=np.float32)
    n_table = table.shape[0]
    for i in range(items.shape[0]):
        u = users[i]
        g = gen[u]
        for j in range(items.shape[1]):
            it = max(items[i, j], 0)
            if it >= memo.shape[0]:
                # compiled code checks no bounds: an item newer than the function is an error
                raise IndexError("slot_weights: an item published after the weights were made")
            w = memo[it]
            if w < 0:
                age = t - created[it]
                w = table[min(age, n_table - 1)] if n_table > 0 else np.float32(exp(-age / tau))
                if proof.shape[0] > 0:
                    # visible_thread and social_proof (model.content)
                    crit = critical[it] - removed_critical[it]
                    sup = supportive[it] - (removed[it] - removed_critical[it])
                    unc = uncivil[it] - removed_uncivil[it]
                    rep = replies[it]
                    sp = float(sup) + rep
                    neg = proof[1] * (float(crit) + unc)
                    n = float(sup) + crit + rep
                    tot = sp + neg
                    sign = (sp - neg) / tot if tot > 0 else 0.0
                    size = n / (proof[2] * max(float(views[it]), PROOF_MIN_VIEWS))
                    # np.minimum's nan: a nan size stays nan
                    size = 1.0 if size >= 1.0 else size
                    w = w * np.float32(exp(proof[0] * (sign * size)))
                memo[it] = w
            wi = fmt_pref[g, fmt[it]] * w
            # trust in the source: the outlet's, or interpersonal trust for a user's item
            tr = trust_media[u, source[it]] if source_kind[it] == OUTLET else trust_peers[u]
            out[i, j] = wi * (np.float32(0.5) + tr)
    return out


@FEED_CHOICE.register("uniform")
class Uniform(FeedChoiceRule):
    """Every unseen slot equally likely."""

    def slot_weights(self, world: World, t: int) -> SlotWeights:
        """None: :func:`sample_slots` draws uniformly."""
        return None
