"""The react phase's compiled kernels: hand-computed cases, and the same bits as the array code.

``reference_react`` below is the phase as it was before the kernels (numpy over all views),
kept as the reference: a model stepped with it and a model stepped with the kernels, from the
same seed, must hold the same state bit for bit after every step (floats included), and the
phase must hand update and respond the same reactions. Tolerance: zero, because the kernels
follow the array code operation by operation (docs/ODD.md 7.9; model/step/react.py says how).

The file is long (about 530 lines) because it keeps the whole old phase as the reference and
the helpers that compare two worlds, which tests/unit/test_respond_kernels.py reuses.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest

from model import OpinionEcology, Params, presets
from model import step as phases
from model.content import OUTLET, USER, item_proof
from model.fatigue import decay_factor, decayed, load_keep
from model.rules.forwarding import friction_of
from model.step.react import (
    _coefficients,
    _forwards,
    _judge,
    _proof,
    _tally,
    emotional_match,
    outrage_odds,
    p_uncivil,
)
from model.step.records import Reactions

# ----------------------------------------------------------------- the reference (old) phase


def reference_react(world, t, v):
    """The react phase as numpy array code (before the kernels), unchanged."""
    p, s, c = world.params, world.state, world.content
    rng = world.streams["react"]
    u, it = v.user, v.item
    m = len(u)
    draws = rng.random((4, m))
    kind, src = c.source_kind[it], c.source[it]
    outlet = kind == OUTLET
    focal = outlet & (src == 0)
    g = s.gen[u]
    col = np.where(outlet, src, 0).astype(np.int64)
    t_media = s.trust_media[u, col]
    forwarded = v.source_user >= 0
    trust = np.where(
        outlet,
        np.where(forwarded, np.sqrt(t_media * s.trust_peers[u]), t_media),
        s.trust_peers[u],
    )
    reactivity = world.prof["reactivity"][g]
    emotion = emotional_match(c.intensity[it], reactivity, s.valence[u], c.valence[it], p)
    dist = np.abs(s.opinion[u] - c.stance[it])
    value = 1.0 - dist / 2.0
    num = p.w_trust * trust + p.w_emotion * emotion + p.w_value * value
    wsum = p.w_trust + p.w_emotion + p.w_value
    proof = np.zeros(m)
    if p.comments_visible:
        proof = item_proof(c, it, p)
        num = num + p.w_proof * (1.0 + proof) / 2.0
        wsum += p.w_proof
    res = num / max(wsum, 1e-12)
    load = decayed(s.load[u, col], s.load_last[u, col], t, load_keep(p))
    res = np.where(outlet, res / (1.0 + load / p.fatigue_saturation), res)
    like = draws[0] < np.minimum(1.0, 2.0 * p.base_like * res)
    p_comment = 2.0 * p.base_comment * res * (1.0 + p.comment_disagreement * dist / 2.0)
    comment = draws[1] < np.minimum(1.0, p_comment)
    friction = friction_of(world, it)
    rule = world.rules.forwarding
    p_fwd = rule.probability(p, res, emotion)
    p_fwd = np.where(outlet, outrage_odds(p_fwd, c.outrage[it], p), p_fwd)
    forward = draws[2] < p_fwd * (1.0 - friction)
    forward, late = rule.adopt(world, t, v, draws[2], 1.0 - friction, forward)
    ci = np.flatnonzero(comment)
    critical = dist[ci] > s.epsilon[u[ci]]
    tone = world.streams["tone"].random(len(ci))
    uncivil = tone < p_uncivil(p, dist[ci] / 2.0, s.arousal[u[ci]])
    c.count("likes", it[like])
    c.count("comments", it[comment])
    c.count("forwards", it[forward])
    c.count("critical", it[ci[critical]])
    c.count("supportive", it[ci[~critical]])
    c.count("uncivil", it[ci[uncivil]])
    gf = g[focal]
    s.last_focal_engage[u[focal & (like | comment | forward)]] = t
    world.engaged_by += np.stack(
        [np.bincount(gf[x[focal]], minlength=4) for x in (like, comment, forward)], axis=1
    )
    parent = np.where((kind == USER) & (src == v.source_user), -1, v.source_user)
    fu, fi, fp = u[forward], it[forward], parent[forward]
    if len(late[0]):
        c.count("forwards", late[1])
        fu, fi, fp = (np.concatenate([a, b]) for a, b in zip((fu, fi, fp), late, strict=True))
    fwd_focal = (c.source_kind[fi] == OUTLET) & (c.source[fi] == 0)
    world.focal_forwards_by += np.bincount(s.gen[fu[fwd_focal]], minlength=4)
    if rule.broadcast:
        world.outbox.queue_shares(fu, fi)
    world.forward_log.append(fi, fu, fp, np.full(len(fu), t))
    engaged = focal & (like | comment) & ~s.follows[u, 0] & (draws[3] < p.follow_prob)
    s.follows[u[engaged], 0] = True
    return Reactions(
        res=res,
        trust=trust,
        focal=focal,
        outlet=outlet,
        like=like,
        comment=comment,
        forward=forward,
        emotion=emotion,
        proof=proof,
        comment_idx=ci,
        critical=critical,
        uncivil=uncivil,
    )


# ------------------------------------------------------------------ comparing whole worlds

_SKIP = {"datacollector", "last_snapshot", "users", "outlets", "params", "prof", "caches"}


def world_state(m) -> dict:
    """Every array, counter, log and generator state a run carries, by name (deep copies)."""
    out = {}
    for name, value in vars(m).items():
        if name.startswith("_") or name in _SKIP:
            continue
        if name == "state":
            out |= {f"state.{f}": getattr(value, f).copy() for f in value.__dataclass_fields__}
        elif name == "content":
            out |= {
                f"content.{k}": x[: value.n].copy()
                for k, x in vars(value).items()
                if isinstance(x, np.ndarray)
            }
        elif name == "rules":
            rule = value.forwarding
            store = getattr(getattr(rule, "state", rule), "store", None)
            if store is not None:  # the spreading rules' memory (model/rules/spreading.py)
                out["rules.keys"] = store.keys.copy()
                out |= {f"rules.{k}": x.copy() for k, x in store.values.items()}
        elif name in ("view_log", "forward_log"):
            out[name] = value._data[:, : value.n].copy()
        elif name in ("streams", "budget"):
            for k, x in value.items():
                out[f"{name}.{k}"] = (
                    copy.deepcopy(x.bit_generator.state) if name == "streams" else x.copy()
                )
        elif isinstance(value, np.random.Generator):
            out[name] = copy.deepcopy(value.bit_generator.state)
        elif isinstance(value, np.ndarray | int | float):
            out[name] = copy.copy(value)
        elif name == "outbox":
            out |= {f"outbox.{k}": np.copy(getattr(value, k)) for k in value.__dataclass_fields__}
    return out


def assert_same_world(a, b) -> None:
    """The two models' states are equal bit for bit (floats compared as their bits)."""
    sa, sb = world_state(a), world_state(b)
    assert sa.keys() == sb.keys()
    for k in sa:
        x, y = sa[k], sb[k]
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, k
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), k
            if x.dtype.kind == "f":
                assert np.array_equal(np.signbit(x), np.signbit(y)), k
        else:
            assert x == y, k


