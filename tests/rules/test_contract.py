"""The contract every registered rule keeps, checked for each rule of each registry.

For every name in every registry of :mod:`model.rules`: the output has the shape and bounds its
phase expects, the same seed gives the same output, and the rule draws only from the generator
it is handed (every other stream of the model keeps its state). A new rule is checked here as
soon as it is registered; a new registry fails ``test_every_registry_has_a_contract`` until a
case is written for it.
"""

from __future__ import annotations

import numpy as np
import pytest

from model import OpinionEcology, Params
from model.params import UnusedParameterWarning
from model.rules import REGISTRIES, Registry, selected
from model.rules.feed_choice import sample_slots

N = 300


def _world(seed: int = 5) -> OpinionEcology:
    """A small default world a few steps in, so screens, trust and content are not blank."""
    return OpinionEcology(Params(n_users=N, acq_degree=6, steps=100), seed=seed).run(6)


def _generators(m: OpinionEcology) -> dict[str, np.random.Generator]:
    gens = {f"streams[{k}]": g for k, g in m.streams.items()}
    for name in ("rng_population", "rng_outlets", "rng_posts", "rng_followups"):
        gens[name] = getattr(m, name)
    gens["mesa rng"] = m.rng  # Mesa's own generator: no rule may touch it either
    return gens


def _forwarding(rule, m, rng):
    local = np.random.default_rng(0)
    res, emotion = local.random(500), local.random(500)
    p = rule.probability(m.params, res, emotion)
    assert p.shape == (500,) and np.isfinite(p).all()
    assert ((p >= 0) & (p <= 1)).all()
    return (p,)


def _peer_mixing(rule, m, rng):
    part = np.flatnonzero(rng.random(N) < 0.8)
    a, b = rule.pairs(rng, part, m.networks, N)
    assert a.shape == b.shape and len(a) > 0
    users = np.concatenate([a, b])
    assert len(np.unique(users)) == len(users), "a user is in two pairs"
    assert np.isin(a, part).all() and ((b >= 0) & (b < N)).all()
    return a, b


def _initial_opinion(rule, m, rng):
    x = rule.draw(rng, 2000)
    assert x.shape == (2000,) and np.isfinite(x).all()
    assert ((x >= -1) & (x <= 1)).all() and x.std() > 0.1
    return (x,)


def _attention(rule, m, rng):
    mean = np.linspace(0.5, 12.0, 400)
    b = rule.budget(rng, mean, m.params.screen_size)
    assert b.shape == (400,) and b.dtype == np.int64
    assert (b >= 1).all() and (b <= max(2 * m.params.screen_size, np.ceil(mean.max()))).all()
    return (b,)


def _feed_choice(rule, m, rng):
    sc = m.screens
    users = np.arange(N)
    items, ok = sc.soc_item[users], ~sc.soc_seen[users]
    avail = ok.sum(axis=1)
    assert avail.sum() > 0, "the world has nothing unseen to choose from"
    n_take = np.minimum(avail, 1 + np.arange(N) % 3)
    weigh = rule.slot_weights(m, m.steps)
    w = None
    if weigh is not None:
        slot_w = weigh(users, items)
        assert slot_w.shape == items.shape and np.isfinite(slot_w).all() and (slot_w > 0).all()
        w = lambda rows: slot_w[rows]  # noqa: E731
    rows, cols = sample_slots(rng, ok, n_take, avail, w)
    assert ok[rows, cols].all(), "a slot that may not be taken was taken"
    assert np.bincount(rows, minlength=N).tolist() == n_take.tolist()
    assert len(set(zip(rows.tolist(), cols.tolist(), strict=True))) == len(rows)
    return rows, cols


def _opinion(rule, m, rng):
    local = np.random.default_rng(1)
    u = np.sort(local.integers(0, N, 900))
    diff = local.uniform(-1, 1, 900)
    inside = np.abs(diff) < 0.6
    trust = local.random(900)
    pull = rule.content_pull(m, u, diff, inside, trust)
    assert pull.shape == (N,) and np.isfinite(pull).all()
    # a pull is at most mu_content of the way toward the farthest item viewed
    assert (np.abs(pull) <= m.params.mu_content * np.abs(diff).max() + 1e-12).all()
    m.params = m.params.replace(peer_prob=0.8)
    x0 = m.state.opinion.copy()
    for _ in range(3):
        rule.peer_round(m, rng)
        x = m.state.opinion
        assert x.shape == (N,) and x.dtype == np.float64 and np.isfinite(x).all()
        assert ((x >= -1) & (x <= 1)).all()
    assert (m.state.opinion != x0).any(), "three peer rounds at peer_prob 0.8 moved no one"
    return pull, m.state.opinion.copy()


def _peer_choice(rule, m, rng):
    for mixing in ("network", "complete"):
        m.params = m.params.replace(peer_mixing=mixing)
        m.rules.peer_mixing = REGISTRIES["peer_mixing"].get(mixing)
        a, b = _peer_mixing_with(lambda r, part: rule.pairs(r, part, m), rng)
    return a, b


def _peer_mixing_with(pairs, rng):
    part = np.flatnonzero(rng.random(N) < 0.8)
    a, b = pairs(rng, part)
    assert a.shape == b.shape and len(a) > 0
    users = np.concatenate([a, b])
    assert len(np.unique(users)) == len(users), "a user is in two pairs"
    assert np.isin(a, part).all() and ((b >= 0) & (b < N)).all() and (a != b).all()
    return a, b


