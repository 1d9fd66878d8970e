"""The opinion rules and the algorithmic-bias peer choice against hand-computed cases.

Small worlds are built by hand (a namespace with the attributes the rules read), so each
number below can be checked with pencil and paper; a last test runs every rule inside the full
model to show it is usable there, not only in the canonical reductions.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest

from model import OpinionEcology, Params
from model import presets as P
from model.network import CSR
from model.rules import OPINION, PEER_CHOICE, PEER_MIXING
from model.rules.opinion import HegselmannKrause, gumbel_top


def _csr(n: int, edges: list[tuple[int, int]]) -> CSR:
    """An undirected adjacency from an edge list."""
    src = np.array([a for a, b in edges] + [b for a, b in edges], dtype=np.int64)
    dst = np.array([b for a, b in edges] + [a for a, b in edges], dtype=np.int64)
    order = np.lexsort((dst, src))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return CSR(indptr, dst[order].astype(np.int32))


def _world(x, eps=0.3, edges=(), **params) -> SimpleNamespace:
    x = np.asarray(x, dtype=np.float64)
    n = len(x)
    p = Params(n_users=max(n, 2), focal_followers=0, **params)
    state = SimpleNamespace(
        opinion=x.copy(),
        epsilon=np.full(n, eps, dtype=np.float32),
        trust_peers=np.ones(n, dtype=np.float32),
    )
    return SimpleNamespace(
        params=p,
        state=state,
        n_users=n,
        networks=SimpleNamespace(acq=_csr(n, list(edges))),
        rules=SimpleNamespace(peer_mixing=PEER_MIXING.get(p.peer_mixing)),
    )


def _rule(name: str, w: SimpleNamespace):
    """The opinion rule ``name`` with ``w``'s parameters and its state created for ``w``."""
    assert w.params.opinion == name
    rule = OPINION.get(name, w.params.opinion.settings)
    rule.init(w)
    return rule


def test_hk_window_means_by_hand_and_by_brute_force():
    x = np.array([0.0, 0.1, 0.5, 0.55, 1.0])
    got = HegselmannKrause.window_means(x, np.full(5, 0.15))
    np.testing.assert_allclose(got, [0.05, 0.05, 0.525, 0.525, 1.0], atol=1e-15)
    rng = np.random.default_rng(3)
    x, eps = rng.uniform(-1, 1, 300), rng.uniform(0.01, 0.5, 300)
    inside = np.abs(x[None, :] - x[:, None]) <= eps[:, None]
    brute = (inside * x[None, :]).sum(1) / inside.sum(1)
    np.testing.assert_allclose(HegselmannKrause.window_means(x, eps), brute, atol=1e-12)


def test_hk_peer_round_on_acquaintances_and_complete():
    # path 0-1-2 with bound 0.3: 0 sees 1 (0.2 away), 1 sees 0 and 2, 2 sees 1; 3 is alone
    w = _world([0.0, 0.2, 0.4, 0.9], eps=0.3, edges=[(0, 1), (1, 2), (2, 3)], peer_prob=1.0)
    HegselmannKrause().peer_round(w, np.random.default_rng(0))
    np.testing.assert_allclose(w.state.opinion, [0.1, 0.2, 0.3, 0.9], atol=1e-15)
    w = _world([0.0, 0.2, 0.4, 0.9], eps=0.3, peer_prob=1.0, peer_mixing="complete")
    HegselmannKrause().peer_round(w, np.random.default_rng(0))
    np.testing.assert_allclose(w.state.opinion, [0.1, 0.2, 0.3, 0.9], atol=1e-15)