def assert_same_reactions(r0: Reactions, r1: Reactions) -> None:
    for f in Reactions.__dataclass_fields__:
        x, y = getattr(r0, f), getattr(r1, f)
        assert x.dtype == y.dtype and x.shape == y.shape, f
        assert np.array_equal(x.view(np.uint8), y.view(np.uint8)), f


def perturb(m, rng: np.random.Generator) -> None:
    """Random exposure loads, ages and item outrage (the same for both models of a pair), so
    that fatigue and outrage take many values, not only the few a short run reaches."""
    s, c, t = m.state, m.content, m.steps
    s.load[:] = rng.uniform(0, 30, s.load.shape).astype(np.float32)
    s.load_last[:] = rng.integers(max(t - 40, 0), t + 1, s.load_last.shape)
    c.outrage[:] = rng.choice([0.0, 0.3, 1.0], c.n).astype(np.float32)


def run_pair(monkeypatch, params, seed=3, steps=12, react=None, respond=None, shake=True):
    """Step a model with the reference phase(s) and one with the kernels; compare each step."""
    new_react, new_respond = phases.react, phases.respond
    a, b = OpinionEcology(params, seed=seed), OpinionEcology(params, seed=seed)
    got: dict[str, list] = {"a": [], "b": []}

    def keep(f, out):
        def g(*args):
            r = f(*args)
            out.append(r)
            return r

        return g

    for step in range(steps):
        if shake:
            perturb(a, np.random.default_rng(step))
            perturb(b, np.random.default_rng(step))
        monkeypatch.setattr(phases, "react", keep(react or new_react, got["a"]))
        monkeypatch.setattr(phases, "respond", respond or new_respond)
        a.step()
        monkeypatch.setattr(phases, "react", keep(new_react, got["b"]))
        monkeypatch.setattr(phases, "respond", new_respond)
        b.step()
        assert_same_reactions(got["a"][-1], got["b"][-1])
        assert_same_world(a, b)
    return a, b, got


