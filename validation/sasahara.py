"""Validation of unfollowing (docs/ODD.md 7.19): Sasahara et al. (2021)'s echo chambers.

Sasahara, Chen, Peng, Ciampaglia, Flammini & Menczer (2021), "Social influence and unfollowing
accelerate the emergence of echo chambers", J. Comput. Soc. Sci. 4, 381-402: N = 100 agents
with opinions U(-1, 1) on a random directed follow network of 400 ties read the last l = 10
messages of their followees, move mu = 0.5 of the way to the mean of those inside their bound
epsilon = 0.4, and with probability q unfollow the poster of a message outside it and follow
someone else. With q > 0 the network splits into segregated groups of homogeneous opinion,
sooner the larger q; with q = 0 the network never splits.

The same setting in this model (:func:`params`): 100 users, opinions U(-1, 1), epsilon 0.4
for all, an Erdos-Renyi follow layer of mean out-degree 4 and no acquaintance layer, every user
active every step (a session posts with probability 1/2, else browses), screens of 10 items
viewed in full, each post reaching every follower; influence is this model's bounded
confidence toward viewed content with mu_content = 0.5 (times the viewer's trust in peers,
0.5-0.7 by cohort, so the step moves less than their mu); no outlets, no peer exchange, no
comments, no reposts. Unfollowing is the ``sasahara`` rule with ``unfollow_prob`` q per
discordant view (at most one unfollow per user per step) and random rewiring. What differs:
many users act per step (their model activates one agent per time step), the unfollow chance is
per discordant view, not per activation, and there are no reposts (their p = 0): with this
model's forwarding, a user forwards an item whatever its stance, so a like-minded followee who
forwards a discordant item would be unfollowed for it, which their agents (who repost only
concordant messages) never provoke.

Criterion, fixed before the runs: over 20 paired seeds (the same population and network,
q = 0.5 against q = 0), the time until the share of follow ties outside the follower's bound
falls to 0.05 (the horizon + 1 when it never does) is shorter with unfollowing in at least 18
seeds, and the final cross-cutting share (ties across opinion 0) is lower with unfollowing in at
least 18 (a one-sided sign test gives p < 2e-4 at 18 of 20). Held out (slow test only):
epsilon = 0.6.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from model.engine import OpinionEcology
from model.measures.follow_network import cross_share, discordant_share, modularity
from model.params import Params
from model.presets import ALWAYS_ACTIVE, QUIET
from validation.common import group as _by
from validation.common import passed as _pass

TEMPLATE = Path(__file__).with_name("template_sasahara.md")

Rows = list[dict[str, Any]]
Summary = tuple[dict[str, Any], list[str]]

# ------------------------------------------------------------------ design
#: Their population, ties per user, bound, influence, unfollowing rate; our horizon.
SAS_USERS, SAS_DEGREE, SAS_EPS, SAS_MU, SAS_Q, SAS_STEPS = 100, 4.0, 0.4, 0.5, 0.5, 300
#: Paired seeds, the segregation threshold, and the seeds that must favour unfollowing.
SAS_SEEDS, SAS_THRESHOLD, SAS_NEEDED = 20, 0.05, 18
#: The held-out bound (slow test only).
SAS_HELD_OUT_EPS = 0.6
#: Opinions closer than this are one cluster (engine scale).
SAS_GAP = 0.05


def params(
    q: float, epsilon: float = SAS_EPS, n_users: int = SAS_USERS, steps: int = SAS_STEPS
) -> Params:
    """Sasahara et al.'s setting in this model (see the module's docstring)."""
    return Params(
        **{
            **QUIET,
            "n_users": n_users,
            "initial_opinion": "uniform",
            "epsilon": epsilon,
            "follow_model": "erdos_renyi",
            "follow_degree": SAS_DEGREE,
            "organic_reach": 1.0,
            "user_post_prob": 0.5,
            "activity_scale": ALWAYS_ACTIVE,
            "forwarding": "fixed",
            "forward_p": 0.0,
            "attention": "unlimited",
            "screen_size": 10,
            "mu_content": SAS_MU,
            "comments_visible": False,
            "nasty_polarization": 0.0,
            "user_follow.unfollow_prob": q,
            "user_follow.rewire": "random",
            "steps": steps,
        }
    )


def clusters(x: np.ndarray, gap: float = SAS_GAP) -> int:
    """Groups of sorted opinions split where neighbours are more than ``gap`` apart."""
    return int(np.count_nonzero(np.diff(np.sort(x)) > gap) + 1)


def stationary(m: OpinionEcology) -> bool:
    """Sasahara et al.'s stopping state: the follow layer has split into at least two weakly
    connected groups, and within each the opinions span at most epsilon."""
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    fol = m.networks.followers
    csr = fol.csr() if hasattr(fol, "csr") else fol
    n = m.n_users
    g = csr_matrix((np.ones(csr.n_edges), csr.indices, csr.indptr), shape=(n, n))
    k, label = connected_components(g, directed=True, connection="weak")
    if k < 2:
        return False
    x = m.state.opinion
    span = np.zeros(k)
    lo, hi = np.full(k, np.inf), np.full(k, -np.inf)
    np.minimum.at(lo, label, x)
    np.maximum.at(hi, label, x)
    span = hi - lo
    return bool((span <= float(m.state.epsilon.max())).all())


def run(q: float, seed: int, epsilon: float = SAS_EPS, steps: int = SAS_STEPS) -> dict[str, Any]:
    """One run: the discordant and cross-cutting shares of follow ties at every step, the step
    segregation was reached, the step their stationary state was (the horizon + 1: never), the
    final modularity, opinion clusters and the rule's tallies."""
    m = OpinionEcology(params(q, epsilon, steps=steps), seed=seed)
    disc, cross = [discordant_share(m)], [cross_share(m)]
    t_stat = steps + 1
    for t in range(steps):
        m.step()
        disc.append(discordant_share(m))
        cross.append(cross_share(m))
        if t_stat > steps and stationary(m):
            t_stat = t + 1
    d = np.array(disc)
    hit = np.flatnonzero(d <= SAS_THRESHOLD)
    follows, unfollows = m.rules.user_follow.state.total
    return {
        "q": q,
        "eps": epsilon,
        "seed": seed,
        "disc": d,
        "cross": np.array(cross),
        "t_seg": int(hit[0]) if len(hit) else steps + 1,
        "t_stat": t_stat,
        "steps": steps,
        "modularity": modularity(m),
        "clusters": clusters(m.state.opinion),
        "unfollows": int(unfollows),
        "follows": int(follows),
    }


