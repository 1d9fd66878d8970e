"""Spreading rules with memory: threshold forwarding and the Maki-Thompson rumour (ODD 7.17).

Both are forwarding rules (``forward_model``), registered beside ``resonance`` and ``fixed``.
Their ``probability`` is the spontaneous one, ``forward_p``, for an item a user did not see
through a share (e.g. an outlet's follower seeing its item: the initial adopters); what else
they forward they decide in ``adopt``, which the react phase calls with the step's views.

* ``threshold`` (Granovetter 1978; Watts 2002; complex contagion, Centola & Macy 2007): user i
  forwards item x once the distinct sharers of x delivered to i reach its threshold,
  ``count(i, x) >= phi_i`` (``threshold_kind="count"``) or ``count(i, x) >= phi_i k_i`` with k_i
  the accounts whose shares reach i, acquaintances plus followees (``"share"``). Deliveries are
  counted as the deliver phase makes them (:meth:`Threshold.observe`), before a screen drops an
  item it already holds, so a user who has seen the item is re-evaluated when a new sharer
  arrives (Watts's synchronous update). Counts are kept only for (user, item) pairs reached by
  a share, in a sorted sparse store: the cost follows the deliveries.
* ``rumour`` (Maki & Thompson 1973; Daley & Kendall 1965): a user who forwards an item becomes
  its spreader; each step every spreader contacts one random other user (anyone when the
  peer-mixing rule is well mixed, else a random member of its audience). An ignorant contact learns
  the item (it is pushed onto the contact's social screen, so it is viewed and reached) and
  becomes a spreader; if the contact already knows it, the initiating spreader becomes a
  stifler. Spreaders do not broadcast to their audience.

Each user forwards (adopts) an item at most once under these rules; every adoption is logged
in ``forward_log``, so :func:`model.measures.adopted_share` counts adopters.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.content import SOCIAL
from model.rules.base import RuleSettings
from model.rules.forwarding import friction_of
from model.rules.registry import FORWARDING
from model.schema import Interval, Options, field
from model.world import Adoptions, ForwardingParams, ForwardingRule, World

if TYPE_CHECKING:
    from model.step.records import Views

_EMPTY = np.zeros(0, dtype=np.int64)

#: Rumour states of a known (user, item) pair; an absent pair is ignorant.
SPREADER, STIFLER = 1, 2


class PairStore:
    """Integer values per (user, item), only for the pairs added: sorted keys item * n + user.

    Args:
        n: Number of users.
        fields: Names of the int64 value arrays kept per pair (all start at 0).
    """

    def __init__(self, n: int, fields: tuple[str, ...]) -> None:
        self.n = n
        self.keys = _EMPTY.copy()
        self.values = {f: _EMPTY.copy() for f in fields}

    def key(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """The key of each (user, item)."""
        return np.asarray(items, dtype=np.int64) * self.n + np.asarray(users, dtype=np.int64)

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of ``keys`` in the store and whether each is present."""
        pos = np.searchsorted(self.keys, keys)
        ok = pos < len(self.keys)
        ok[ok] = self.keys[pos[ok]] == keys[ok]
        return pos, ok

    def get(self, name: str, keys: np.ndarray) -> np.ndarray:
        """Field ``name`` of each key, 0 for an absent pair."""
        pos, ok = self.find(keys)
        out = np.zeros(len(keys), dtype=np.int64)
        out[ok] = self.values[name][pos[ok]]
        return out

    def add(self, keys: np.ndarray) -> np.ndarray:
        """Insert the absent ``keys`` (values 0); the positions of all ``keys`` afterwards."""
        _, ok = self.find(keys)
        new = np.sort(keys[~ok])
        if len(new):
            new = new[np.concatenate(([True], new[1:] != new[:-1]))]
            # a merge of the few new keys into the sorted store: one O(K) copy, no re-sort
            at = np.searchsorted(self.keys, new)
            self.keys = np.insert(self.keys, at, new)
            for name, vals in self.values.items():
                self.values[name] = np.insert(vals, at, 0)
        return np.searchsorted(self.keys, keys)

    def set(self, name: str, keys: np.ndarray, value: int) -> None:
        """Set field ``name`` of ``keys`` (inserted if absent) to ``value``."""
        pos = self.add(keys)
        self.values[name][pos] = value

    def __len__(self) -> int:
        return len(self.keys)


def _keep(world: World, items: np.ndarray) -> np.ndarray:
    """1 - forward friction of each item (the react phase's friction, docs/ODD.md 7.9)."""
    return 1.0 - friction_of(world, items)


def thresholds(settings: ThresholdSettings, n: int) -> np.ndarray:
    """Each user's threshold phi_i (a count, or a share of its accounts), no draws.

    ``granovetter_uniform`` gives user i the threshold i (Granovetter's crowd: 0, 1, ..., N-1),
    as a share i / (N - 1); ``granovetter_broken`` raises user 1's threshold to 2.
    """
    if settings.threshold_dist == "constant":
        return np.full(n, float(settings.threshold_phi))
    phi = np.arange(n, dtype=np.float64)
    if settings.threshold_dist == "granovetter_broken" and n > 1:
        phi[1] = 2.0
    return phi / max(n - 1, 1) if settings.threshold_kind == "share" else phi


