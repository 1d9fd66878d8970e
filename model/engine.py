"""The model: ``OpinionEcology``, a Mesa model whose step is a pipeline of vectorised phases.

One step is one hour (DESIGN section 3): publish -> deliver -> attend -> react -> update ->
respond -> measure. Users' state lives in numpy arrays (:class:`State`); ``User`` agents are
views of their rows. There is no per-user Python loop anywhere in the step.

Mechanisms and their sources: bounded-confidence updating from content and Deffuant peer
exchange (Deffuant et al. 2000), limited attention on FIFO screens (Weng et al. 2012),
forwarding as an independent cascade (Kempe et al. 2003), cascade trees and structural
virality (Goel et al. 2016). Everything else is documented in docs/ODD.md.

Randomness: one root seed, split with ``SeedSequence.spawn`` into the population-and-networks
stream, content streams and one behaviour stream per phase, plus separate streams for each
strategy mechanism, so that switching a mechanism on never shifts the draws of another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mesa
import numpy as np

from agents.generations import profile_arrays
from agents.outlet import MediaOutlet
from agents.user import User
from model.constants import RECOMMEND_SHARE, TRENDING_POOL, TRENDING_WINDOW
from model.content import (
    CHANNELS,
    DIRECT,
    OUTLET,
    RECOMMENDED,
    SOCIAL,
    TRENDING,
    USER,
    ContentStore,
    EventLog,
)
from model.measures import build_datacollector, snapshot
from model.network import Networks, build_networks
from model.params import Params
from model.strategies import BROADCAST_FRICTION, Strategy


@dataclass
class State:
    """Users' state as arrays (struct of arrays); row i is user i."""

    gen: np.ndarray
    trust_media: np.ndarray
    trust_peers: np.ndarray
    valence: np.ndarray
    arousal: np.ndarray
    base_valence: np.ndarray
    base_arousal: np.ndarray
    opinion: np.ndarray
    epsilon: np.ndarray
    belonging: np.ndarray
    follows: np.ndarray
    initial_follows: np.ndarray
    community: np.ndarray
    reached: np.ndarray
    reached_by_forward: np.ndarray
    last_active: np.ndarray
    last_focal_view: np.ndarray
    last_focal_engage: np.ndarray
    replies: np.ndarray

    def nbytes(self) -> int:
        return sum(v.nbytes for v in vars(self).values())


class Screens:
    """Each user's two FIFO screens: direct (outlets followed) and social (everything else)."""

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

    def nbytes(self) -> int:
        return sum(v.nbytes for v in vars(self).values() if isinstance(v, np.ndarray))

    def unseen(self) -> int:
        return int((~self.soc_seen).sum() + (~self.dir_seen).sum())


def resolve_seed(seed: Any, rng: Any) -> int:
    """The root seed: ``seed`` or ``rng`` (one of them), a non-negative integer; None draws one."""
    if seed is not None and rng is not None:
        raise ValueError("pass either seed or rng, not both")
    root = seed if seed is not None else rng
    if root is None:
        return int(np.random.SeedSequence().entropy % (2**63))
    if isinstance(root, bool) or not isinstance(root, int | np.integer):
        raise TypeError(
            f"seed must be a non-negative integer, got {root!r} ({type(root).__name__})"
        )
    if root < 0:
        raise ValueError(f"seed must be a non-negative integer, got {root}")
    return int(root)


def resolve_params(params: Params | dict | None, overrides: dict[str, Any]) -> Params:
    """Params from a Params, a dict or None, with keyword overrides (validated)."""
    if params is None:
        return Params(**overrides)
    if isinstance(params, dict):
        return Params(**{**params, **overrides})
    if isinstance(params, Params):
        return params.replace(**overrides) if overrides else params
    raise TypeError(f"params must be a model.Params, a dict or None, got {type(params).__name__}")


def social_proof(comments: np.ndarray) -> np.ndarray:
    """Visible comments as social proof in [0, 1]: log(1 + c) / log(101), capped at 100 comments."""
    return np.minimum(1.0, np.log1p(comments) / np.log(101.0))


def random_matching(a: np.ndarray, b: np.ndarray, priority: np.ndarray, n: int, rounds: int = 4):
    """A random matching from proposed pairs (a[i], b[i]): no user ends up in two pairs.

    Luby-style rounds: a proposal is accepted when its random priority is the highest among the
    live proposals touching either of its users; users matched in a round drop out of the next.
    """
    matched = np.zeros(n, dtype=bool)
    out_a, out_b = [], []
    for _ in range(rounds):
        live = ~matched[a] & ~matched[b]
        a, b, priority = a[live], b[live], priority[live]
        if len(a) == 0:
            break
        best = np.full(n, -1.0)
        np.maximum.at(best, a, priority)
        np.maximum.at(best, b, priority)
        acc = (best[a] == priority) & (best[b] == priority)
        matched[a[acc]] = True
        matched[b[acc]] = True
        out_a.append(a[acc])
        out_b.append(b[acc])
    if not out_a:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(out_a), np.concatenate(out_b)


