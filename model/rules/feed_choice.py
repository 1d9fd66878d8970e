"""Feed choice rules: which unseen slots a user attends, given how many (docs/ODD.md 7.7).

Both rules sample without replacement with :func:`sample_slots` (Efraimidis & Spirakis 2006).
``weighted`` weighs a slot by format preference x recency x exp(w_proof x signed social proof,
when the platform shows comments) x (0.5 + trust in the source); ``uniform`` weighs every slot alike, as in Weng et al. (2012).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from model import portable
from model.content import OUTLET, item_proof
from model.rules.base import RuleSettings
from model.rules.registry import FEED_CHOICE
from model.schema import Interval, field
from model.world import FeedChoiceRule, SlotWeights, World


def sample_slots(
    rng: np.random.Generator,
    ok: np.ndarray,
    n_take: np.ndarray,
    avail: np.ndarray,
    weight: Callable[[np.ndarray], np.ndarray] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted sampling without replacement of n_take slots per row (Efraimidis & Spirakis 2006).

    Rows that take every available slot need no draw; the others sort keys E / w, E ~ Exp(1),
    with ``weight(rows)`` giving the slots' weights (None: uniform). Rows with ``n_take == 0``
    take nothing and draw nothing, so leaving them out changes no draw.

    Args:
        rng: The generator the keys are drawn from.
        ok: (rows, slots) which slots may be taken.
        n_take: Slots to take per row (at most ``avail``).
        avail: ``ok.sum(axis=1)``.
        weight: Slot weights of the given rows, or None.

    Returns:
        (rows, cols) of the slots taken.
    """
    all_rows = n_take >= avail
    rows_a, cols_a = np.nonzero(ok & all_rows[:, None])
    part = np.flatnonzero(~all_rows & (n_take > 0))
    if len(part) == 0:
        return rows_a, cols_a
    sub_ok = ok[part]
    keys = rng.standard_exponential(size=sub_ok.shape, dtype=np.float32)
    if weight is not None:
        keys /= np.maximum(weight(part), np.float32(1e-12))
    keys[~sub_ok] = np.inf
    # a single pick is an argmin; only rows taking several need a sort
    one = n_take[part] == 1
    rows_1, cols_1 = part[one], np.argmin(keys[one], axis=1)
    many = ~one
    order = np.argsort(keys[many], axis=1, kind="stable")
    take = np.arange(ok.shape[1])[None, :] < n_take[part[many]][:, None]
    rows_p = np.broadcast_to(part[many][:, None], order.shape)[take]
    return np.concatenate([rows_a, rows_1, rows_p]), np.concatenate([cols_a, cols_1, order[take]])


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
        doc="Time scale (steps) of the recency preference on screen.",
    )


@FEED_CHOICE.register("weighted")
class Weighted(FeedChoiceRule):
    """Format preference x recency x exp(w_proof x proof) x (0.5 + trust in the source), per slot."""

    Settings = WeightedSettings
    settings: WeightedSettings

    def slot_weights(self, world: World, t: int) -> SlotWeights:
        """This step's weight function (users, items) -> weights (float32, positive).

        Item weights are computed once per step; trust is read from the users' rows when the
        function is called, so only the rows attention gathers are read.
        """
        p, c, s = world.params, world.content, world.state
        w = recency_weights(t - c.created, self.settings.recency_tau)
        outlet = c.source_kind == OUTLET
        if p.comments_visible:
            # signed proof: a supportive thread draws the eye, a hostile one repels (exp keeps
            # the weight positive; 1 for an empty thread)
            w *= portable.exp(p.w_proof * item_proof(c, np.arange(c.n), p)).astype(np.float32)
        by_gen = world.fmt_pref32[:, c.format] * w  # (4, items)
        column = np.where(outlet, c.source, world.n_outlets).astype(np.int64)
        gen, n_out = s.gen, world.n_outlets

        def weigh(users: np.ndarray, items: np.ndarray) -> np.ndarray:
            it = np.maximum(items, 0)
            g = gen[users].astype(np.int64)
            wi = by_gen.reshape(-1)[g[:, None] * by_gen.shape[1] + it]
            # trust in the source: the outlet's column, or interpersonal trust for a user item
            col = column[it]
            peer = col == n_out
            tr = s.trust_media[users[:, None], np.where(peer, 0, col)]
            tr = np.where(peer, s.trust_peers[users][:, None], tr)
            return wi * (np.float32(0.5) + tr)

        return weigh


@FEED_CHOICE.register("uniform")
class Uniform(FeedChoiceRule):
    """Every unseen slot equally likely."""

    def slot_weights(self, world: World, t: int) -> SlotWeights:
        """None: :func:`sample_slots` draws uniformly."""
        return None