def _emotion(rule, m, rng):
    s = m.state
    v = _no_views()
    for t in range(3):
        rule.update(m, m.steps + t, v, rng)
    assert s.valence.dtype == np.float32 and s.arousal.dtype == np.float32
    assert np.isfinite(s.valence).all() and np.isfinite(s.arousal).all()
    assert ((s.valence >= -1) & (s.valence <= 1)).all()
    assert ((s.arousal >= 0) & (s.arousal <= 1 + 1e-6)).all()
    return s.valence.copy(), s.arousal.copy()


def _no_views():
    from model.step.records import Views

    e = np.zeros(0, dtype=np.int64)
    return Views(user=e, item=e, chan=e.astype(np.int8), source_user=e)


def _following(rule, m, rng):
    before = m.state.follows.copy()
    for _ in range(3):
        rule.update(m, rng)
    f = m.state.follows
    assert f.shape == before.shape and f.dtype == bool
    assert (f[:, 1:] == before[:, 1:]).all(), "a following rule changed a background follow"
    return (f[:, 0].copy(),)


def _feed_ranking(rule, m, rng):
    sc = m.screens
    users = np.arange(N)
    items = sc.soc_item[users]
    factor = rule.slot_factor(m, m.steps)
    if factor is None:
        return (np.zeros(0),)
    f = factor(users, items)
    assert f.shape == items.shape and np.isfinite(f).all() and (f > 0).all()
    return (f,)


def _user_follow(rule, m, rng):
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
    assert len(user_items) > 0, "the world has no user items to view"
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
    assert (own != idx).all(), "a self-tie"
    assert len(np.unique(own * m.n_users + idx)) == len(idx), "a repeated tie"
    if hasattr(fol, "out_degree"):
        np.testing.assert_array_equal(fol.out_degree, np.bincount(idx, minlength=m.n_users))
    follows, unfollows = rule.changes()
    if rule.name == "sasahara":
        assert follows > 0 and unfollows > 0, "half the views liked or discordant changed nothing"
    assert after.n_edges == before.n_edges + follows - unfollows
    return own, idx


#: Registry key -> (the stream the phase hands the rule, the contract check).
CASES = {
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

RULES = [(key, name) for key, reg in REGISTRIES.items() for name in reg.names()]

#: Rule parameters that make a contract case exercise more than the quiet defaults (noise,
#: coupling, independence, churn, a non-uniform partner choice).
SETTINGS = {
    ("peer_choice", "algorithmic_bias"): {"peer_bias": 1.0},
    ("emotion", "collective"): {"noise_v": 0.05, "noise_a": 0.05, "coupling_v": 0.3},
    ("following", "q_voter"): {"voter_p": 0.2},
    ("following", "engagement"): {"churn_prob": 0.5},
    ("user_follow", "sasahara"): {"like_follow_prob": 0.5, "unfollow_prob": 0.5},
}


def test_every_registry_has_a_contract():
    assert set(CASES) == set(REGISTRIES)


@pytest.mark.parametrize(("key", "name"), RULES, ids=[f"{k}:{n}" for k, n in RULES])
def test_rule_contract(key, name):
    """Shapes and bounds; the same seed gives the same output; no other stream moves."""
    stream, check = CASES[key]
    outputs = []
    for _ in range(2):
        m = _world()
        gens = _generators(m)
        before = {k: g.bit_generator.state for k, g in gens.items() if k != stream}
        reg = REGISTRIES[key]
        settings = reg.rule_class(name).Settings(**SETTINGS.get((key, name), {}))
        rule = reg.get(name, settings)
        rule.init(m)
        outputs.append(check(rule, m, gens[stream]))
        after = {k: g.bit_generator.state for k, g in gens.items() if k != stream}
        moved = [k for k in before if before[k] != after[k]]
        assert not moved, f"{key}:{name} drew from {moved}"
    for x, y in zip(*outputs, strict=True):
        np.testing.assert_array_equal(x, y)


def test_unknown_name_lists_the_registered_rules():
    for key, reg in REGISTRIES.items():
        with pytest.raises(ValueError, match="registered rules: ") as err:
            reg.get("no-such-rule")
        assert all(repr(n) in str(err.value) for n in reg.names()), key


def test_a_name_is_registered_once():
    reg = Registry("demo")
    reg.register("a")(type("A", (), {}))
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a")(type("B", (), {}))
    assert reg.names() == ("a",) and "a" in reg and reg.get("a").name == "a"


def test_selected_follows_params():
    """Each registry's rule is the one its Params field names, with that field's parameters."""
    chosen = selected(Params())
    assert [k for k, _ in chosen.items()] == list(REGISTRIES)
    assert {k: r.name for k, r in chosen.items()} == {k: getattr(Params(), k) for k in REGISTRIES}
    flip = {k: reg.names()[1] for k, reg in REGISTRIES.items()}
    # the second opinion rule (hegselmann_krause) asks no peer-choice rule: Params says so
    with pytest.warns(UnusedParameterWarning, match=r"^peer_choice='algorithmic_bias'"):
        flipped = selected(Params(**flip, **{"peer_choice.peer_bias": 2.0}))
    assert all(flipped[k].name == flip[k] != chosen[k].name for k in REGISTRIES)
    assert flipped.peer_choice.settings.peer_bias == 2.0
