"""The model: ``OpinionEcology``, a Mesa model whose step is a pipeline of vectorised phases.

One step is one hour (docs/ODD.md 3): publish -> deliver -> attend -> react -> update ->
respond -> measure, one module each in :mod:`model.step`. The model holds the world: users'
state as arrays (:class:`model.population.State`; ``User`` agents are views of its rows), the
networks, the screens, the content, the outbox, the random streams, the tallies and the logs.

Mechanisms and their sources: bounded-confidence updating from content and Deffuant peer
exchange (Deffuant et al. 2000), limited attention on FIFO screens (Weng et al. 2012),
forwarding as an independent cascade (Kempe et al. 2003), cascade trees and structural
virality (Goel et al. 2016). Everything else is documented in docs/ODD.md.

Randomness (docs/ODD.md 4): one root seed, split with ``SeedSequence.spawn`` into the
population-and-networks stream, content streams and one behaviour stream per phase, plus
separate streams for each strategy mechanism, so that switching a mechanism on never shifts
the draws of another.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import mesa
import numpy as np

from agents.generations import profile_arrays
from agents.outlet import MediaOutlet
from agents.user import User
from model import rules
from model import snapshot as snapshot_file
from model import step as phases
from model.constants import TRENDING_WINDOW
from model.content import CHANNELS, ContentStore, EventLog, top_engaged, top_engaged_on
from model.measures import build_datacollector, snapshot
from model.measures.population import daily_focal_viewers, reach
from model.network import Networks, build_networks
from model.params import Params
from model.population import State, init_appeal, init_outlets, init_population, outlet_table
from model.ride import Ride
from model.screens import Screens
from model.topics import Topics, topics_on
from model.world import MeasureCaches, Scratch

#: The behaviour streams, one per phase or mechanism (docs/ODD.md 4).
BEHAVIOUR_STREAMS = (
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
    "tone",
    "moderate",
    "emotion",
    # topics and creators (docs/ODD.md 7.18): last, so the streams above keep their seeds
    "topics",
    "creators",
    # the user follow layer (docs/ODD.md 7.19)
    "user_follow",
    # outlets that ride users' trends (docs/ODD.md 7.20), after every earlier stream
    "ride",
)


def resolve_seed(seed: Any, rng: Any) -> int:
    """The root seed: ``seed`` or ``rng`` (one of them), a non-negative integer; None draws one."""
    if seed is not None and rng is not None:
        raise ValueError("pass either seed or rng, not both")
    root = seed if seed is not None else rng
    if root is None:
        entropy = np.random.SeedSequence().entropy
        assert isinstance(entropy, int)  # a fresh SeedSequence draws one integer
        return entropy % (2**63)
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


class HorizonWarning(UserWarning):
    """``run(steps)`` asked for steps past the model's horizon ``params.steps``."""


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
        self.rules = rules.selected(p)
        pop_ss, content_ss, behaviour_ss = np.random.SeedSequence(root).spawn(3)
        self.rng_population = np.random.default_rng(pop_ss)
        c_ss = content_ss.spawn(3)
        self.rng_outlets, self.rng_posts, self.rng_followups = map(np.random.default_rng, c_ss)
        # one item stream per outlet (the counts come from rng_outlets, one uniform per outlet)
        self.rng_outlet = [np.random.default_rng(x) for x in c_ss[0].spawn(1 + p.n_background)]
        b_ss = behaviour_ss.spawn(len(BEHAVIOUR_STREAMS))
        self.streams = dict(zip(BEHAVIOUR_STREAMS, map(np.random.default_rng, b_ss), strict=True))

        self.prof = profile_arrays()
        self.fmt_pref = np.array(self.prof["format_pref"], dtype=np.float64).reshape(4, 4)
        self.fmt_pref32 = self.fmt_pref.astype(np.float32)
        n = p.n_users
        self.n_users = n
        self.n_outlets = 1 + p.n_background
        self.state: State = init_population(
            p, self.rng_population, self.prof, self.rules.initial_opinion
        )
        self.networks: Networks = build_networks(self.state.gen, p, self.rng_population)
        init_appeal(p, self.streams["creators"], self.state.appeal)
        self.screens = Screens(n, p.screen_size)
        self.content = ContentStore(capacity=max(1024, int(n * p.user_post_prob * 4) + 64))
        self.outbox = phases.Outbox()
        self.view_log = EventLog(("item", "parent", "user", "step"))
        self.forward_log = EventLog(("item", "user", "parent", "step"))
        self.outlets: list[MediaOutlet] = init_outlets(self, p)
        self.outlet = outlet_table(self.outlets, p.item_hours)
        self.users = [User(self, i) for i in range(n)]
        # every rule's state, created now that the networks exist (model/world.py)
        self.rules.init(self)
        # cumulative tallies for the measures: views by (generation, channel, focal?) and focal
        # engagement by generation (likes, comments, forwards)
        self.views_by = np.zeros((4, len(CHANNELS), 2), dtype=np.int64)
        self.engaged_by = np.zeros((4, 3), dtype=np.int64)
        # forwards of focal items by the forwarder's cohort (adoptions without a view included),
        # focal items published (follow-ups included) and each user's last step with a focal
        # view (4 bytes per user): what forwards_per_item and daily_focal_viewers read
        self.focal_forwards_by = np.zeros(4, dtype=np.int64)
        self.focal_items = 0
        self.last_focal_view = np.full(n, -(10**6), dtype=np.int32)
        self.replies_sent = 0
        # per outlet: items published (not follow-ups), replies and reviews (cumulative), and
        # this step's staff budget (capacities and use) for the budget checks
        k_out = self.n_outlets
        self.published = np.zeros(k_out, dtype=np.int64)
        self.replies_by = np.zeros(k_out, dtype=np.int64)
        self.reviews_by = np.zeros(k_out, dtype=np.int64)
        self.budget = {
            key: np.zeros(k_out, dtype=np.int64)
            for key in ("reply_cap", "replies", "review_cap", "reviews", "member_cap", "members")
        }
        # the one staff budget (docs/ODD.md 7.12): hours paid in and not yet spent (the balance
        # carries the conversation's unused time to the next step's publishing) and the hours
        # spent, cumulative, per outlet; member-steps hosted per outlet (cumulative)
        self.staff_balance = np.zeros(k_out, dtype=np.float64)
        self.staff_spent = np.zeros(k_out, dtype=np.float64)
        self.member_steps = np.zeros(k_out, dtype=np.int64)
        self.caches = MeasureCaches()
        self.scratch = Scratch.zeros(n)  # the update kernels' per-user scratch
        self.datacollector = build_datacollector(self)
        # Full measures (the snapshot and a DataCollector row) every collect_every steps; an
        # experiment that records a time series every 24 steps sets 24 (experiments.run). The
        # two series that final measures read step by step are kept every step regardless.
        self.collect_every = 1
        self.step_series: dict[str, list[float]] = {"reach": [], "daily_focal_viewers": []}
        # topics and the trending list of topics (docs/ODD.md 7.18): inactive by default. Made
        # last: the golden digest keys a shared scalar (a small int, a bool) by the first
        # attribute that holds it, so new attributes come after the old ones
        self.topics = Topics(p)
        # outlets that ride users' trends (docs/ODD.md 7.20): inactive by default
        self.ride = Ride(self.n_outlets, self.topics.n)
        self.collect()
        self.collect_series()

    def step(self) -> None:
        """One hour: publish, deliver, attend, react, update, respond, measure."""
        t = self.steps
        sessions = phases.sessions(self, t)
        phases.publish(self, t, sessions)
        phases.deliver(self, t)
        views = phases.attend(self, t, sessions)
        reactions = phases.react(self, t, views)
        phases.update(self, t, views, reactions)
        phases.respond(self, t, views, reactions)
        if topics_on(self.params):
            # the trending list the next step's channel and derivative posts read
            self.topics.update(self.content, self.params, t)
        phases.measure(self, t)

    def settle(self) -> None:
        """Bring the state that is updated lazily (emotion's relaxation, docs/ODD.md 7.10) up
        to this step, so a reader sees what a step-by-step engine holds. The measures call it;
        so should a reader of ``state`` between collections (``collect_every`` > 1)."""
        self.rules.emotion.settle(self, int(self.steps))

    def collect(self) -> None:
        """Compute this step's measures once and hand them to the DataCollector."""
        self.settle()
        self.last_snapshot = snapshot(self)
        self.collected_at = int(self.steps)
        self.datacollector.collect(self)

    def collect_series(self) -> None:
        """Append this step's reach and daily focal viewers to ``step_series``: from the
        snapshot when this step collected one, else computed alone (the same bits: both are
        shares of users, ``model.measures.population``)."""
        if self.collected_at == self.steps:
            snap = self.last_snapshot
            self.step_series["reach"].append(snap["reach"])
            self.step_series["daily_focal_viewers"].append(snap["daily_focal_viewers"])
        else:
            self.step_series["reach"].append(float(reach(self)))
            self.step_series["daily_focal_viewers"].append(float(daily_focal_viewers(self)))

    def current_snapshot(self) -> dict[str, float]:
        """This step's measures: the collected snapshot, or one computed now without a
        DataCollector row (for a reader that needs a step between collections)."""
        if self.collected_at != self.steps:
            self.settle()
            return snapshot(self)
        return self.last_snapshot

    def trending_items(self, t: int, top: int = 10) -> np.ndarray:
        """The ``top`` items with most likes + comments + forwards among those of the last day;
        with ``trending_by = "topics"``, among those of the topics on the trending list
        (docs/ODD.md 7.18)."""
        c = self.content
        since = int(t) - TRENDING_WINDOW
        if self.params.trending_by == "topics":
            on = self.topics.rank >= 0
            return top_engaged_on(
                c.created, c.likes, c.comments, c.forwards, since, int(top), c.topic, on
            )
        return top_engaged(c.created, c.likes, c.comments, c.forwards, since, int(top))

    def topic_trending_since(self, topics: np.ndarray | int) -> np.ndarray:
        """The step each of ``topics`` entered the trending list (its current spell on it), -1
        for a topic not on it (docs/ODD.md 7.18)."""
        return self.topics.trending_since(topics)

    def user_follower_counts(self) -> np.ndarray:
        """Each user's current number of user followers (int64; the user follow layer,
        docs/ODD.md 7.19)."""
        return np.asarray(self.networks.followers.degree, dtype=np.int64)

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
            or len(self.outbox.share_user)
            or len(self.outbox.outlet_items)
            or self.screens.unseen()
        )

    @property
    def focal(self) -> MediaOutlet:
        """The focal outlet (index 0), which carries the experimental strategy."""
        return self.outlets[0]

    def run(self, steps: int | None = None) -> OpinionEcology:
        """Step until ``running`` is False or ``steps`` more steps (default: the horizon) have run.

        A run stops at the horizon ``params.steps`` whatever ``steps`` asks, so that a model
        never measures past the end it was built for; asking for more warns, naming the horizon
        and how to move it (``Params(steps=...)``).
        """
        target = self.steps + (steps if steps is not None else self.params.steps)
        while self.running and self.steps < target:
            self.step()
        if steps is not None and self.steps < target and self.steps >= self.params.steps:
            warnings.warn(
                f"run({steps}) stopped after step {self.steps}: that is the horizon "
                f"params.steps={self.params.steps}; build the model with Params(steps=...) to "
                "run longer",
                HorizonWarning,
                stacklevel=2,
            )
        return self

    def save(self, path: str | Path) -> Path:
        """Write the whole model to ``path``: a snapshot that :meth:`load` continues bit for bit.

        Arrays, networks, screens, content, logs, rule state, every random stream and the
        DataCollector's frames (:mod:`model.snapshot`). The file is whole or absent (written
        to a temporary file in the same folder, then moved into place).
        """
        return snapshot_file.save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> OpinionEcology:
        """The model saved in ``path`` by :meth:`save`, ready to continue.

        The file is unpickled with the restricted unpickler of :mod:`model.snapshot`: it makes
        only what a snapshot holds, and the classes of this class's modules (a subclass of
        one's own), and refuses any other name before calling it. Load snapshots you trust all
        the same.

        Raises:
            model.snapshot.SnapshotError: The file is missing, is not a snapshot, was written
                by another snapshot format version (the message says which is read), or holds
                a name no snapshot holds.
        """
        model = snapshot_file.load(path, allow=snapshot_file.modules_of(cls))
        if not isinstance(model, cls):
            raise snapshot_file.SnapshotError(
                f"{path} holds a {type(model).__name__}, not a {cls.__name__}"
            )
        return model

    def branch(self, **changes: Any) -> OpinionEcology:
        """A new, independent copy of this model with ``changes`` to its parameters.

        For an intervention after a burn-in, e.g. ``model.branch(strategy="interactive")``.
        The copy continues from this step with the same random streams (arms branched from one
        model are paired exactly where they start to differ) and keeps the frames so far. Only
        fields that did not shape what was built may change (:func:`model.snapshot.branch_fixed`).

        Raises:
            model.snapshot.BranchError: A change to a field fixed at build; the message names it
                and the fields that are fixed.
        """
        return snapshot_file.branch(self, **changes)

    def memory_bytes(self) -> dict[str, int]:
        """Bytes held by each part of the model (users' arrays, screens, networks, content, logs)."""
        return {
            "state": self.state.nbytes(),
            "screens": self.screens.nbytes(),
            "networks": self.networks.nbytes(),
            "content": self.content.nbytes(),
            "topics": self.topics.nbytes(),
            "logs": self.view_log.nbytes() + self.forward_log.nbytes(),
        }