PAIRS = {
    "interactive": Params(n_users=300, strategy="interactive"),
    "scenario": Params(n_users=300, strategy="scenario"),
    "one_way": Params(n_users=300, strategy="one_way"),
    "hidden_comments": Params(n_users=300, strategy="interactive", comments_visible=False),
    "civil_and_negative": Params(
        n_users=300, strategy="interactive", incivility=0.0, negativity_emotion=2.0
    ),
    "outrage_and_friction": Params(
        n_users=300, outrage_terms=3.0, outgroup_boost=4.0, share_friction=0.6
    ),
    "forward_everything": Params(n_users=200, forwarding="fixed", forward_p=1.0),
    "tired": Params(n_users=300, fatigue_half_life=0.5, fatigue_saturation=0.2),
    "threshold": presets.threshold(n_users=300),
    "rumour": presets.rumour(n_users=300),
    "viral_moment": presets.viral_moment(n_users=300),
    "music_community": presets.music_community(n_users=300),
    "eager_followers": Params(n_users=300, follow_prob=1.0, base_like=1.0, base_comment=1.0),
}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_kernels_give_the_reference_state_bit_for_bit(monkeypatch, name):
    params = PAIRS[name]
    a, _, got = run_pair(monkeypatch, params, react=reference_react, shake=name != "rumour")
    # the pair did react: views, likes and (except where nothing is shared) forwards happened
    assert sum(len(r.res) for r in got["a"]) > 0
    assert a.content.likes.sum() > 0


# ------------------------------------------------------------------------- hand-computed

P = Params(
    w_trust=1.0,
    w_emotion=1.0,
    w_value=1.0,
    w_proof=1.0,
    comments_visible=False,
    fatigue_half_life=6.0,
    fatigue_saturation=10.0,
    outrage_terms=1.0,
    outgroup_boost=2.0,
    base_like=0.5,
    base_comment=0.1,
    comment_disagreement=1.0,
    share_friction=0.3,
    negativity_emotion=0.5,
    negativity_weight=2.0,
    proof_share=0.1,
)


def _i(*x):
    return np.array(x, dtype=np.int64)


def _f(*x, dtype=np.float32):
    return np.array(x, dtype=dtype)


