"""Validation of the opinion rules (docs/ODD.md 7.15, 7.16): design, runs, verdicts, figures.

Four checks, each a canonical preset of :mod:`model.presets`, joined to the report by
:mod:`validation.runs` (:func:`tasks`) and :mod:`validation.report` (:data:`CHECKS`,
:data:`TEMPLATE`):

* ``hk``: Hegselmann-Krause, uniform opinions, complete mixing, n = 1000: consensus for
  epsilon >= 0.25 in at least 90% of runs (Fortunato 2005; Lorenz 2007), frozen within 100
  steps, opinion order preserved.
* ``ab``: algorithmic bias (Sirbu et al. 2019), n = 100, epsilon = 0.3: more clusters and slower
  convergence as gamma grows.
* ``linear``: DeGroot consensus pi^T x(0) and the Friedkin-Johnsen fixed point
  (I - Lambda W)^-1 (I - Lambda) x(0) on 50 nodes, to 1e-8.
* ``echo``: the three regimes of Baumann et al. (2020).

Seeds are ``range(replicates)``; tolerances are fixed here and reasoned in the slow tests of
``tests/validation/test_opinion_rules.py``, which assert the same criteria on these seeds or a
subset. The file is one module for the four checks so that the report's shared files change by
a line each.

This file is long because it holds the design, runs, verdicts and figures of four checks,
kept together as the spreading rules' checks are in spread_rules.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from model.engine import OpinionEcology
from model.presets import algorithmic_bias, degroot, echo_chambers, friedkin_johnsen
from model.presets import hegselmann_krause as hk_preset
from validation.common import group as _by
from validation.common import passed as _pass

TEMPLATE = Path(__file__).with_name("template_opinion.md")

Rows = list[dict[str, Any]]
Summary = tuple[dict[str, Any], list[str]]

# ------------------------------------------------------------------ design
#: Hegselmann-Krause: bounds (classic [0, 1] scale), replicates, population, the tested bounds.
HK_EPS = (0.1, 0.15, 0.2, 0.225, 0.25, 0.275, 0.3, 0.35, 0.4)
HK_SEEDS, HK_USERS = 20, 1000
HK_TESTED = (0.25, 0.3)
#: Consensus share required at the tested bounds, and the steps within which runs must freeze.
HK_CONSENSUS, HK_FREEZE = 0.9, 100
#: Opinions closer than this (engine scale) are one cluster; consensus is one cluster.
CLUSTER_GAP = 2e-3
#: Algorithmic bias: bound, population, biases, replicates; the biases the criterion compares.
AB_EPS, AB_USERS = 0.3, 100
AB_GAMMAS = (0.0, 0.5, 1.0, 1.5)
#: (gamma = 1.5 runs all reach the 500-step horizon, so fewer of them)
AB_SEEDS = {0.0: 10, 0.5: 10, 1.0: 10, 1.5: 5}
AB_TESTED = (0.0, 1.0, 1.5)
#: DeGroot / Friedkin-Johnsen: replicates (random W and x(0) per seed), lambda, tolerance.
LINEAR_SEEDS, FJ_LAMBDA, LINEAR_TOL = 5, 0.5, 1e-8
#: Baumann et al. (2020): (alpha, beta) of the three regimes, replicates, and the last steps
#: over which each user's contacts are averaged for the echo-chamber correlation.
ECHO_REGIMES = {
    "neutral consensus": (0.05, 2.0),
    "radicalisation": (3.0, 0.0),
    "polarisation": (3.0, 3.0),
}
ECHO_SEEDS, ECHO_WINDOW = 2, 100
#: Echo-chamber thresholds: neutral mean |x| below, radicalised one sign at least, polarised
#: each sign at least, radical mean |x| above, contact correlation at least.
ECHO_NEUTRAL, ECHO_ONE_SIGN, ECHO_BOTH, ECHO_RADICAL, ECHO_CORR = 0.01, 0.95, 0.25, 1.0, 0.5


def clusters(x: np.ndarray, gap: float = CLUSTER_GAP) -> np.ndarray:
    """Sizes of the groups of sorted opinions split where neighbours are more than ``gap`` apart."""
    xs = np.sort(x)
    cuts = np.flatnonzero(np.diff(xs) > gap) + 1
    return np.diff(np.concatenate([[0], cuts, [len(xs)]]))


def effective_clusters(x: np.ndarray) -> float:
    """(sum c)^2 / sum c^2 over cluster sizes c (Sirbu et al. 2019's effective number)."""
    c = clusters(x).astype(np.float64)
    return float(c.sum() ** 2 / (c**2).sum())


# ------------------------------------------------------------------ runs
def hk_run(eps: float, seed: int) -> dict[str, Any]:
    """Consensus, freezing time and order preservation of one Hegselmann-Krause run."""
    m = OpinionEcology(hk_preset(eps, HK_USERS), seed=seed)
    x0 = m.state.opinion.copy()
    sample = np.linspace(0, HK_USERS - 1, 60).astype(int)
    traj = [x0[sample]] if seed == 0 else []
    while m.running:
        m.step()
        if seed == 0:
            traj.append(m.state.opinion[sample].copy())
    x = m.state.opinion
    order = np.argsort(x0, kind="stable")
    return {
        "eps": eps,
        "seed": seed,
        "clusters": len(clusters(x)),
        "consensus": len(clusters(x)) == 1,
        "steps": m.steps,
        "stopped": not m.running and m.steps < m.params.steps,
        "order": bool((np.diff(x[order]) >= 0).all()),
        "traj": np.array(traj),
    }


def ab_run(gamma: float, seed: int) -> dict[str, Any]:
    """Effective clusters and convergence time of one algorithmic-bias run."""
    m = OpinionEcology(algorithmic_bias(AB_EPS, gamma, AB_USERS), seed=seed).run()
    return {
        "gamma": gamma,
        "seed": seed,
        "clusters": effective_clusters(m.state.opinion),
        "steps": m.steps,
        "converged": not m.running and m.steps < m.params.steps,
        "final": (m.state.opinion + 1) / 2,
    }


def _dense_w(m: OpinionEcology) -> np.ndarray:
    rows, cols, w = m.rules["opinion"].matrix(m)
    out = np.zeros((m.n_users, m.n_users))
    np.add.at(out, (rows, cols), w)
    return out


def linear_run(kind: str, seed: int) -> dict[str, Any]:
    """Distance of DeGroot / Friedkin-Johnsen opinions to their closed form, step by step."""
    params = degroot() if kind == "degroot" else friedkin_johnsen(FJ_LAMBDA)
    m = OpinionEcology(params, seed=seed)
    x0 = m.state.opinion.copy()
    m.step()  # the random W is drawn at the first round
    w = _dense_w(m)
    n = m.n_users
    if kind == "degroot":
        vals, vecs = np.linalg.eig(w.T)
        pi = np.real(vecs[:, np.argmin(np.abs(vals - 1))])
        target = np.full(n, (pi / pi.sum()) @ x0)
    else:
        target = np.linalg.solve(np.eye(n) - FJ_LAMBDA * w, (1 - FJ_LAMBDA) * x0)
    err = [float(np.abs(m.state.opinion - target).max())]
    while m.running:
        m.step()
        err.append(float(np.abs(m.state.opinion - target).max()))
    lam2 = float(np.sort(np.abs(np.linalg.eigvals(w)))[-2])
    return {"kind": kind, "seed": seed, "err": np.array(err), "final": err[-1], "lambda2": lam2}


def echo_run(regime: str, seed: int) -> dict[str, Any]:
    """Opinions, signs and the opinion-contacts correlation of one Baumann et al. run."""
    alpha, beta = ECHO_REGIMES[regime]
    m = OpinionEcology(echo_chambers(alpha, beta), seed=seed)
    rule, n = m.rules["opinion"], m.n_users
    tot, cnt = np.zeros(n), np.zeros(n)
    while m.running:
        m.step()
        if m.steps > m.params.steps - ECHO_WINDOW:
            i, j = rule.last_contacts
            tot += np.bincount(i, weights=rule.x[j], minlength=n)
            cnt += np.bincount(i, minlength=n)
    x, seen = rule.x.copy(), cnt > 0
    nn = tot[seen] / cnt[seen]
    return {
        "regime": regime,
        "seed": seed,
        "x": x,
        "neighbours": nn,
        "seen": seen,
        "mean_abs": float(np.abs(x).mean()),
        "positive": float((x > 0).mean()),
        "corr": float(np.corrcoef(x[seen], nn)[0, 1]),
    }


Task = tuple[str, Callable[..., dict[str, Any]], tuple]


def tasks() -> list[Task]:
    """Every run of these checks: (check, function, arguments), longest first."""
    out: list[Task] = [("ab", ab_run, (g, s)) for g in AB_GAMMAS[::-1] for s in range(AB_SEEDS[g])]
    out += [("echo", echo_run, (r, s)) for r in ECHO_REGIMES for s in range(ECHO_SEEDS)]
    out += [("linear", linear_run, (k, s)) for k in ("degroot", "fj") for s in range(LINEAR_SEEDS)]
    out += [("hk", hk_run, (e, s)) for e in HK_EPS for s in range(HK_SEEDS)]
    return out


# ------------------------------------------------------------------ verdicts
def hk_summary(rows: Rows) -> Summary:
    """At the tested bounds: consensus share >= 0.9, every run frozen within 100 steps; order kept."""
    by = _by(rows, "eps")
    share = {e: float(np.mean([r["consensus"] for r in by[e]])) for e in sorted(by)}
    tested_rows = [r for e in HK_TESTED for r in by[e]]
    frozen = all(r["stopped"] and r["steps"] <= HK_FREEZE for r in tested_rows)
    order = all(r["order"] for r in rows)
    ok = all(share[e] >= HK_CONSENSUS for e in HK_TESTED) and frozen and order
    tested = ", ".join(f"{e:g}: {share[e]:.0%}" for e in HK_TESTED)
    verdicts = [
        f"Hegselmann-Krause consensus at epsilon {tested} (>= 90%); every run there frozen within "
        f"{HK_FREEZE} steps (longest {max(r['steps'] for r in tested_rows)}): {_pass(frozen)}; "
        f"opinion order preserved: {_pass(order)}; overall {_pass(ok)}"
    ]
    table = [
        f"| {e:g} | {len(by[e])} | {share[e]:.0%} | "
        f"{np.median([r['clusters'] for r in by[e]]):g} | {max(r['steps'] for r in by[e])} |"
        for e in sorted(by)
    ]
    return {
        "users": HK_USERS,
        "seeds": HK_SEEDS,
        "table": "\n".join(table),
        "tested": tested,
        "longest": max(r["steps"] for r in tested_rows),
        "longest_all": max(r["steps"] for r in rows),
        "all_stopped": all(r["stopped"] for r in rows),
        "freeze": HK_FREEZE,
        "pass": _pass(ok),
    }, verdicts


def ab_summary(rows: Rows) -> Summary:
    """Mean effective clusters and median steps strictly increase over the tested gammas."""
    by = _by(rows, "gamma")
    gam = sorted(by)
    mc = {g: float(np.mean([r["clusters"] for r in by[g]])) for g in gam}
    ms = {g: float(np.median([r["steps"] for r in by[g]])) for g in gam}
    t = AB_TESTED
    ok_c = all(mc[a] < mc[b] for a, b in zip(t, t[1:], strict=False))
    ok_s = all(ms[a] < ms[b] for a, b in zip(t, t[1:], strict=False))
    verdicts = [
        "Algorithmic bias (n=100, epsilon=0.3): mean effective clusters "
        + ", ".join(f"gamma {g:g}: {mc[g]:.2f}" for g in t)
        + f" increasing: {_pass(ok_c)}; median steps to converge "
        + ", ".join(f"{ms[g]:g}" for g in t)
        + f" increasing: {_pass(ok_s)}"
    ]
    table = [
        f"| {g:g} | {len(by[g])} | {mc[g]:.2f} | {ms[g]:g} | {sum(r['converged'] for r in by[g])} |"
        for g in gam
    ]
    return {
        "users": AB_USERS,
        "eps": AB_EPS,
        "seeds": ", ".join(f"{n} at gamma {g:g}" for g, n in AB_SEEDS.items()),
        "table": "\n".join(table),
        "pass": _pass(ok_c and ok_s),
    }, verdicts


def linear_summary(rows: Rows) -> Summary:
    """Every run within 1e-8 of its closed form."""
    by = _by(rows, "kind")
    worst = {k: max(r["final"] for r in by[k]) for k in by}
    ok = all(v <= LINEAR_TOL for v in worst.values())
    verdicts = [
        f"DeGroot consensus vs pi^T x0: max error {worst['degroot']:.1e}; Friedkin-Johnsen vs "
        f"(I - Lambda W)^-1 (I - Lambda) x0: max error {worst['fj']:.1e} (<= 1e-8): {_pass(ok)}"
    ]
    lam2 = [r["lambda2"] for r in by["degroot"]]
    return {
        "seeds": LINEAR_SEEDS,
        "lam": FJ_LAMBDA,
        "dg": worst["degroot"],
        "fj": worst["fj"],
        "lam2_min": min(lam2),
        "lam2_max": max(lam2),
        "steps": len(rows[0]["err"]) - 1,
        "pass": _pass(ok),
    }, verdicts


def echo_ok(r: dict[str, Any]) -> bool:
    """The criterion of each regime for one run."""
    major = max(r["positive"], 1 - r["positive"])
    if r["regime"] == "neutral consensus":
        return r["mean_abs"] < ECHO_NEUTRAL
    if r["regime"] == "radicalisation":
        return major >= ECHO_ONE_SIGN and r["mean_abs"] > ECHO_RADICAL
    return 1 - major >= ECHO_BOTH and r["mean_abs"] > ECHO_RADICAL and r["corr"] >= ECHO_CORR


def echo_summary(rows: Rows) -> Summary:
    """Each regime's criterion holds in every run."""
    by = _by(rows, "regime")
    verdicts, table = [], []
    for reg, (a, b) in ECHO_REGIMES.items():
        rs = by[reg]
        ok = all(echo_ok(r) for r in rs)
        ma = [r["mean_abs"] for r in rs]
        pos = [r["positive"] for r in rs]
        cor = [r["corr"] for r in rs]
        verdicts.append(
            f"Echo chambers, {reg} (alpha={a:g}, beta={b:g}): mean |x| {min(ma):.3g}-{max(ma):.3g}, "
            f"positive share {min(pos):.2f}-{max(pos):.2f}, contact correlation "
            f"{min(cor):.2f}-{max(cor):.2f}: {_pass(ok)}"
        )
        table.append(
            f"| {reg} | {a:g} | {b:g} | {min(ma):.3g}-{max(ma):.3g} | "
            f"{min(pos):.2f}-{max(pos):.2f} | {min(cor):.2f}-{max(cor):.2f} | {_pass(ok)} |"
        )
    return {"seeds": ECHO_SEEDS, "window": ECHO_WINDOW, "table": "\n".join(table)}, verdicts


# ------------------------------------------------------------------ figures
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def hk_figure(rows: Rows, fig_dir: Path) -> None:
    """Consensus share against epsilon, and the opinions of one run at 0.25 over time."""
    plt = _pyplot()
    by = _by(rows, "eps")
    eps = sorted(by)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    a1.plot(eps, [np.mean([r["consensus"] for r in by[e]]) for e in eps], "o-")
    a1.axhline(HK_CONSENSUS, color="0.5", ls=":")
    a1.axvline(0.25, color="0.5", ls=":")
    a1.set_xlabel(r"confidence bound $\epsilon$ (opinions on [0, 1])")
    a1.set_ylabel(f"share of {HK_SEEDS} runs in consensus")
    a1.set_title(f"Hegselmann-Krause, n = {HK_USERS}")
    for e, color in ((0.15, "tab:orange"), (0.25, "tab:blue")):
        traj = next(r["traj"] for r in by.get(e, []) if r["seed"] == 0)
        a2.plot((traj + 1) / 2, color=color, lw=0.6, alpha=0.7)
        a2.plot([], [], color=color, label=rf"$\epsilon$ = {e:g}")
    a2.set_xlabel("step")
    a2.set_ylabel("opinion (on [0, 1])")
    a2.set_title("60 users of seed 0")
    a2.legend()
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_hegselmann_krause.png", dpi=120)
    plt.close(fig)


def ab_figure(rows: Rows, fig_dir: Path) -> None:
    """Final opinions of every run per gamma, and effective clusters and steps against gamma."""
    plt = _pyplot()
    by = _by(rows, "gamma")
    gam = sorted(by)
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(10, 3.8))
    jitter = np.random.default_rng(0)
    for g in gam:
        x = np.concatenate([r["final"] for r in by[g]])
        a1.scatter(g + jitter.uniform(-0.08, 0.08, len(x)), x, s=3, alpha=0.3, lw=0)
    a1.set_xlabel(r"algorithmic bias $\gamma$")
    a1.set_ylabel("final opinion (on [0, 1])")
    a1.set_title(f"Final opinions, n = {AB_USERS}, $\\epsilon$ = {AB_EPS:g}")
    a2.plot(gam, [np.mean([r["clusters"] for r in by[g]]) for g in gam], "o-", label="clusters")
    a2.set_xlabel(r"algorithmic bias $\gamma$")
    a2.set_ylabel("mean effective clusters")
    a3 = a2.twinx()
    a3.plot(gam, [np.median([r["steps"] for r in by[g]]) for g in gam], "s--", color="tab:red")
    a3.set_ylabel("median steps (20 rounds each)", color="tab:red")
    a3.set_yscale("log")
    a2.set_title("Clusters and convergence time")
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_algorithmic_bias.png", dpi=120)
    plt.close(fig)