class OpinionEcology(mesa.Model):
    """Users, outlets and content on a two-layer social network; one step is one hour.

    Args:
        params: A :class:`Params`, a dict of fields, or None for the defaults.
        seed: The root seed (a non-negative int). None draws one and stores it in ``self.seed``.
        rng: Same as ``seed`` (``mesa.batch_run`` passes ``rng=``).
        scenario: Accepted for Mesa's SolaraViz, whose Reset passes a ``Scenario``; only its
            ``rng`` is used, as the seed, when neither ``seed`` nor ``rng`` is given.
        **kwargs: Override fields of ``params`` (how SolaraViz and batch_run build models).
    """

    def __init__(
        self,
        params: Params | dict | None = None,
        *,
        seed: Any = None,
        rng: Any = None,
        scenario: Any = None,
        **kwargs: Any,
    ) -> None:
        p = resolve_params(params, kwargs)
        if (
            seed is None
            and rng is None
            and isinstance(getattr(scenario, "rng", None), int | np.integer)
        ):
            rng = scenario.rng  # Mesa's SolaraViz Reset passes its Scenario; its seed is ours
        root = resolve_seed(seed, rng)
        super().__init__(rng=root)
        self.params = p
        self.seed = root
        self.strategy = p.strategy
        streams = np.random.SeedSequence(root).spawn(3)
        pop_ss, content_ss, behaviour_ss = streams
        self.rng_population = np.random.default_rng(pop_ss)
        c_ss = content_ss.spawn(3)
        self.rng_outlets, self.rng_posts, self.rng_followups = map(np.random.default_rng, c_ss)
        b_names = (
            "activity",
            "deliver",
            "attend",
            "react",
            "update",
            "peer",
            "reply",
            "community",
            "target",
            "trending",
        )
        self.streams = dict(
            zip(b_names, map(np.random.default_rng, behaviour_ss.spawn(len(b_names))), strict=True)
        )

        self.prof = profile_arrays()
        self.fmt_pref = np.array(self.prof["format_pref"], dtype=np.float64).reshape(4, 4)
        self.fmt_pref32 = self.fmt_pref.astype(np.float32)
        n = p.n_users
        self.n_users = n
        self.n_outlets = 1 + p.n_background
        self.state = self._init_population()
        self.networks: Networks = build_networks(self.state.gen, p, self.rng_population)
        self.screens = Screens(n, p.screen_size)
        self.content = ContentStore(capacity=max(1024, int(n * p.user_post_prob * 4) + 64))
        self.view_log = EventLog(("item", "parent", "user", "step"))
        self.forward_log = EventLog(("item", "user", "parent", "step"))
        self.outlets = self._init_outlets()
        self.users = [User(self, i) for i in range(n)]

        # Cumulative tallies for the measures: views by (generation, channel, focal?) and focal
        # engagement by generation.
        self.views_by = np.zeros((4, len(CHANNELS), 2), dtype=np.int64)
        self.engaged_by = np.zeros((4, 3), dtype=np.int64)  # likes, comments, forwards
        self.replies_sent = 0
        self._pending_share_user = np.zeros(0, dtype=np.int64)
        self._pending_share_item = np.zeros(0, dtype=np.int64)
        self._pending_outlet_items = np.zeros(0, dtype=np.int64)
        self._new_items = np.zeros(0, dtype=np.int64)

        self.datacollector = build_datacollector(self)
        self.collect()

    # ------------------------------------------------------------------ initialisation
    def _init_population(self) -> State:
        p, rng, prof = self.params, self.rng_population, self.prof
        n, k_out = p.n_users, 1 + p.n_background
        gen = rng.choice(4, size=n, p=np.array(p.generation_mix)).astype(np.int8)
        base_trust = np.clip(prof["trust_media"][gen] + p.trust_shift, 0, 1)
        trust_media = np.clip(base_trust[:, None] + rng.normal(0, 0.1, size=(n, k_out)), 0, 1)
        trust_peers = np.clip(prof["trust_peers"][gen] + rng.normal(0, 0.1, size=n), 0, 1)
        base_valence = np.clip(rng.normal(0.05, 0.2, size=n), -1, 1)
        base_arousal = np.clip(prof["arousal"][gen] + rng.normal(0, 0.1, size=n), 0, 1)
        if p.initial_opinion == "uniform":
            opinion = rng.uniform(-1, 1, size=n)
        else:
            opinion = np.clip(rng.normal(0, 0.4, size=n), -1, 1)
        epsilon = np.clip(p.epsilon + p.epsilon_sd * rng.standard_normal(n), 0.001, 2.0)
        # Cohorts that take less news through social channels follow outlets directly more.
        direct = 1.0 - prof["social_share"][gen]
        mix = np.array(p.generation_mix)
        p_focal = np.clip(
            p.focal_follow_share * direct / (mix @ (1.0 - prof["social_share"])), 0, 1
        )
        follows = np.empty((n, k_out), dtype=bool)
        follows[:, 0] = rng.random(n) < p_focal
        if p.focal_followers >= 0:
            follows[:, 0] = False
            follows[rng.choice(n, size=p.focal_followers, replace=False), 0] = True
        follows[:, 1:] = rng.random((n, k_out - 1)) < p.background_follow_share
        if k_out > 1:
            # everyone takes some news directly: a user who drew no outlet follows one at random
            none = ~follows.any(axis=1)
            pick = rng.integers(1, k_out, size=n)
            follows[none, pick[none]] = True
        belonging = np.where(follows, 0.2, 0.0).astype(np.float32)
        return State(
            gen=gen,
            trust_media=trust_media.astype(np.float32),
            trust_peers=trust_peers.astype(np.float32),
            valence=base_valence.astype(np.float32),
            arousal=base_arousal.astype(np.float32),
            base_valence=base_valence.astype(np.float32),
            base_arousal=base_arousal.astype(np.float32),
            opinion=opinion.astype(np.float64),
            epsilon=epsilon.astype(np.float32),
            belonging=belonging,
            follows=follows,
            initial_follows=follows[:, 0].copy(),
            community=np.zeros(n, dtype=bool),
            reached=np.zeros(n, dtype=bool),
            reached_by_forward=np.zeros(n, dtype=bool),
            last_active=np.full(n, -(10**6), dtype=np.int32),
            last_focal_view=np.full(n, -(10**6), dtype=np.int32),
            last_focal_engage=np.full(n, -(10**6), dtype=np.int32),
            replies=np.zeros(n, dtype=np.int32),
        )

    def _init_outlets(self) -> list[MediaOutlet]:
        p = self.params
        focal = MediaOutlet(
            self,
            0,
            strategy=p.strategy,
            rate=p.outlet_rate,
            stance_mean=p.stance_mean,
            stance_sd=p.stance_sd,
            intensity=p.intensity,
            quality=p.quality,
            format_mix=p.format_mix,
        )
        stances = (
            np.linspace(-0.6, 0.6, p.n_background) if p.n_background > 1 else [0.0] * p.n_background
        )
        background = [
            MediaOutlet(
                self,
                k + 1,
                strategy=Strategy.preset("one_way"),
                rate=p.background_rate,
                stance_mean=float(s),
                stance_sd=0.3,
                intensity=0.5,
                quality=0.6,
                format_mix=(0.3, 0.3, 0.25, 0.15),
            )
            for k, s in enumerate(stances)
        ]
        return [focal, *background]

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """One hour: publish, deliver, attend, react, update, respond, measure."""
        t = self.steps
        posters, browsers = self._sessions(t)
        self._publish(t, posters)
        self._deliver(t)
        views = self._attend(t, browsers)
        reactions = self._react(t, views)
        self._update(t, views, reactions)
        self._respond(t, views, reactions)
        self._measure(t)

    # 1. publish -------------------------------------------------------------------------
    def _sessions(self, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Who opens the app this step, and whether the session is spent posting or browsing."""
        p, s = self.params, self.state
        rng = self.streams["activity"]
        u_act, u_post = rng.random(self.n_users), rng.random(self.n_users)
        p_act = np.minimum(
            1.0,
            self.prof["activity"][s.gen]
            * p.activity_scale
            * (1.0 + p.stickiness * s.belonging[:, 0]),
        )
        active = u_act < p_act
        s.last_active[active] = t
        post = active & (u_post < p.user_post_prob)
        return np.flatnonzero(post), np.flatnonzero(active & ~post)

    def _publish(self, t: int, posters: np.ndarray) -> None:
        p, s, rng = self.params, self.state, self.rng_outlets
        counts = rng.poisson([o.rate for o in self.outlets])
        if t == 1:
            counts[0] += p.initial_items
        src = np.repeat(np.arange(self.n_outlets), counts)
        m = len(src)
        fmt = np.array(
            [rng.choice(4, p=np.array(self.outlets[k].format_mix)) for k in src], dtype=np.int8
        )
        stance_mu = np.array([o.stance_mean for o in self.outlets])[src]
        stance_sd = np.array([o.stance_sd for o in self.outlets])[src]
        intensity = np.array([o.intensity for o in self.outlets])[src]
        quality = np.array([o.quality for o in self.outlets])[src]
        new = self.content.add(
            source_kind=np.full(m, OUTLET),
            source=src,
            format=fmt,
            stance=np.clip(stance_mu + stance_sd * rng.standard_normal(m), -1, 1),
            valence=np.clip(rng.normal(0.0, 0.4, m), -1, 1),
            intensity=np.clip(intensity + 0.15 * rng.standard_normal(m), 0, 1),
            quality=np.clip(quality + 0.1 * rng.standard_normal(m), 0, 1),
            created=np.full(m, t),
        )
        self._new_items = np.concatenate([self._pending_outlet_items, new])
        self._pending_outlet_items = np.zeros(0, dtype=np.int64)
        if len(posters):
            r = self.rng_posts
            k = len(posters)
            g = s.gen[posters]
            cdf = np.cumsum(self.fmt_pref[g], axis=1)
            pfmt = (r.random(k)[:, None] > cdf).sum(axis=1).clip(0, 3)
            items = self.content.add(
                source_kind=np.full(k, USER),
                source=posters,
                format=pfmt,
                stance=np.clip(s.opinion[posters] + 0.1 * r.standard_normal(k), -1, 1),
                valence=s.valence[posters],
                intensity=s.arousal[posters],
                quality=np.clip(0.5 + 0.15 * r.standard_normal(k), 0, 1),
                created=np.full(k, t),
            )
            self._queue_shares(posters, items)

    def _queue_shares(self, users: np.ndarray, items: np.ndarray) -> None:
        self._pending_share_user = np.concatenate([self._pending_share_user, users])
        self._pending_share_item = np.concatenate([self._pending_share_item, items])

    # 2. deliver -------------------------------------------------------------------------
    def _deliver(self, t: int) -> None:
        p, s, c = self.params, self.state, self.content
        sc = self.screens
        # Direct: every follower of an outlet gets its new items, in order (one vectorised
        # write per outlet); a follower keeps at most a screen-full of them.
        new = self._new_items
        for k in np.unique(c.source[new]) if len(new) else ():
            items = new[c.source[new] == k][-sc.size :]
            rec = np.flatnonzero(s.follows[:, k])
            if len(rec) == 0:
                continue
            slot = (sc.dir_ptr[rec][:, None] + np.arange(len(items))) % sc.size
            sc.dir_item[rec[:, None], slot] = items
            sc.dir_seen[rec[:, None], slot] = False
            sc.dir_ptr[rec] += len(items)
            c.count("exposures", np.tile(items, len(rec)))
        # Social: what users shared last step (forwards) and this step (posts) reaches their
        # acquaintances and followers, each with probability organic_reach.
        users, items = self._pending_share_user, self._pending_share_item
        self._pending_share_user = np.zeros(0, dtype=np.int64)
        self._pending_share_item = np.zeros(0, dtype=np.int64)
        if len(users):
            owner, rec = self.networks.audience(users)
            keep = self.streams["deliver"].random(len(rec)) < p.organic_reach
            owner, rec = owner[keep], rec[keep]
            it = items[owner]
            author = np.where(c.source_kind[it] == USER, c.source[it], -1)
            ok = rec != author
            self._push_social(rec[ok], it[ok], users[owner[ok]], SOCIAL)
        # Recommended: the focal outlet targets non-followers by value and format match.
        if self.strategy.targeting:
            rng = self.streams["target"]
            for item in self._new_items:
                if c.source[item] != 0:
                    continue
                cand = np.flatnonzero(rng.random(self.n_users) < RECOMMEND_SHARE)
                cand = cand[~s.follows[cand, 0]]
                match = (
                    self.fmt_pref[s.gen[cand], c.format[item]]
                    * 4.0
                    * (1.0 - np.abs(s.opinion[cand] - c.stance[item]) / 2.0)
                )
                cand = cand[rng.random(len(cand)) < np.clip(match, 0, 1)]
                self._push_social(
                    cand, np.full(len(cand), item), np.full(len(cand), -1), RECOMMENDED
                )

    def trending_items(self, t: int, top: int = 10) -> np.ndarray:
        """The ``top`` items with most likes + comments + forwards among those of the last day."""
        c = self.content
        start = int(np.searchsorted(c.created, t - TRENDING_WINDOW, side="left"))
        if start >= c.n:
            return np.zeros(0, dtype=np.int64)
        eng = c.likes[start:] + c.comments[start:] + c.forwards[start:]
        if eng.max(initial=0) == 0:
            return np.zeros(0, dtype=np.int64)
        best = np.argsort(-eng, kind="stable")[:top]
        return (best[eng[best] > 0] + start).astype(np.int64)

    def _push_social(self, rec: np.ndarray, items: np.ndarray, frm: np.ndarray, chan: int) -> None:
        """Write deliveries into social screens, FIFO; an item already on either of the user's
        screens (seen or not) is not delivered again."""
        if len(rec) == 0:
            return
        sc, c = self.screens, self.content
        rec = rec.astype(np.int64)
        items = items.astype(np.int64)
        key = rec * (c.n + 1) + items
        order = np.argsort(key, kind="stable")
        key, rec, items, frm = key[order], rec[order], items[order], frm[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        onscreen = (sc.soc_item[rec] == items[:, None]).any(axis=1)
        # an outlet's item may also sit on the direct screen, if the user follows the outlet
        outlet = np.flatnonzero(c.source_kind[items] == OUTLET)
        outlet = outlet[self.state.follows[rec[outlet], c.source[items[outlet]]]]
        onscreen[outlet] |= (sc.dir_item[rec[outlet]] == items[outlet][:, None]).any(axis=1)
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
        keep = rank >= n_per[grp] - sc.size
        slot = (sc.soc_ptr[rec] + rank) % sc.size
        r, sl = rec[keep], slot[keep]
        sc.soc_item[r, sl] = items[keep]
        sc.soc_from[r, sl] = frm[keep]
        sc.soc_chan[r, sl] = chan
        sc.soc_seen[r, sl] = False
        sc.soc_ptr[rec[start]] += n_per
        c.count("exposures", items[keep])

    # 3. attend --------------------------------------------------------------------------
    def _attend(self, t: int, users: np.ndarray) -> dict[str, np.ndarray]:
        """Active users view up to their attention budget, split between screens by social share."""
        p, s, sc = self.params, self.state, self.screens
        rng = self.streams["attend"]
        m = len(users)
        g = s.gen[users]
        if p.unlimited_attention:
            budget = np.full(m, 2 * sc.size, dtype=np.int64)
        else:
            mean = self.prof["attention"][g] * p.attention_scale
            budget = np.maximum(1, np.floor(mean + rng.random(m))).astype(np.int64)
        want_soc = rng.binomial(budget, self.prof["social_share"][g])
        soc_items, dir_items = sc.soc_item[users], sc.dir_item[users]
        soc_ok = (soc_items >= 0) & ~sc.soc_seen[users]
        dir_ok = (dir_items >= 0) & ~sc.dir_seen[users]
        a_soc, a_dir = soc_ok.sum(axis=1), dir_ok.sum(axis=1)
        if p.trending_prob > 0:
            filled = self._platform_fill(t, users, want_soc, a_soc)
            if len(filled):
                fu = users[filled]
                soc_items[filled] = sc.soc_item[fu]
                soc_ok[filled] = (soc_items[filled] >= 0) & ~sc.soc_seen[fu]
                a_soc[filled] = soc_ok[filled].sum(axis=1)
        n_soc = np.minimum(want_soc, a_soc)
        n_dir = np.minimum(budget - want_soc, a_dir)
        spare = budget - n_soc - n_dir
        extra = np.minimum(spare, a_soc - n_soc)
        n_soc += extra
        n_dir += np.minimum(spare - extra, a_dir - n_dir)

        w_soc = w_dir = None
        if p.choice_weights:
            item_w = self._item_weight(t)
            w_soc = lambda rows: self._choice_weight(users[rows], soc_items[rows], item_w)  # noqa: E731
            w_dir = lambda rows: self._choice_weight(users[rows], dir_items[rows], item_w)  # noqa: E731
        r1, c1 = self._choose(rng, soc_ok, n_soc, a_soc, w_soc)
        r2, c2 = self._choose(rng, dir_ok, n_dir, a_dir, w_dir)
        u1, u2 = users[r1], users[r2]
        sc.soc_seen[u1, c1] = True
        sc.dir_seen[u2, c2] = True
        views = {
            "user": np.concatenate([u1, u2]),
            "item": np.concatenate([soc_items[r1, c1], dir_items[r2, c2]]).astype(np.int64),
            "chan": np.concatenate([sc.soc_chan[u1, c1], np.full(len(u2), DIRECT, np.int8)]),
            "from": np.concatenate([sc.soc_from[u1, c1], np.full(len(u2), -1, np.int32)]).astype(
                np.int64
            ),
        }
        self._record_views(t, views)
        return views

    def _platform_fill(
        self, t: int, users: np.ndarray, want: np.ndarray, unseen: np.ndarray
    ) -> np.ndarray:
        """A social feed never runs dry: the platform tops it up with trending items.

        A user who opens a social channel wanting more items than its social screen holds
        unseen (``unseen``) is shown items drawn from the day's most engaging ones (channel
        'trending'). Returns the positions in ``users`` whose screens were topped up.
        """
        rng = self.streams["trending"]
        short = want - unseen
        short[rng.random(len(users)) >= self.params.trending_prob] = 0
        filled = np.flatnonzero(short > 0)
        need = users[filled]
        pool = self.trending_items(t, top=TRENDING_POOL)
        if len(need) == 0 or len(pool) == 0:
            return np.zeros(0, dtype=np.int64)
        # twice the shortfall, since items already on the screen are not shown again
        rec = np.repeat(need, 2 * short[short > 0])
        it = pool[rng.integers(0, len(pool), size=len(rec))]
        own = (self.content.source_kind[it] == USER) & (self.content.source[it] == rec)
        rec, it = rec[~own], it[~own]
        self._push_social(rec, it, np.full(len(rec), -1), TRENDING)
        return filled

    @staticmethod
    def _choose(
        rng: np.random.Generator,
        ok: np.ndarray,
        n_take: np.ndarray,
        avail: np.ndarray,
        weight: Callable[[np.ndarray], np.ndarray] | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Weighted sampling without replacement of n_take slots per row (Efraimidis & Spirakis 2006).

        Rows that take every available slot need no draw; the others sort keys E / w, E ~ Exp(1),
        with ``weight(rows)`` giving the slots' weights (None: uniform).
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
        order = np.argsort(keys[many], axis=1)
        take = np.arange(ok.shape[1])[None, :] < n_take[part[many]][:, None]
        rows_p = np.broadcast_to(part[many][:, None], order.shape)[take]
        return np.concatenate([rows_a, rows_1, rows_p]), np.concatenate(
            [cols_a, cols_1, order[take]]
        )

    def _item_weight(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per step: each cohort's weight of each item (format preference x recency x social
        proof), the trust column each item draws on, and users' trust with a last column for
        user items (interpersonal trust)."""
        p, c, s = self.params, self.content, self.state
        w = np.exp(-(t - c.created) / p.recency_tau).astype(np.float32)
        outlet = c.source_kind == OUTLET
        if self.strategy.comments_visible:
            focal = outlet & (c.source == 0)
            w[focal] *= (1.0 + p.w_proof * social_proof(c.comments[focal])).astype(np.float32)
        by_gen = self.fmt_pref32[:, c.format] * w  # (4, items)
        column = np.where(outlet, c.source, self.n_outlets).astype(np.int64)
        trust = np.concatenate([s.trust_media, s.trust_peers[:, None]], axis=1)
        return by_gen, column, trust

    def _choice_weight(
        self,
        users: np.ndarray,
        items: np.ndarray,
        item_w: tuple[np.ndarray, np.ndarray, np.ndarray],
    ) -> np.ndarray:
        """Format preference x recency x social proof x (0.5 + trust in the source), per slot."""
        by_gen, column, trust = item_w
        it = np.maximum(items, 0)
        g = self.state.gen[users].astype(np.int64)
        w = by_gen.reshape(-1)[g[:, None] * by_gen.shape[1] + it]
        tr = trust.reshape(-1)[users[:, None] * trust.shape[1] + column[it]]
        return w * (np.float32(0.5) + tr)

    def _record_views(self, t: int, v: dict[str, np.ndarray]) -> None:
        p, s, c = self.params, self.state, self.content
        if len(v["user"]) == 0:
            return
        c.count("views", v["item"])
        focal = (c.source_kind[v["item"]] == OUTLET) & (c.source[v["item"]] == 0)
        g = s.gen[v["user"]]
        nch = self.views_by.shape[1]
        key = (g.astype(np.int64) * nch + v["chan"]) * 2 + focal
        self.views_by += np.bincount(key, minlength=self.views_by.size).reshape(self.views_by.shape)
        s.reached[v["user"][focal]] = True
        s.last_focal_view[v["user"][focal]] = t
        s.reached_by_forward[v["user"][focal & (v["chan"] == SOCIAL)]] = True
        if p.record_cascades != "none":
            rec = focal if p.record_cascades == "focal" else np.ones(len(focal), dtype=bool)
            it = v["item"][rec]
            parent = v["from"][rec]
            # a user's own post reaches its audience from the root
            parent = np.where((c.source_kind[it] == USER) & (c.source[it] == parent), -1, parent)
            self.view_log.append(it, parent, v["user"][rec], np.full(int(rec.sum()), t))

    # 4. react ---------------------------------------------------------------------------
    def _react(self, t: int, v: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Like, comment and forward, each more likely with resonance (DESIGN section 3.4)."""
        p, s, c = self.params, self.state, self.content
        rng = self.streams["react"]
        u, it = v["user"], v["item"]
        m = len(u)
        draws = rng.random((4, m))
        kind, src = c.source_kind[it], c.source[it]
        outlet = kind == OUTLET
        focal = outlet & (src == 0)
        g = s.gen[u]
        t_media = s.trust_media[u, np.where(outlet, src, 0)]
        forwarded = v["from"] >= 0
        # trust in the source: the outlet, or (for a forward) outlet and forwarder together
        trust = np.where(
            outlet,
            np.where(forwarded, np.sqrt(t_media * s.trust_peers[u]), t_media),
            s.trust_peers[u],
        )
        reactivity = self.prof["reactivity"][g]
        emotion = c.intensity[it] * reactivity * (1.0 - np.abs(s.valence[u] - c.valence[it]) / 2.0)
        value = 1.0 - np.abs(s.opinion[u] - c.stance[it]) / 2.0
        proof = np.zeros(m)
        if self.strategy.comments_visible:
            proof = np.where(focal, social_proof(c.comments[it]), 0.0)
        # w_proof stays in the denominator when comments are invisible, so that visible
        # comments can only add resonance (one_way's resonance tops out at 3/3.5 by default)
        wsum = p.w_trust + p.w_emotion + p.w_value + p.w_proof
        res = (
            p.w_trust * trust + p.w_emotion * emotion + p.w_value * value + p.w_proof * proof
        ) / max(wsum, 1e-12)
        like = draws[0] < np.minimum(1.0, 2.0 * p.base_like * res)
        comment = draws[1] < np.minimum(1.0, 2.0 * p.base_comment * res)
        friction = np.where(
            focal, self.strategy.forward_friction, np.where(outlet, BROADCAST_FRICTION, 0.0)
        )
        if p.forward_model == "fixed":
            p_fwd = np.full(m, p.forward_p)
        else:
            # emotional resonance drives secondary dissemination
            p_fwd = np.minimum(1.0, 2.0 * p.base_forward * res * (0.5 + emotion))
        forward = draws[2] < p_fwd * (1.0 - friction)
        c.count("likes", it[like])
        c.count("comments", it[comment])
        c.count("forwards", it[forward])
        gf = g[focal]
        s.last_focal_engage[u[focal & (like | comment | forward)]] = t
        self.engaged_by += np.stack(
            [np.bincount(gf[x[focal]], minlength=4) for x in (like, comment, forward)], axis=1
        )
        self._queue_shares(u[forward], it[forward])
        # every forward is logged (item, forwarder, the user it came from, step): forwards are
        # few next to views, so this costs little even at 10^6 users
        parent = np.where((kind == USER) & (src == v["from"]), -1, v["from"])
        self.forward_log.append(
            it[forward], u[forward], parent[forward], np.full(int(forward.sum()), t)
        )
        # engaged non-followers may start following the focal outlet
        engaged = focal & (like | comment) & ~s.follows[u, 0] & (draws[3] < p.follow_prob)
        s.follows[u[engaged], 0] = True
        return {
            "res": res,
            "trust": trust,
            "focal": focal,
            "outlet": outlet,
            "like": like,
            "comment": comment,
            "forward": forward,
            "emotion": emotion,
        }

    # 5. update --------------------------------------------------------------------------
    def _update(self, t: int, v: dict[str, np.ndarray], r: dict[str, np.ndarray]) -> None:
        p, s, c = self.params, self.state, self.content
        n = self.n_users
        u, it = v["user"], v["item"]
        stance = c.stance[it].astype(np.float64)
        diff = stance - s.opinion[u]
        inside = np.abs(diff) < s.epsilon[u]
        # bounded confidence toward content, weighted by trust (averaged over the step's views)
        if len(u):
            nviews = np.bincount(u, minlength=n)
            pull = np.bincount(u, weights=np.where(inside, r["trust"] * diff, 0.0), minlength=n)
            s.opinion += p.mu_content * pull / np.maximum(nviews, 1)
        # trust in outlets moves toward the outcome: a value match (times quality) or a mismatch
        out = r["outlet"]
        if out.any():
            k = c.source[it[out]].astype(np.int64)
            key = u[out] * self.n_outlets + k
            y = np.where(inside[out], c.quality[it[out]], 0.0)
            cnt = np.bincount(key, minlength=n * self.n_outlets)
            tot = np.bincount(key, weights=y, minlength=n * self.n_outlets)
            tm = s.trust_media.reshape(-1)
            seen = np.flatnonzero(cnt)
            tm[seen] += p.trust_rate * (tot[seen] / cnt[seen] - tm[seen])
            # belonging grows with resonant contact with the outlet's content
            b = s.belonging.reshape(-1)
            gain = np.bincount(key, weights=r["res"][out], minlength=n * self.n_outlets)[seen]
            b[seen] += (p.belonging_gain * gain * (1.0 - b[seen])).astype(np.float32)
        fwd_view = v["from"] >= 0
        if fwd_view.any():
            uf = u[fwd_view]
            cnt = np.bincount(uf, minlength=n)
            y = np.bincount(uf, weights=inside[fwd_view].astype(np.float64), minlength=n)
            seen = cnt > 0
            s.trust_peers[seen] += (
                0.5 * p.trust_rate * (y[seen] / cnt[seen] - s.trust_peers[seen])
            ).astype(np.float32)
        # emotion relaxes to baseline and is pulled by what was consumed
        react = self.prof["reactivity"][s.gen]
        nv = np.maximum(np.bincount(u, minlength=n), 1) if len(u) else np.ones(n)
        dval = (
            np.bincount(u, weights=c.valence[it] - s.valence[u], minlength=n) / nv
            if len(u)
            else 0.0
        )
        daro = (
            np.bincount(u, weights=c.intensity[it] - s.arousal[u], minlength=n) / nv
            if len(u)
            else 0.0
        )
        s.valence += (
            p.emotion_relax * (s.base_valence - s.valence) + p.emotion_pull * react * dval
        ).astype(np.float32)
        s.arousal += (
            p.emotion_relax * (s.base_arousal - s.arousal) + p.emotion_pull * react * daro
        ).astype(np.float32)
        # belonging decays; active community members keep each other close
        s.belonging *= np.float32(1.0 - p.belonging_decay)
        if self.strategy.community:
            members = s.community & (s.last_active == t)
            s.belonging[members, 0] += np.float32(p.community_gain) * (1 - s.belonging[members, 0])
        # peer exchange (Deffuant): disjoint random pairs per round, so the order inside a round
        # does not matter and the vectorised update is the sequential model's
        for _ in range(p.peer_rounds):
            self._peer_round()
        # churn: the unfollow hazard rises as belonging and trust fall below their thresholds
        hazard = (
            p.churn_prob
            * np.clip(1.0 - s.belonging[:, 0] / max(p.churn_belonging, 1e-12), 0, 1)
            * np.clip(1.0 - s.trust_media[:, 0] / max(p.churn_trust, 1e-12), 0, 1)
        )
        leave = s.follows[:, 0] & (self.streams["update"].random(n) < hazard)
        s.follows[leave, 0] = False
        self._clip()

    def _peer_round(self) -> None:
        p, s = self.params, self.state
        if p.peer_prob <= 0:
            return
        rng = self.streams["peer"]
        n = self.n_users
        part = np.flatnonzero(rng.random(n) < p.peer_prob)
        if p.peer_mixing == "complete":
            part = rng.permutation(part)
            half = len(part) // 2
            a, b = part[:half], part[half : 2 * half]
        else:
            acq = self.networks.acq
            deg = acq.degree[part]
            pick = rng.random(len(part))
            part, deg, pick = part[deg > 0], deg[deg > 0], pick[deg > 0]
            b = acq.indices[acq.indptr[part] + (pick * deg).astype(np.int64)].astype(np.int64)
            a, b = random_matching(part, b, rng.random(len(part)), n)
        if len(a) == 0:
            return
        xa, xb = s.opinion[a], s.opinion[b]
        d = xb - xa
        move_a = np.abs(d) < s.epsilon[a]
        move_b = np.abs(d) < s.epsilon[b]
        s.opinion[a] = np.where(move_a, xa + p.peer_mu * d, xa)
        s.opinion[b] = np.where(move_b, xb - p.peer_mu * d, xb)

    def _clip(self) -> None:
        s = self.state
        np.clip(s.opinion, -1, 1, out=s.opinion)
        np.clip(s.trust_media, 0, 1, out=s.trust_media)
        np.clip(s.trust_peers, 0, 1, out=s.trust_peers)
        np.clip(s.valence, -1, 1, out=s.valence)
        np.clip(s.arousal, 0, 1, out=s.arousal)
        np.clip(s.belonging, 0, 1, out=s.belonging)

    # 6. respond -------------------------------------------------------------------------
    def _respond(
        self, t: int, views: dict[str, np.ndarray], v_react: dict[str, np.ndarray]
    ) -> None:
        """The focal outlet replies, gathers its community and follows up on conversations."""
        p, s, c, st = self.params, self.state, self.content, self.strategy
        commented = v_react["comment"] & v_react["focal"]
        cu, ci = views["user"][commented], views["item"][commented]
        if st.reply_capacity > 0 and len(cu):
            # one reply per commenter per step, to at most reply_capacity commenters
            commenters = np.unique(cu)
            ru = commenters[self.streams["reply"].permutation(len(commenters))[: st.reply_capacity]]
            gain = p.reply_gain * (2.0 if st.emotional_rewards else 1.0)
            s.trust_media[ru, 0] += np.float32(p.reply_gain) * (1 - s.trust_media[ru, 0])
            s.belonging[ru, 0] += np.float32(gain) * (1 - s.belonging[ru, 0])
            if st.emotional_rewards:
                s.valence[ru] += np.float32(0.3) * (1 - s.valence[ru])
            s.replies[ru] += 1
            self.replies_sent += len(ru)
        if st.community and len(cu):
            s.community[cu] = True
            members = np.flatnonzero(s.community)
            if p.community_fanout > 0 and len(members) > 1:
                # what users add becomes content: each comment is an item members see
                rng = self.streams["community"]
                k = len(cu)
                items = self.content.add(
                    source_kind=np.full(k, USER),
                    source=cu,
                    format=np.zeros(k, np.int8),
                    stance=np.clip(s.opinion[cu], -1, 1),
                    valence=s.valence[cu],
                    intensity=s.arousal[cu],
                    quality=c.quality[ci],
                    created=np.full(k, t),
                    parent=ci,
                )
                f = min(p.community_fanout, len(members) - 1)
                rec = members[rng.integers(0, len(members), size=(k, f))].reshape(-1)
                who = np.repeat(cu, f)
                ok = rec != who
                self._push_social(rec[ok], np.repeat(items, f)[ok], who[ok], SOCIAL)
        if st.follow_up:
            c = self.content
            hot = np.flatnonzero(
                (c.source_kind == OUTLET)
                & (c.source == 0)
                & (c.comments >= p.follow_up_threshold)
                & ~c.followed_up
                & (c.parent < 0)
            )
            if len(hot):
                c.followed_up[hot] = True
                rng = self.rng_followups
                k = len(hot)
                new = c.add(
                    source_kind=np.full(k, OUTLET),
                    source=np.zeros(k, np.int32),
                    format=c.format[hot],
                    stance=c.stance[hot],
                    valence=c.valence[hot],
                    intensity=c.intensity[hot],
                    quality=np.clip(c.quality[hot] + 0.1 * rng.random(k), 0, 1),
                    created=np.full(k, t),
                    parent=hot,
                )
                self._pending_outlet_items = np.concatenate([self._pending_outlet_items, new])

    # 7. measure -------------------------------------------------------------------------
    def _measure(self, t: int) -> None:
        p = self.params
        self.collect()
        if (
            self.steps >= p.steps
            or p.stop_when == "converged"
            and self.opinions_converged()
            or p.stop_when == "extinct"
            and self.extinct()
        ):
            self.running = False

    def collect(self) -> None:
        """Compute this step's measures once and hand them to the DataCollector."""
        self.last_snapshot = snapshot(self)
        self.datacollector.collect(self)

    def opinions_converged(self, tol: float = 1e-6) -> bool:
        """No pair can interact any more: clusters are further apart than epsilon and each is a point."""
        x = np.sort(self.state.opinion)
        gaps = np.diff(x)
        eps = float(self.state.epsilon.max())
        within = gaps[gaps < eps]
        return bool(within.max(initial=0.0) < tol)

    def extinct(self) -> bool:
        """Nothing can spread any more: nothing is published, pending or unseen on any screen, and
        the platform has no trending item left to top feeds up with."""
        p = self.params
        publishing = (
            p.outlet_rate > 0
            or (p.n_background > 0 and p.background_rate > 0)
            or p.user_post_prob > 0
        )
        trending = p.trending_prob > 0 and len(self.trending_items(self.steps)) > 0
        return not (
            publishing
            or trending
            or len(self._pending_share_user)
            or len(self._pending_outlet_items)
            or self.screens.unseen()
        )

    # ------------------------------------------------------------------ conveniences
    @property
    def focal(self) -> MediaOutlet:
        return self.outlets[0]

    def run(self, steps: int | None = None) -> OpinionEcology:
        """Step until ``running`` is False or ``steps`` more steps (default: the horizon) have run."""
        target = self.steps + (steps if steps is not None else self.params.steps)
        while self.running and self.steps < target:
            self.step()
        return self

    def memory_bytes(self) -> dict[str, int]:
        """Bytes held by each part of the model (users' arrays, screens, networks, content, logs)."""
        return {
            "state": self.state.nbytes(),
            "screens": self.screens.nbytes(),
            "networks": self.networks.nbytes(),
            "content": self.content.nbytes(),
            "logs": self.view_log.nbytes() + self.forward_log.nbytes(),
        }