def _judge_case(params=P, t=10, draws=None):
    """Two views: user 0 sees outlet 1's item 0 directly; user 1 sees user 3's post (item 1)
    forwarded by user 3."""
    thread = tuple(np.zeros(2, np.int32) for _ in range(7))
    draws = np.array([[0.3, 0.9], [0.2, 0.9], [0.5, 0.5], [0.5, 0.5]]) if draws is None else draws
    return _judge(
        _i(0, 1),  # viewers
        _i(0, 1),  # items
        _i(-1, 3),  # forwarded by
        draws,
        np.array([OUTLET, USER], np.int8),
        np.array([1, 3], np.int32),
        _f(1.0, 0.5),  # intensity
        _f(0.0, -0.5),  # item valence
        _f(0.6, 0.0),  # stance
        _f(1.0, 0.0),  # outrage
        np.array([0, 1, 0, 0], np.int8),  # generations
        np.full((4, 2), 0.5, np.float32),  # trust in outlets
        _f(0.1, 0.25, 0.1, 0.1),  # trust in peers
        _f(0.0, 0.5, 0.0, 0.0),  # user valence
        np.array([0.2, 0.0, 0.0, 0.0]),  # opinion
        np.array([[0, 10], [0, 0], [0, 0], [0, 0]], np.float32),  # load
        np.array([[0, t - 6], [0, 0], [0, 0], [0, 0]], np.int32),  # load's last step
        np.array([0.8, 0.6, 0.5, 0.4]),  # reactivity by generation
        np.array([0.0, 0.1]),  # share prompt by outlet
        thread,
        np.zeros(2, np.int64),
        _coefficients(params),
        t,
        params.comments_visible,
    )


def test_judge_by_hand():
    res, trust, emotion, proof, dist, outlet, focal, like, comment, keep, mult, ci = _judge_case()
    # view 0: trust 0.5; emotion 1 x 0.8 x min(1, 1 - 0 + 0) = 0.8; |0.2 - 0.6| = 0.4, value
    # 0.8; (0.5 + 0.8 + 0.8) / 3 = 0.7, damped by the load 10 halved over one half-life:
    # 0.7 / (1 + 5 / 10)
    assert trust[0] == 0.5 and emotion[0] == pytest.approx(0.8) and dist[0] == pytest.approx(0.4)
    assert res[0] == pytest.approx(0.7 / 1.5)
    assert outlet[0] and not focal[0]
    # like: 0.3 < 2 x 0.5 x 0.467; comment: 0.2 > 0.2 x 0.467 x (1 + 0.4 / 2) = 0.112
    assert like[0] and not comment[0]
    # 1 - max(0, 0.3 - 0.1); 2^(1 x 1)
    assert keep[0] == pytest.approx(0.8) and mult[0] == 2.0
    # view 1: a user's post: trust in peers 0.25, match 1 - |0.5 + 0.5| / 2 + 0.5 x 0.5 = 0.75,
    # emotion 0.5 x 0.6 x 0.75; dist 0; (0.25 + 0.225 + 1) / 3; no fatigue, no friction
    assert trust[1] == 0.25 and emotion[1] == pytest.approx(0.225)
    assert res[1] == pytest.approx((0.25 + 0.225 + 1.0) / 3)
    assert not outlet[1] and keep[1] == 1.0 and mult[1] == 1.0
    assert not like[1] and not comment[1] and len(ci) == 0 and (proof == 0).all()


def test_judge_forwarded_outlet_item_uses_the_geometric_mean_of_trusts():
    thread = tuple(np.zeros(1, np.int32) for _ in range(7))
    out = _judge(
        _i(0), _i(0), _i(1), np.full((4, 1), 0.5), np.array([OUTLET], np.int8),
        np.array([0], np.int32), _f(0.0), _f(0.0), _f(0.0), _f(0.0), np.zeros(2, np.int8),
        np.array([[0.64], [0.5]], np.float32), _f(0.25, 0.5), _f(0.0, 0.0), np.zeros(2),
        np.zeros((2, 1), np.float32), np.zeros((2, 1), np.int32), np.zeros(4), np.zeros(1),
        thread, np.zeros(1, np.int64), _coefficients(P), 0, False,
    )  # fmt: skip
    trust, focal = out[1], out[6]
    assert trust[0] == np.float32(0.4) and focal[0]  # sqrt(0.64 x 0.25)