@dataclass(slots=True)
class ThresholdState:
    """What the threshold rule remembers.

    Attributes:
        store: Per (user, item) reached by a share: distinct sharers seen (``count``), whether
            the user adopted (``adopted``) and the last sharer (``last``).
        need: Each user's threshold as a number of sharers (phi, or phi k), less a tolerance.
        touched: Keys whose count rose since the last react phase.
    """

    store: PairStore
    need: np.ndarray
    touched: np.ndarray = dataclasses.field(default_factory=lambda: _EMPTY.copy())


@dataclass(frozen=True)
class ThresholdSettings(RuleSettings):
    """The threshold rule's parameters."""

    threshold_phi: float = field(
        0.18,
        Interval(float, 0.0, 1e6),
        group="reactions",
        symbol="φ",
        label="Forward threshold φ",
        unit="",
        doc="Threshold phi of forward_model='threshold': the share (threshold_kind='share') or the "
        "number ('count') of distinct sharers of an item a user must have seen to forward it "
        "(Granovetter 1978; Watts 2002).",
    )
    threshold_kind: str = field(
        "share",
        Options("share", "count"),
        group="reactions",
        label="Threshold kind",
        unit="",
        doc="Threshold on the share of a user's accounts (acquaintances and followees) who shared "
        "the item, or on their number (complex contagion, Centola & Macy 2007).",
    )
    threshold_dist: str = field(
        "constant",
        Options("constant", "granovetter_uniform", "granovetter_broken"),
        group="reactions",
        label="Thresholds per user",
        unit="",
        doc="Thresholds per user: phi for all; user i has threshold i (Granovetter's uniform "
        "crowd; as a share, i / (N - 1)); or the same with user 1's threshold raised to 2.",
    )