def linear_figure(rows: Rows, fig_dir: Path) -> None:
    """Distance to the closed form against the step, every run."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for r in rows:
        color = "tab:blue" if r["kind"] == "degroot" else "tab:orange"
        ax.semilogy(np.maximum(r["err"], 1e-17), color=color, lw=0.8, alpha=0.8)
    ax.plot([], [], color="tab:blue", label=r"DeGroot vs $\pi^T x_0$")
    ax.plot([], [], color="tab:orange", label=r"FJ vs $(I-\Lambda W)^{-1}(I-\Lambda)x_0$")
    ax.axhline(LINEAR_TOL, color="0.5", ls=":")
    ax.set_xlabel("step")
    ax.set_ylabel("max |x(t) - closed form|")
    ax.set_title("DeGroot and Friedkin-Johnsen on 50 nodes")
    ax.legend()
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_degroot_fj.png", dpi=120)
    plt.close(fig)


def echo_figure(rows: Rows, fig_dir: Path) -> None:
    """Each regime's opinions against the mean opinion of each user's contacts (seed 0)."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    by = _by(rows, "regime")
    for ax, (reg, (a, b)) in zip(axes, ECHO_REGIMES.items(), strict=True):
        r = next(r for r in by[reg] if r["seed"] == 0)
        ax.scatter(r["x"][r["seen"]], r["neighbours"], s=4, alpha=0.5, lw=0)
        ax.set_title(f"{reg} ($\\alpha$={a:g}, $\\beta$={b:g}), r = {r['corr']:.2f}")
        ax.set_xlabel("opinion x")
    axes[0].set_ylabel(f"mean x of contacts (last {ECHO_WINDOW} steps)")
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_echo_chambers.png", dpi=120)
    plt.close(fig)


#: Each check: its runs' key, its summary, its figure (the report's sections 6-9, in order).
CHECKS = (
    ("hk", hk_summary, hk_figure),
    ("ab", ab_summary, ab_figure),
    ("linear", linear_summary, linear_figure),
    ("echo", echo_summary, echo_figure),
)
