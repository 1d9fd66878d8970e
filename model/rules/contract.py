"""The contract every registered rule keeps, as a check a plug-in's author can call.

:func:`check_rule` runs a registered rule class against its phase's contract, in a small
default world a few steps in: the output has the shape and bounds its phase expects, the same
seed gives the same output, and the rule draws only from the generator it is handed (every
other stream of the model keeps its state). A broken promise raises ``AssertionError`` naming
the rule and the promise::

    from model.rules.contract import check_rule
    from model.rules.registry import FORWARDING

    @FORWARDING.register("emotion_gated")
    class EmotionGated(ForwardingRule): ...

    check_rule(EmotionGated)                       # its default parameters
    check_rule(EmotionGated, {"gate": 0.8})        # or others

The project's own test (``tests/rules/test_contract.py``) runs it for every rule of every
registry; :data:`CASES` holds one check per registry, so a new registry has no contract until
a case is written for it here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

#: Users of the world a rule is checked in.
N = 300
#: The world's seed; the rule's own generator is the model's stream for its phase.
SEED = 5


def check_rule(
    rule: type,
    settings: Any = None,
    *,
    registry: str | None = None,
) -> None:
    """Check that a registered rule keeps the contract of its phase.

    The rule runs twice, each time in a fresh world (:data:`N` users, seed :data:`SEED`, six
    steps in) with the generator its phase hands it: the outputs must be valid, equal between
    the two runs, and no other generator of the model may move.

    Args:
        rule: The rule's class, registered with ``@<REGISTRY>.register("name")``.
        settings: Its parameters: an instance of its ``Settings``, or a mapping of parameter
            name to value (default: the declared defaults).
        registry: The registry's key (``"forwarding"``); needed only for a class registered
            in more than one.

    Raises:
        AssertionError: A broken promise, named with the rule and what was expected.
        ValueError: The class is registered in no registry (or in several and ``registry``
            is not given), or ``registry`` is unknown.
        TypeError: ``settings`` is not the rule's ``Settings`` or a mapping of its parameters.
    """
    key, name = _registration(rule, registry)
    check_registered(key, name, settings)


def check_registered(key: str, name: str, settings: Any = None) -> None:
    """:func:`check_rule` for the rule registered as ``name`` in the registry ``key``.

    Raises:
        AssertionError, ValueError, TypeError: As :func:`check_rule`.
    """
    from model.rules import REGISTRIES

    if key not in REGISTRIES:
        raise ValueError(f"unknown registry {key!r}; registries: {', '.join(REGISTRIES)}")
    if key not in CASES:
        raise ValueError(f"registry {key!r} has no contract case in model/rules/contract.py")
    reg = REGISTRIES[key]
    own = reg.rule_class(name).Settings
    if settings is None:
        settings = own()
    elif isinstance(settings, Mapping):
        settings = own(**settings)
    elif type(settings) is not own:
        raise TypeError(
            f"{key} rule {name!r} takes {own.__name__} or a mapping of its parameters, got "
            f"{type(settings).__name__}"
        )
    stream, case = CASES[key]
    outputs = []
    for _ in range(2):
        m = _world()
        gens = _generators(m)
        before = {k: g.bit_generator.state for k, g in gens.items() if k != stream}
        instance = reg.get(name, settings)
        instance.init(m)
        try:
            outputs.append(case(instance, m, gens[stream]))
        except AssertionError as e:
            raise AssertionError(f"{key} rule {name!r} breaks the contract: {e}") from None
        moved = [k for k in before if before[k] != gens[k].bit_generator.state]
        _require(
            not moved,
            f"{key} rule {name!r} drew from {', '.join(moved)}; it may draw only from the "
            f"generator it is handed ({stream})",
        )
    for i, (x, y) in enumerate(zip(*outputs, strict=True)):
        x, y = np.asarray(x), np.asarray(y)
        _require(
            np.array_equal(x, y, equal_nan=x.dtype.kind == "f"),
            f"{key} rule {name!r}: the same seed gave a different output (output {i} of the "
            "check); a rule must draw only from the generator it is handed",
        )


def _registration(rule: type, registry: str | None) -> tuple[str, str]:
    """The (registry key, name) under which ``rule`` is registered."""
    from model.rules import REGISTRIES

    if registry is not None and registry not in REGISTRIES:
        raise ValueError(f"unknown registry {registry!r}; registries: {', '.join(REGISTRIES)}")
    found = [
        (key, name)
        for key, reg in REGISTRIES.items()
        if registry in (None, key)
        for name in reg.names()
        if reg.rule_class(name) is rule
    ]
    what = getattr(rule, "__name__", repr(rule))
    if not found:
        raise ValueError(
            f"{what} is not registered{' in ' + registry if registry else ''}: register it "
            'first (@FORWARDING.register("name") and the like, model/rules/registry.py)'
        )
    if len(found) > 1:
        raise ValueError(
            f"{what} is registered as {', '.join(f'{k}:{n}' for k, n in found)}; "
            "name the registry (registry=...)"
        )
    return found[0]


def _require(ok: Any, message: str) -> None:
    """Raise ``AssertionError(message)`` unless ``ok`` (kept under ``python -O``, unlike assert)."""
    if not ok:
        raise AssertionError(message)


def _world(seed: int = SEED) -> Any:
    """A small default world a few steps in, so screens, trust and content are not blank."""
    from model import OpinionEcology, Params

    return OpinionEcology(Params(n_users=N, acq_degree=6, steps=100), seed=seed).run(6)


def _generators(m: Any) -> dict[str, np.random.Generator]:
    gens = {f"streams[{k}]": g for k, g in m.streams.items()}
    for name in ("rng_population", "rng_outlets", "rng_posts", "rng_followups"):
        gens[name] = getattr(m, name)
    gens["mesa rng"] = m.rng  # Mesa's own generator: no rule may touch it either
    return gens


# ------------------------------------------------------------------------- one case per phase
def _forwarding(rule: Any, m: Any, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    local = np.random.default_rng(0)
    res, emotion = local.random(500), local.random(500)
    p = np.asarray(rule.probability(m.params, res, emotion))
    _require(p.shape == (500,), f"probability gave shape {p.shape} for 500 exposures")
    _require(np.isfinite(p).all(), "probability gave a value that is not finite")
    _require(((p >= 0) & (p <= 1)).all(), "probability gave a value outside [0, 1]")
    return (p,)


def _pairs_ok(a: np.ndarray, b: np.ndarray, part: np.ndarray, distinct: bool) -> None:
    _require(a.shape == b.shape, f"pairs of unequal length ({a.shape} and {b.shape})")
    _require(len(a) > 0, "no pairs among 80% of the users taking part")
    users = np.concatenate([a, b])
    _require(len(np.unique(users)) == len(users), "a user is in two pairs")
    _require(np.isin(a, part).all(), "a pair's first user does not take part")
    _require(((b >= 0) & (b < N)).all(), f"a partner is not a user index in [0, {N})")
    if distinct:
        _require((a != b).all(), "a user is paired with itself")


def _peer_mixing(rule: Any, m: Any, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    part = np.flatnonzero(rng.random(N) < 0.8)
    a, b = rule.pairs(rng, part, m.networks, N)
    _pairs_ok(a, b, part, distinct=False)
    return a, b


def _initial_opinion(rule: Any, m: Any, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    x = rule.draw(rng, 2000)
    _require(x.shape == (2000,), f"draw(rng, 2000) gave shape {x.shape}")
    _require(np.isfinite(x).all(), "an opinion that is not finite")
    _require(((x >= -1) & (x <= 1)).all(), "an opinion outside [-1, 1]")
    _require(x.std() > 0.1, f"2000 opinions with a spread of {x.std():.3g} (expected > 0.1)")
    return (x,)


def _attention(rule: Any, m: Any, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    mean = np.linspace(0.5, 12.0, 400)
    b = rule.budget(rng, mean, m.params.screen_size)
    _require(b.shape == (400,), f"budget gave shape {b.shape} for 400 users")
    _require(b.dtype == np.int64, f"budget gave dtype {b.dtype}, expected int64")
    top = max(2 * m.params.screen_size, np.ceil(mean.max()))
    _require(((b >= 1) & (b <= top)).all(), f"a budget outside [1, {top:g}]")
    return (b,)


def _feed_choice(rule: Any, m: Any, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    from model.rules.feed_choice import sample_slots

    sc = m.screens
    users = np.arange(N)
    items, ok = sc.soc_item[users], ~sc.soc_seen[users]
    avail = ok.sum(axis=1)
    _require(avail.sum() > 0, "the world has nothing unseen to choose from")
    n_take = np.minimum(avail, 1 + np.arange(N) % 3)
    weigh = rule.slot_weights(m, m.steps)
    w = None
    if weigh is not None:
        slot_w = weigh(users, items)
        _require(slot_w.shape == items.shape, f"slot weights of shape {slot_w.shape}")
        _require(
            np.isfinite(slot_w).all() and (slot_w > 0).all(), "a slot weight not finite and > 0"
        )
        w = lambda rows: slot_w[rows]  # noqa: E731
    rows, cols = sample_slots(rng, ok, n_take, avail, w)
    _require(ok[rows, cols].all(), "a slot that may not be taken was taken")
    _require(
        np.bincount(rows, minlength=N).tolist() == n_take.tolist(),
        "a user took another number of slots than asked",
    )
    _require(
        len(set(zip(rows.tolist(), cols.tolist(), strict=True))) == len(rows),
        "a slot was taken twice",
    )
    return rows, cols


def _opinion(rule: Any, m: Any, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    local = np.random.default_rng(1)
    u = np.sort(local.integers(0, N, 900))
    diff = local.uniform(-1, 1, 900)
    inside = np.abs(diff) < 0.6
    trust = local.random(900)
    pull = rule.content_pull(m, u, diff, inside, trust)
    _require(pull.shape == (N,), f"content_pull gave shape {pull.shape}, expected ({N},)")
    _require(np.isfinite(pull).all(), "a content pull that is not finite")
    _require(
        (np.abs(pull) <= m.params.mu_content * np.abs(diff).max() + 1e-12).all(),
        "a content pull beyond mu_content of the way toward the farthest item viewed",
    )
    m.params = m.params.replace(peer_prob=0.8)
    x0 = m.state.opinion.copy()
    for _ in range(3):
        rule.peer_round(m, rng)
        x = m.state.opinion
        _require(x.shape == (N,) and x.dtype == np.float64, "opinions not float64 of one per user")
        _require(np.isfinite(x).all(), "an opinion that is not finite after a peer round")
        _require(((x >= -1) & (x <= 1)).all(), "an opinion outside [-1, 1] after a peer round")
    _require((m.state.opinion != x0).any(), "three peer rounds at peer_prob 0.8 moved no one")
    return pull, m.state.opinion.copy()


def _peer_choice(rule: Any, m: Any, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    from model.rules import REGISTRIES

    for mixing in ("network", "complete"):
        m.params = m.params.replace(peer_mixing=mixing)
        m.rules.peer_mixing = REGISTRIES["peer_mixing"].get(mixing)
        part = np.flatnonzero(rng.random(N) < 0.8)
        a, b = rule.pairs(rng, part, m)
        _pairs_ok(a, b, part, distinct=True)
    return a, b


def _emotion(rule: Any, m: Any, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    s = m.state
    v = _no_views()
    for t in range(3):
        rule.update(m, m.steps + t, v, rng)
    _require(
        s.valence.dtype == np.float32 and s.arousal.dtype == np.float32,
        "valence and arousal must stay float32",
    )
    _require(np.isfinite(s.valence).all() and np.isfinite(s.arousal).all(), "a value not finite")
    _require(((s.valence >= -1) & (s.valence <= 1)).all(), "a valence outside [-1, 1]")
    _require(((s.arousal >= 0) & (s.arousal <= 1 + 1e-6)).all(), "an arousal outside [0, 1]")
    return s.valence.copy(), s.arousal.copy()


def _no_views() -> Any:
    from model.step.records import Views

    e = np.zeros(0, dtype=np.int64)
    return Views(user=e, item=e, chan=e.astype(np.int8), source_user=e)


def _following(rule: Any, m: Any, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    before = m.state.follows.copy()
    for _ in range(3):
        rule.update(m, rng)
    f = m.state.follows
    _require(f.shape == before.shape and f.dtype == bool, "follows changed shape or dtype")
    _require((f[:, 1:] == before[:, 1:]).all(), "a following rule changed a background follow")
    return (f[:, 0].copy(),)


def _feed_ranking(rule: Any, m: Any, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    sc = m.screens
    users = np.arange(N)
    items = sc.soc_item[users]
    factor = rule.slot_factor(m, m.steps)
    if factor is None:
        return (np.zeros(0),)
    f = factor(users, items)
    _require(f.shape == items.shape, f"slot factors of shape {f.shape}, expected {items.shape}")
    _require(np.isfinite(f).all() and (f > 0).all(), "a slot factor not finite and > 0")
    return (f,)


def _user_follow(rule: Any, m: Any, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Views of followees' items (half liked, half outside the bound): the layer stays a set
    of ties without self-ties or repeats, its followee counts match it, and the tallies count
    the changes."""
    from model.content import USER
    from model.step.records import Reactions, Views

    local = np.random.default_rng(3)
    fol = m.networks.followers
    before = fol.csr() if hasattr(fol, "csr") else fol
    owner, follower = before.row_owner(), before.indices
    pick = local.integers(0, len(follower), size=400)
    users = follower[pick].astype(np.int64)
    c = m.content
    user_items = np.flatnonzero(c.source_kind == USER)
    _require(len(user_items) > 0, "the world has no user items to view")
    items = user_items[local.integers(0, len(user_items), size=400)]
    v = Views(
        user=users,
        item=items,
        chan=np.zeros(400, np.int8),
        source_user=owner[pick].astype(np.int64),
    )
    f = np.zeros(400)
    b = local.random(400) < 0.5
    e = np.zeros(0, np.int64)
    r = Reactions(
        res=f, trust=f, focal=b & False, outlet=b & False, like=b, comment=b & False,
        forward=b & False, emotion=f, proof=f, comment_idx=e, critical=b[:0], uncivil=b[:0],
    )  # fmt: skip
    inside = local.random(400) < 0.5
    rule.update(m, m.steps, v, r, inside, rng)
    fol = m.networks.followers
    after = fol.csr() if hasattr(fol, "csr") else fol
    own, idx = after.row_owner().astype(np.int64), after.indices.astype(np.int64)
    _require((own != idx).all(), "a self-tie")
    _require(len(np.unique(own * m.n_users + idx)) == len(idx), "a repeated tie")
    if hasattr(fol, "out_degree"):
        _require(
            np.array_equal(fol.out_degree, np.bincount(idx, minlength=m.n_users)),
            "the followee counts do not match the layer",
        )
    follows, unfollows = rule.changes()
    if rule.name == "sasahara":
        _require(
            follows > 0 and unfollows > 0, "half the views liked or discordant changed nothing"
        )
    _require(
        after.n_edges == before.n_edges + follows - unfollows,
        f"the layer changed by {after.n_edges - before.n_edges} ties, the tallies say "
        f"{follows} follows and {unfollows} unfollows",
    )
    return own, idx


Case = Callable[[Any, Any, np.random.Generator], tuple[np.ndarray, ...]]

#: Registry key -> (the stream the phase hands the rule, the contract check).
CASES: dict[str, tuple[str, Case]] = {
    "forwarding": ("streams[react]", _forwarding),
    "peer_mixing": ("streams[peer]", _peer_mixing),
    "initial_opinion": ("rng_population", _initial_opinion),
    "attention": ("streams[attend]", _attention),
    "feed_choice": ("streams[attend]", _feed_choice),
    "opinion": ("streams[peer]", _opinion),
    "peer_choice": ("streams[peer]", _peer_choice),
    "emotion": ("streams[emotion]", _emotion),
    "following": ("streams[update]", _following),
    "feed_ranking": ("streams[attend]", _feed_ranking),
    "user_follow": ("streams[user_follow]", _user_follow),
}