@FORWARDING.register("threshold")
class Threshold(ForwardingRule):
    """Forward once the distinct sharers seen reach the threshold: count >= phi (or phi k)."""

    Settings = ThresholdSettings
    settings: ThresholdSettings
    # the spontaneous forward probability
    uses = frozenset({"forward_p"})

    broadcast = True
    state: ThresholdState

    def probability(
        self, params: ForwardingParams, res: np.ndarray, emotion: np.ndarray
    ) -> np.ndarray:
        """The spontaneous forward probability, ``forward_p``, per view (no draws)."""
        return np.full(len(res), params.forward_p)

    def init(self, world: World) -> None:
        """An empty store and each user's threshold (the networks are built; no draws)."""
        n = world.n_users
        phi = thresholds(self.settings, n)
        if self.settings.threshold_kind == "share":
            nets = world.networks
            k = nets.acq.degree + np.bincount(nets.followers.indices, minlength=n)
            phi = phi * k
        # the tolerance keeps e.g. phi k = 0.18 * 50 = 9.000000000000002 reachable by 9
        self.state = ThresholdState(PairStore(n, ("count", "adopted", "last")), phi - 1e-9)

    def observe(
        self, world: World, rec: np.ndarray, items: np.ndarray, sharers: np.ndarray
    ) -> None:
        """Count the distinct sharers of each (recipient, item) of one step's deliveries."""
        st = self.state
        store = st.store
        if len(rec) == 0:
            return
        key = store.key(rec, items)
        # a sharer reaching a user twice in one batch (acquaintance and follower) counts once
        order = np.lexsort((sharers, key))
        key, sharers = key[order], np.asarray(sharers, dtype=np.int64)[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = (key[1:] != key[:-1]) | (sharers[1:] != sharers[:-1])
        key, sharers = key[first], sharers[first]
        pos = store.add(key)
        np.add.at(store.values["count"], pos, 1)
        store.values["last"][pos] = sharers
        st.touched = np.concatenate([st.touched, key])

    def _meets(self, keys: np.ndarray) -> np.ndarray:
        st = self.state
        return st.store.get("count", keys) >= st.need[keys % st.store.n]

    def adopt(
        self,
        world: World,
        t: int,
        v: Views,
        draw: np.ndarray,
        keep: np.ndarray,
        forward: np.ndarray,
    ) -> tuple[np.ndarray, Adoptions]:
        """Forwards of this step: views that meet the threshold (or forward spontaneously) and
        the users whose threshold this step's deliveries crossed without a view.

        Args:
            world: The model.
            t: The step.
            v: The step's views.
            draw: One uniform per view (the react phase's forward draw).
            keep: 1 - friction per view.
            forward: The react phase's forwards, replaced by the threshold's decisions.

        Returns:
            A forward flag per view, and the other adoptions as (users, items, parents).
        """
        st = self.state
        store = st.store
        key = store.key(v.user, v.item)
        shared = v.source_user >= 0
        p = np.where(shared, 0.0, world.params.forward_p)
        p = np.where(self._meets(key), 1.0, p)
        forward = (draw < p * keep) & (store.get("adopted", key) == 0)
        # a pair viewed twice in one step (two screens) forwards once
        fk = key[forward]
        _, first = np.unique(fk, return_index=True)
        once = np.zeros(len(fk), dtype=bool)
        once[first] = True
        forward[np.flatnonzero(forward)[~once]] = False
        store.set("adopted", key[forward], 1)
        # re-evaluation: pairs whose count rose this step and that no view decided
        late = np.setdiff1d(np.unique(st.touched), key)
        st.touched = _EMPTY.copy()
        late = late[(store.get("adopted", late) == 0) & self._meets(late)]
        items = late // store.n
        late = late[world.streams["react"].random(len(late)) < _keep(world, items)]
        store.set("adopted", late, 1)
        users, items = late % store.n, late // store.n
        return forward, (users, items, store.get("last", late))


@FORWARDING.register("rumour")
class Rumour(ForwardingRule):
    """Maki-Thompson: spreaders contact one random user per step; meeting one who knows stifles.

    Its state is a :class:`PairStore` of rumour states per (user, item) (absent: ignorant).
    """

    # forward_p starts spreading; complete mixing makes every user a contact
    uses = frozenset({"forward_p", "peer_mixing"})

    broadcast = False
    store: PairStore

    def init(self, world: World) -> None:
        """Everyone ignorant of everything."""
        self.store = PairStore(world.n_users, ("state",))

    def probability(
        self, params: ForwardingParams, res: np.ndarray, emotion: np.ndarray
    ) -> np.ndarray:
        """The probability that a view starts spreading the item, ``forward_p`` (no draws)."""
        return np.full(len(res), params.forward_p)

    def counts(self) -> dict[str, int]:
        """Spreader and stifler pairs (user, item) now."""
        state = self.store.values["state"]
        return {
            "spreaders": int((state == SPREADER).sum()),
            "stiflers": int((state == STIFLER).sum()),
        }

    def adopt(
        self,
        world: World,
        t: int,
        v: Views,
        draw: np.ndarray,
        keep: np.ndarray,
        forward: np.ndarray,
    ) -> tuple[np.ndarray, Adoptions]:
        """Viewers who start spreading, then one contact per spreader (the rumour's step).

        ``forward`` (the react phase's) is replaced: only ignorant viewers start spreading.

        Returns:
            A forward flag per view (ignorant viewers who start spreading), and the contacts
            who learned the item as (users, items, the spreader who told them).
        """
        store = self.store
        key = store.key(v.user, v.item)
        forward = (draw < world.params.forward_p * keep) & (store.get("state", key) == 0)
        fk = key[forward]
        _, first = np.unique(fk, return_index=True)
        once = np.zeros(len(fk), dtype=bool)
        once[first] = True
        forward[np.flatnonzero(forward)[~once]] = False
        store.set("state", key[forward], SPREADER)
        return forward, self._contacts(world, store)

    def _contacts(
        self, world: World, store: PairStore
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every spreader contacts once, in random order; outcomes as if one after another.

        A contact's target knows the item if it knew it at the start of the step or if an
        earlier contact of this step reached it (which either told it or found it knowing),
        so the sequence of outcomes is the sequential process's: each contact tells an
        ignorant with probability (ignorants) / (N - 1) given everything before it.
        """
        rng = world.streams["react"]
        n = store.n
        spread = np.flatnonzero(store.values["state"] == SPREADER)
        if len(spread) == 0:
            return _EMPTY, _EMPTY, _EMPTY
        spread = spread[rng.permutation(len(spread))]
        skey = store.keys[spread]
        who, item = skey % n, skey // n
        target = self._targets(world, rng, who)
        ok = target >= 0
        spread, who, item, target = spread[ok], who[ok], item[ok], target[ok]
        tkey = item * n + target
        _, first, inv = np.unique(tkey, return_index=True, return_inverse=True)
        earlier = first[inv] < np.arange(len(tkey))
        knows = (store.get("state", tkey) != 0) | earlier
        store.values["state"][spread[knows]] = STIFLER
        told = ~knows
        store.set("state", tkey[told], SPREADER)
        rec, items, frm = target[told], item[told], who[told]
        world.screens.push_social(world.content, world.state.follows, rec, items, frm, SOCIAL)
        return rec, items, frm

    @staticmethod
    def _targets(world: World, rng: np.random.Generator, who: np.ndarray) -> np.ndarray:
        """A random other user (complete mixing) or audience member per spreader (-1: none)."""
        n = world.n_users
        if world.rules.peer_mixing.well_mixed:
            j = rng.integers(0, n - 1, size=len(who))
            return j + (j >= who)
        nets = world.networks
        d_acq, d_fol = nets.acq.degree[who], nets.followers.degree[who]
        d = d_acq + d_fol
        r = np.floor(rng.random(len(who)) * d).astype(np.int64)
        from_acq = r < d_acq
        out = np.full(len(who), -1, dtype=np.int64)
        a = from_acq & (d > 0)
        out[a] = nets.acq.indices[nets.acq.indptr[who[a]] + r[a]]
        f = ~from_acq & (d > 0)
        out[f] = nets.followers.indices[nets.followers.indptr[who[f]] + r[f] - d_acq[f]]
        return out