def test_proof_by_hand():
    # supportive 5 (none removed), critical 1, uncivil 0, replies 1: S + R = 6, nu C = 2,
    # sign (6 - 2) / 8 = 0.5; 7 visible comments over 0.1 x max(views, 10)
    sup, crit, zero, rep = _i(5), _i(1), _i(0), _i(1)
    assert _proof(sup, crit, zero, zero, zero, zero, rep, _i(20), 0, 2.0, 0.1) == 0.5
    assert _proof(sup, crit, zero, zero, zero, zero, rep, _i(100), 0, 2.0, 0.1) == pytest.approx(
        0.35
    )
    # a removed supportive comment is not visible: (5 - 1 + 1 - 2) / (5 + 2)
    got = _proof(sup, crit, zero, _i(1), zero, zero, rep, _i(20), 0, 2.0, 0.1)
    assert got == pytest.approx(3 / 7)
    assert _proof(zero, zero, zero, zero, zero, zero, zero, _i(5), 0, 2.0, 0.1) == 0.0


def test_proof_with_visible_comments_enters_the_resonance():
    p = P.replace(comments_visible=True)
    res = _judge_case(p)[0]
    # an empty thread: proof 0 enters as (1 + 0) / 2 with weight 1, and the weights sum to 4
    assert res[1] == pytest.approx((0.25 + 0.225 + 1.0 + 0.5) / 4)


def test_forwards_by_hand():
    # outlet item, p 0.2: odds 0.25 x 2 = 0.5 -> 1/3, times keep 0.9 = 0.3
    p_fwd, mult, keep = (
        np.array([0.2, 0.2, 1.0, 0.2]),
        np.array([2.0, 2.0, 2.0, 1.0]),
        np.full(4, 0.9),
    )
    outlet = np.array([True, True, True, False])
    got = _forwards(p_fwd, np.array([0.29, 0.31, 0.89, 0.17]), outlet, mult, keep)
    # p = 1 stays 1 (times keep 0.9); a user's item keeps p (0.2 x 0.9 = 0.18)
    assert got.tolist() == [True, False, True, True]
    assert not _forwards(p_fwd[3:], np.array([0.19]), outlet[3:], mult[3:], keep[3:])[0]


def test_tally_by_hand():
    """Three views by users 0, 1, 1 of focal item 0, focal item 0 and user 2's post (item 1,
    which user 1 got from user 2 itself): counters, tallies, follows, the forward log and the
    comments' users and places."""
    u, it, su = _i(0, 1, 1), _i(0, 0, 1), _i(-1, -1, 2)
    kind, src = np.array([OUTLET, USER], np.int8), np.array([0, 2], np.int32)
    gen = np.array([2, 3, 0], np.int8)
    like = np.array([True, False, False])
    comment = np.array([True, True, False])
    forward = np.array([False, True, True])
    focal = np.array([True, True, False])
    ci, dist = _i(0, 1), np.array([0.5, 0.1, 0.0])
    eps, arousal = _f(0.2, 0.3, 0.3), _f(0.5, 0.5, 0.5)
    follows = np.zeros((3, 1), bool)
    last = np.full(3, -1, np.int32)
    counts = [np.zeros(2, np.int64) for _ in range(3)] + [np.zeros(2, np.int32) for _ in range(3)]
    engaged, ffb = np.zeros((4, 3), np.int64), np.zeros(4, np.int64)
    # incivility 1/2 with no disagreement or arousal terms: P(uncivil) = 1/2
    p = Params(incivility=0.5, incivility_disagreement=0.0, incivility_arousal=0.0, follow_prob=0.5)
    crit, unc, fu, fi, fp, cu, c_out, c_foc = _tally(
        u, it, su, kind, src, gen, focal, like, comment, forward, ci, dist, eps, arousal,
        np.array([0.4, 0.6]), np.array([0.1, 0.9, 0.1]), follows, last, *counts, engaged, ffb,
        7, _coefficients(p),
    )  # fmt: skip
    likes, comments, forwards, n_crit, n_sup, n_unc = counts
    assert crit.tolist() == [True, False] and unc.tolist() == [True, False]
    assert likes.tolist() == [1, 0] and comments.tolist() == [2, 0] and forwards.tolist() == [1, 1]
    assert n_crit.tolist() == [1, 0] and n_sup.tolist() == [1, 0] and n_unc.tolist() == [1, 0]
    assert last.tolist() == [7, 7, -1]
    # focal tallies by the viewer's generation: user 0 (gen 2) liked and commented, user 1
    # (gen 3) commented and forwarded
    assert engaged[2].tolist() == [1, 1, 0] and engaged[3].tolist() == [0, 1, 1]
    assert ffb.tolist() == [0, 0, 0, 1]
    # user 0 engaged and drew 0.1 < 0.5: follows; user 1 drew 0.9
    assert follows[:, 0].tolist() == [True, False, False]
    # user 2's post shared back from user 2 itself has no parent
    assert fu.tolist() == [1, 1] and fi.tolist() == [0, 1] and fp.tolist() == [-1, -1]
    # users 0 and 1 commented, both on the focal outlet's item 0
    assert (
        cu.tolist() == [0, 1] and c_out.tolist() == [True, True] and c_foc.tolist() == [True, True]
    )