def tasks() -> list[tuple[str, Any, tuple]]:
    """Every run of the check: (check, function, arguments)."""
    return [("sasahara", run, (q, s)) for q in (SAS_Q, 0.0) for s in range(SAS_SEEDS)]


# ------------------------------------------------------------------ verdict
def paired(rows: Rows) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The runs with and without unfollowing, paired by seed (seed order)."""
    by = _by(rows, "q")
    on = sorted(by[max(by)], key=lambda r: r["seed"])
    off = sorted(by[0.0], key=lambda r: r["seed"])
    assert [r["seed"] for r in on] == [r["seed"] for r in off], "unpaired seeds"
    return on, off


def sign_test(wins: int, n: int) -> float:
    """One-sided sign test: P(at least ``wins`` of ``n`` fair coin flips)."""
    from math import comb

    return sum(comb(n, k) for k in range(wins, n + 1)) / 2.0**n


def verdict(rows: Rows) -> dict[str, Any]:
    """The criterion's numbers: seeds where unfollowing segregates sooner and ends with fewer
    cross-cutting ties, their sign tests, and the medians a reader compares."""
    on, off = paired(rows)
    n = len(on)
    sooner = sum(a["t_seg"] < b["t_seg"] for a, b in zip(on, off, strict=True))
    fewer = sum(a["cross"][-1] < b["cross"][-1] for a, b in zip(on, off, strict=True))
    needed = int(np.ceil(SAS_NEEDED / SAS_SEEDS * n))
    return {
        "n": n,
        "sooner": sooner,
        "fewer": fewer,
        "needed": needed,
        "p_sooner": sign_test(sooner, n),
        "p_fewer": sign_test(fewer, n),
        "t_on": float(np.median([r["t_seg"] for r in on])),
        "t_off": float(np.median([r["t_seg"] for r in off])),
        "reached_off": sum(r["t_seg"] <= r["steps"] for r in off),
        "stat_on": sum(r["t_stat"] <= r["steps"] for r in on),
        "stat_off": sum(r["t_stat"] <= r["steps"] for r in off),
        "t_stat_on": float(np.median([r["t_stat"] for r in on])),
        "cross_on": float(np.median([r["cross"][-1] for r in on])),
        "cross_off": float(np.median([r["cross"][-1] for r in off])),
        "disc_on": float(np.median([r["disc"][-1] for r in on])),
        "disc_off": float(np.median([r["disc"][-1] for r in off])),
        "mod_on": float(np.median([r["modularity"] for r in on])),
        "mod_off": float(np.median([r["modularity"] for r in off])),
        "clusters_on": float(np.median([r["clusters"] for r in on])),
        "clusters_off": float(np.median([r["clusters"] for r in off])),
        "unfollows": float(np.median([r["unfollows"] for r in on])),
        "ok": sooner >= needed and fewer >= needed,
    }


def sasahara_summary(rows: Rows) -> Summary:
    """The criterion on the check's runs, as the page's fields and one verdict."""
    v = verdict(rows)
    line = (
        f"Unfollowing (Sasahara et al. 2021), N={SAS_USERS}, epsilon={SAS_EPS:g}, q={SAS_Q:g} vs 0: "
        f"segregated (discordant ties <= {SAS_THRESHOLD:g}) sooner in {v['sooner']}/{v['n']} "
        f"paired seeds (median step {v['t_on']:g} vs {v['t_off']:g}), fewer cross-cutting ties "
        f"at the end in {v['fewer']}/{v['n']} (median {v['cross_on']:.3f} vs "
        f"{v['cross_off']:.3f}; >= {v['needed']} each): {_pass(v['ok'])}"
    )
    fields = {
        **{k: (f"{x:.3g}" if isinstance(x, float) else x) for k, x in v.items()},
        "p_sooner": f"{v['p_sooner']:.1e}",
        "p_fewer": f"{v['p_fewer']:.1e}",
        "users": SAS_USERS,
        "eps": SAS_EPS,
        "mu": SAS_MU,
        "q": SAS_Q,
        "steps": SAS_STEPS,
        "threshold": SAS_THRESHOLD,
        "seeds": SAS_SEEDS,
        "held_out": SAS_HELD_OUT_EPS,
        "pass": _pass(v["ok"]),
    }
    return fields, [line]


# ------------------------------------------------------------------ figure
def sasahara_figure(rows: Rows, fig_dir: Path) -> None:
    """The discordant share of follow ties against the step, every run, with and without
    unfollowing; and the final opinions of seed 0 by follower, coloured by arm."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    on, off = paired(rows)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    for rs, color, label in ((off, "tab:orange", "q = 0"), (on, "tab:blue", f"q = {SAS_Q:g}")):
        for r in rs:
            a1.plot(r["disc"], color=color, lw=0.6, alpha=0.5)
        a1.plot([], [], color=color, label=label)
    a1.axhline(SAS_THRESHOLD, color="0.5", ls=":")
    a1.set_xlabel("step")
    a1.set_ylabel("share of follow ties outside the bound")
    a1.set_title(f"Sasahara et al. setting, N = {SAS_USERS}, $\\epsilon$ = {SAS_EPS:g}")
    a1.legend()
    for rs, color, label in ((off, "tab:orange", "q = 0"), (on, "tab:blue", f"q = {SAS_Q:g}")):
        a2.plot([r["cross"][-1] for r in rs], "o", color=color, label=label, ms=4)
    a2.set_xlabel("seed")
    a2.set_ylabel("final share of ties across opinion 0")
    a2.set_title("Cross-cutting ties at the end, paired seeds")
    a2.legend()
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_sasahara.png", dpi=120)
    plt.close(fig)


#: (check, summary, figure) for the report's loop (:data:`validation.report.CHECKS`).
CHECKS = (("sasahara", sasahara_summary, sasahara_figure),)