def test_hk_reads_content_as_the_mean_inside_the_bound():
    # user 0 at 0 sees 0.2 (trust 1, inside) and 0.9 (outside): target (0 + 0.2) / 2 = 0.1
    w = _world([0.0, 0.0], eps=0.3, mu_content=0.5)
    u, diff = np.array([0, 0]), np.array([0.2, 0.9])
    pull = HegselmannKrause().content_pull(w, u, diff, np.abs(diff) < 0.3, np.ones(2))
    np.testing.assert_allclose(pull, [0.05, 0.0], atol=1e-15)
    # the default (Deffuant) averages over both views: 0.5 * 0.2 / 2
    bc = OPINION.get("bounded_confidence").content_pull(w, u, diff, np.abs(diff) < 0.3, np.ones(2))
    np.testing.assert_allclose(bc, [0.05, 0.0], atol=1e-15)


def test_degroot_and_friedkin_johnsen_one_step_by_hand():
    # path 0-1-2, peer trust 1: W = [[1/2, 1/2, 0], [1/3, 1/3, 1/3], [0, 1/2, 1/2]]
    x0 = [1.0, 0.0, -1.0]
    w = _world(x0, edges=[(0, 1), (1, 2)], peer_prob=1.0, opinion="degroot")
    _rule("degroot", w).peer_round(w, np.random.default_rng(0))
    np.testing.assert_allclose(w.state.opinion, [0.5, 0.0, -0.5], atol=1e-15)
    w = _world(
        x0,
        edges=[(0, 1), (1, 2)],
        peer_prob=1.0,
        opinion="friedkin_johnsen",
        **{"opinion.susceptibility": 0.5},
    )
    fj = _rule("friedkin_johnsen", w)
    fj.peer_round(w, np.random.default_rng(0))
    np.testing.assert_allclose(w.state.opinion, [0.75, 0.0, -0.75], atol=1e-15)
    # second step: 0.5 W [0.75, 0, -0.75] + 0.5 x0 = [0.6875, 0, -0.6875]
    fj.peer_round(w, np.random.default_rng(0))
    np.testing.assert_allclose(w.state.opinion, [0.6875, 0.0, -0.6875], atol=1e-15)


def test_trust_weights_rows_and_random_weights_are_row_stochastic():
    w = _world([0.3, -0.1, 0.2], edges=[(0, 1), (1, 2)], peer_prob=1.0, opinion="degroot")
    w.state.trust_peers[:] = [0.5, 1.0, 0.0]
    rows, cols, wt = _rule("degroot", w).matrix(w)
    W = np.zeros((3, 3))
    np.add.at(W, (rows, cols), wt)
    # row 0: self 1, neighbour 0.5 -> [2/3, 1/3]; row 2: trust 0 -> itself only
    np.testing.assert_allclose(W, [[2 / 3, 1 / 3, 0], [1 / 3, 1 / 3, 1 / 3], [0, 0, 1]])
    w = _world(
        [0.3, -0.1, 0.2],
        edges=[(0, 1), (1, 2)],
        opinion="degroot",
        **{"opinion.peer_weights": "random"},
    )
    rows, cols, wt = _rule("degroot", w).matrix(w, np.random.default_rng(1))
    np.testing.assert_allclose(np.bincount(rows, weights=wt), 1.0)
    assert (wt > 0).all()


def test_activity_driven_euler_step_by_hand():
    # two users, activity 1 (activity_min = 1), one contact each: A = [[0, 1], [1, 0]]
    w = _world(
        [0.5, -0.2],
        peer_prob=1.0,
        peer_mixing="complete",
        opinion="activity_driven",
        **{
            "opinion.activity_min": 1.0,
            "opinion.contacts": 1,
            "opinion.controversy": 2.0,
            "opinion.social_coupling": 3.0,
            "opinion.opinion_dt": 0.1,
        },
    )
    rule = _rule("activity_driven", w)
    rule.peer_round(w, np.random.default_rng(0))
    x0 = 0.5 + 0.1 * (-0.5 + 3 * math.tanh(2 * -0.2))
    x1 = -0.2 + 0.1 * (0.2 + 3 * math.tanh(2 * 0.5))
    np.testing.assert_allclose(rule.x, [x0, x1], atol=1e-15)
    np.testing.assert_allclose(w.state.opinion, np.tanh([x0, x1]), atol=1e-15)
    # content that moves the shown opinion is read back as artanh
    w.state.opinion[0] = 0.0
    rule.peer_round(w, np.random.default_rng(1))
    assert rule.x[0] == pytest.approx(0.1 * 3 * math.tanh(2 * x1), abs=1e-15)