def test_decay_factor_by_hand_and_as_portable_power():
    lk = np.log(0.5)
    assert decay_factor(lk, 3.0) == pytest.approx(0.125) and decay_factor(lk, 0.0) == 1.0
    assert decay_factor(-np.inf, 0.0) == 1.0 and decay_factor(-np.inf, 2.0) == 0.0
    from model import jit, portable

    for keep in (0.5, 0.9, 2.0 ** (-1 / 6), 1.0):
        ages = np.arange(0, 400, dtype=np.float64)
        want = portable.power(keep, ages)
        got = np.array([decay_factor(jit.log(keep), a) for a in ages])
        assert np.array_equal(got, want)


# ------------------------------------------------------------- random inputs, kernel level


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_judge_matches_the_array_functions_on_random_inputs(seed):
    """Random views of random items and users: every output equals the array functions'."""
    rng = np.random.default_rng(seed)
    n, n_items, m, k = 50, 40, 2000, 3
    p = P.replace(comments_visible=True, outrage_terms=float(rng.uniform(0, 5)))
    u, it = rng.integers(0, n, m), rng.integers(0, n_items, m)
    su = np.where(rng.random(m) < 0.4, rng.integers(0, n, m), -1)
    kind = rng.integers(0, 2, n_items).astype(np.int8)
    src = np.where(kind == OUTLET, rng.integers(0, k, n_items), rng.integers(0, n, n_items))
    src = src.astype(np.int32)
    f32 = lambda *s: rng.random(s).astype(np.float32)  # noqa: E731
    intensity, ival, stance, outrage = (
        f32(n_items),
        f32(n_items) * 2 - 1,
        f32(n_items),
        f32(n_items),
    )
    gen = rng.integers(0, 4, n).astype(np.int8)
    tm, tp, uval, opinion = f32(n, k), f32(n), f32(n) * 2 - 1, rng.uniform(-1, 1, n)
    load = (f32(n, k) * 20).astype(np.float32)
    t = 50
    load_last = rng.integers(0, t + 1, (n, k)).astype(np.int32)
    react_g, prompt = rng.random(4), rng.random(k) * 0.2
    sup, crit = rng.integers(0, 20, n_items), rng.integers(0, 20, n_items)
    unc = rng.integers(0, 5, n_items)
    rem_crit, rem_unc = np.minimum(crit, rng.integers(0, 3, n_items)), np.zeros(n_items, int)
    rem = rem_crit + np.minimum(sup, rng.integers(0, 3, n_items))
    replies = rng.integers(0, 4, n_items)
    thread = tuple(x.astype(np.int32) for x in (sup, crit, unc, rem, rem_crit, rem_unc, replies))
    views = rng.integers(0, 200, n_items)
    draws = rng.random((4, m))
    out = _judge(
        u, it, su, draws, kind, src, intensity, ival, stance, outrage, gen, tm, tp, uval,
        opinion, load, load_last, react_g, prompt, thread, views, _coefficients(p), t, True,
    )  # fmt: skip
    res, trust, emotion, proof, dist, outlet, focal, like, comment, keep, mult, ci = out
    is_out = kind[it] == OUTLET
    col = np.where(is_out, src[it], 0)
    want_trust = np.where(is_out, np.where(su >= 0, np.sqrt(tm[u, col] * tp[u]), tm[u, col]), tp[u])
    want_emotion = emotional_match(intensity[it], react_g[gen[u]], uval[u], ival[it], p)
    # item_proof reads a content store's whole columns (ContentStore keeps them as "_name"): a
    # stand-in with the thread's arrays
    store = type("S", (), {})()
    names = ("supportive", "critical", "uncivil", "removed", "removed_critical", "removed_uncivil")
    for name, x in zip((*names, "replies"), thread, strict=True):
        setattr(store, "_" + name, x)
    store._views = views
    want_proof = item_proof(store, it, p)
    want_dist = np.abs(opinion[u] - stance[it])
    num = p.w_trust * want_trust + p.w_emotion * want_emotion + p.w_value * (1 - want_dist / 2)
    num = num + p.w_proof * (1.0 + want_proof) / 2.0
    want_res = num / (p.w_trust + p.w_emotion + p.w_value + p.w_proof)
    ld = decayed(load[u, col], load_last[u, col], t, load_keep(p))
    want_res = np.where(is_out, want_res / (1.0 + ld / p.fatigue_saturation), want_res)
    want_keep = 1.0 - np.where(is_out, np.maximum(0.0, p.share_friction - prompt[col]), 0.0)
    for got, want in (
        (trust, want_trust),
        (emotion, want_emotion),
        (proof, want_proof),
        (dist, want_dist),
        (res, want_res),
        (keep, want_keep),
    ):
        assert got.dtype == want.dtype and np.array_equal(got, want)
    assert np.array_equal(like, draws[0] < np.minimum(1.0, 2.0 * p.base_like * want_res))
    pc = 2.0 * p.base_comment * want_res * (1.0 + p.comment_disagreement * want_dist / 2.0)
    assert np.array_equal(comment, draws[1] < np.minimum(1.0, pc)) and comment.any()
    assert np.array_equal(ci, np.flatnonzero(comment))
    assert np.array_equal(outlet, is_out) and np.array_equal(focal, is_out & (col == 0))
    # the forward decision through the outrage multiplier, against outrage_odds
    p_fwd = rng.random(m)
    p_fwd[:10] = 1.0
    want_fwd = draws[2] < np.where(is_out, outrage_odds(p_fwd, outrage[it], p), p_fwd) * keep
    assert np.array_equal(_forwards(p_fwd, draws[2], outlet, mult, keep), want_fwd)
    # and the comments' tone against p_uncivil
    tone = rng.random(len(ci))
    eps, arousal = f32(n), f32(n)
    p2 = p.replace(incivility=0.3, incivility_arousal=1.7)
    zeros = [np.zeros(n_items, np.int64) for _ in range(3)]
    zeros += [np.zeros(n_items, np.int32) for _ in range(3)]
    crit_got, unc_got, _, _, _, cu, c_out, c_foc = _tally(
        u, it, su, kind, src, gen, focal, like, comment, np.zeros(m, bool), ci, dist, eps,
        arousal, tone, draws[3], np.zeros((n, k), bool), np.zeros(n, np.int32), *zeros,
        np.zeros((4, 3), np.int64), np.zeros(4, np.int64), t, _coefficients(p2),
    )  # fmt: skip
    assert np.array_equal(crit_got, dist[ci] > eps[u[ci]])
    assert np.array_equal(unc_got, tone < p_uncivil(p2, dist[ci] / 2.0, arousal[u[ci]]))
    assert 0 < unc_got.sum() < len(ci)
    # the comments' users and places, as the indexes record_comments was once given
    assert np.array_equal(cu, u[ci]) and np.array_equal(c_out, outlet[ci])
    assert np.array_equal(c_foc, focal[ci]) and 0 < c_foc.sum() < c_out.sum() < len(ci)