def test_gumbel_top_draws_without_replacement_and_never_a_forbidden_column():
    rng = np.random.default_rng(0)
    logw = np.zeros((2000, 5))
    logw[:, 0] = -np.inf
    top = gumbel_top(rng, logw, 3)
    assert (top != 0).all() and all(len(set(r)) == 3 for r in top.tolist())
    # equal weights: each allowed column is in a row's 3 of 4 with probability 3/4
    share = np.bincount(top.ravel(), minlength=5)[1:] / 2000
    assert np.abs(share - 0.75).max() < 0.04  # 4 sd of a binomial share at n = 2000


@pytest.mark.parametrize("mixing", ["complete", "network"])
def test_algorithmic_bias_prefers_close_partners(mixing):
    x = [0.0, 0.1, 0.9, 1.0]
    edges = [(a, b) for a in range(4) for b in range(a + 1, 4)]
    biased = {"peer_choice": "algorithmic_bias"}
    w = _world(x, edges=edges, peer_mixing=mixing, **biased, **{"peer_choice.peer_bias": 10.0})
    rule = PEER_CHOICE.get("algorithmic_bias", w.params.peer_choice.settings)
    rng = np.random.default_rng(0)
    for _ in range(20):
        a, b = rule.propose(rng, np.arange(4), w)
        # 0.1^-10 against 0.9^-10: the nearest partner with probability 1 - 3e-10
        assert b.tolist() == [1, 0, 3, 2]
    # gamma = 0: uniform over the other three
    w = _world(x, edges=edges, peer_mixing=mixing, **biased, **{"peer_choice.peer_bias": 0.0})
    rule = PEER_CHOICE.get("algorithmic_bias", w.params.peer_choice.settings)
    picks = np.concatenate([rule.propose(rng, np.array([0]), w)[1] for _ in range(3000)])
    share = np.bincount(picks, minlength=4) / 3000
    assert share[0] == 0 and np.abs(share[1:] - 1 / 3).max() < 0.035  # 4 sd at n = 3000


def test_presets_map_the_classic_scale_and_are_listed():
    assert P.hegselmann_krause(0.25).epsilon == 0.5
    assert P.algorithmic_bias(0.3, 1.5).epsilon == 0.6
    assert P.algorithmic_bias(0.3, 1.5).peer_choice.peer_bias == 1.5
    assert P.friedkin_johnsen(0.3).opinion.susceptibility == 0.3
    assert P.echo_chambers(0.05, 2).opinion.controversy == 0.05
    for name in ("hegselmann_krause", "algorithmic_bias", "degroot", "friedkin_johnsen"):
        assert name in P.PRESETS and isinstance(P.PRESETS[name](), Params)
    assert isinstance(P.PRESETS["echo_chambers"](), Params)
    with pytest.raises(ValueError, match="gamma"):
        P.algorithmic_bias(0.3, -1.0)


@pytest.mark.parametrize(
    "change",
    [
        {"opinion": "hegselmann_krause"},
        {"opinion": "degroot"},
        {"opinion": "friedkin_johnsen"},
        {"opinion": "activity_driven"},
        {"peer_choice": "algorithmic_bias", "peer_choice.peer_bias": 1.0},
    ],
    ids=lambda c: "+".join(map(str, c.values())),
)
def test_every_rule_runs_in_the_full_model(change):
    base = OpinionEcology(Params(n_users=300, steps=10), seed=2).run()
    m = OpinionEcology(Params(n_users=300, steps=10, **change), seed=2).run()
    x = m.state.opinion
    assert m.steps == 10 and np.isfinite(x).all() and ((x >= -1) & (x <= 1)).all()
    assert not np.array_equal(x, base.state.opinion), "the rule changed nothing"
