"""Validation of the spreading, emotion and following rules: design, theory, runs, verdicts, figures.

Five checks, each a preset of :mod:`model.presets` run through the one engine, and each beside
its published result (the template is ``template_spread.md``):

* ``watts``: threshold forwarding on undirected Erdos-Renyi graphs (Watts 2002, Fig. 1), and
  Granovetter's (1978) uniform-threshold crowd, whole and with its threshold-1 member removed;
* ``rumour``: the Maki-Thompson (1973) rumour, never-informed share theta = e^(-2 (1 - theta));
* ``emotions``: collective emotions (Schweitzer & Garcia 2010): the exact exponential without
  coupling, and bimodal valence above the critical coupling only;
* ``voter``: the voter model's exit probability rho0 on a complete graph;
* ``qvoter``: the q-voter with independence, ordered below p_c = (q-1)/(q-1+2^(q-1)) and
  disordered above (Nyczka, Sznajd-Weron & Cislo 2012).

This file is long because it is one module for the five checks, so that the report's other
modules need only a join: :data:`CHECKS` and :func:`tasks`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.stats import poisson

from model.engine import OpinionEcology
from model.measures import _bimodality, adopted_share, reach
from model.presets import collective_emotions, granovetter_crowd, q_voter, rumour, threshold, voter
from model.rules.emotion import critical_coupling
from model.rules.following import critical_independence
from validation.common import group as _by
from validation.common import passed as _pass

Rows = list[dict[str, Any]]

# ------------------------------------------------------------------ design (fixed in advance)
#: Watts (2002): threshold, population, mean degrees, runs per degree (one random initial
#: adopter each), and what counts as a global cascade (more than 10% adopting).
WATTS_PHI, WATTS_USERS = 0.18, 10_000
WATTS_Z = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 5.5, 6.0, 6.5, 7.0)
WATTS_RUNS = 20
GLOBAL = 0.1
#: Degrees the verdict checks: inside the window every one must show a global cascade in
#: WATTS_RUNS runs, outside none may.
WATTS_INSIDE, WATTS_OUTSIDE = (2.0, 3.0, 4.0, 5.0), (0.5, 7.0)
#: Granovetter's crowd.
CROWD = 100
#: Maki-Thompson: population, runs, tolerance on the mean never-informed share.
RUMOUR_USERS, RUMOUR_RUNS, RUMOUR_TOL = 10_000, 50, 0.01
#: Collective emotions: couplings b / b_c swept (one seed each), and the two tested with
#: EMO_SEEDS seeds; population and horizon.
EMO_RATIOS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0, 6.0)
EMO_BELOW, EMO_ABOVE, EMO_SEEDS = 0.5, 4.0, 3
EMO_USERS, EMO_STEPS = 1000, 200
#: Steps of the exact-exponential check (coupling and noise off), compared at every step.
EMO_EXACT_STEPS = 30
BC_BIMODAL = 5 / 9
#: Voter: population, initial shares, runs per share.
VOTER_USERS, VOTER_RHO, VOTER_RUNS = 50, (0.2, 0.5, 0.8), 100
#: q-voter: q, population, independence grid (one seed), margin around p_c tested with
#: QV_SEEDS seeds, sweeps and the sweeps averaged.
QV_Q, QV_USERS = 4, 1000
QV_P = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4)
QV_MARGIN, QV_SEEDS = 0.08, 3
QV_SWEEPS, QV_AVERAGED = 300, 150
QV_ORDERED, QV_DISORDERED = 0.5, 0.2


# ------------------------------------------------------------------ theory
def watts_branching(z: float, phi: float) -> float:
    """Watts's cascade condition on an Erdos-Renyi graph: sum_k k (k - 1) p_k rho_k / z, with
    p_k Poisson(z) and rho_k = 1 for the vulnerable degrees 1 <= k <= 1/phi. Global cascades
    are possible where it exceeds 1; for Poisson it equals z P(K <= floor(1/phi) - 2)."""
    kmax = math.floor(1.0 / phi + 1e-12)
    return float(z * poisson.cdf(kmax - 2, z))


def watts_window(phi: float) -> tuple[float, float]:
    """The mean degrees (z_lo, z_hi) where the cascade condition equals 1."""
    f = lambda z: watts_branching(z, phi) - 1.0  # noqa: E731
    peak = max(np.linspace(0.5, 20, 400), key=lambda z: watts_branching(z, phi))
    return float(brentq(f, 0.5, peak)), float(brentq(f, peak, 30.0))


def rumour_theta() -> float:
    """The root theta in (0, 1) of theta = exp(-2 (1 - theta)) (Maki & Thompson 1973)."""
    return float(brentq(lambda x: x - math.exp(-2.0 * (1.0 - x)), 0.05, 0.5))


def qvoter_order(q: int, p: float) -> float:
    """Mean-field |m| of the q-voter with independence: the stable root rho in (1/2, 1] of
    (1 - p) [(1 - rho) rho^q - rho (1 - rho)^q] + p (1/2 - rho) = 0, as 2 rho - 1 (0 above p_c)."""
    if p >= critical_independence(q):
        return 0.0

    def f(r: float) -> float:
        return (1 - p) * ((1 - r) * r**q - r * (1 - r) ** q) + p * (0.5 - r)

    return 2.0 * float(brentq(f, 0.5 + 1e-9, 1.0)) - 1.0


# ------------------------------------------------------------------ runs (pool tasks)
def watts_run(z: float, seed: int) -> dict[str, Any]:
    """Share adopting in one threshold cascade from one random seed."""
    m = OpinionEcology(threshold(WATTS_PHI, z, WATTS_USERS), seed=seed).run()
    return {"z": z, "seed": seed, "share": adopted_share(m), "steps": m.steps}


def crowd_run(broken: bool, seed: int) -> dict[str, Any]:
    """Adopters of Granovetter's crowd of 100."""
    m = OpinionEcology(granovetter_crowd(CROWD, broken=broken), seed=seed).run()
    return {"broken": broken, "adopters": round(adopted_share(m) * CROWD), "steps": m.steps}


def rumour_run(seed: int) -> dict[str, Any]:
    """The never-informed share of one Maki-Thompson rumour."""
    m = OpinionEcology(rumour(RUMOUR_USERS), seed=seed).run()
    return {"seed": seed, "theta": 1.0 - reach(m), "steps": m.steps}


def emotion_run(ratio: float, seed: int) -> dict[str, Any]:
    """Valence bimodality after the horizon at coupling b = ratio b_c (and the exact check)."""
    m = OpinionEcology(collective_emotions(ratio, n_users=EMO_USERS, steps=EMO_STEPS), seed=seed)
    m.run()
    val = m.state.valence.astype(np.float64)
    out = {
        "ratio": ratio,
        "seed": seed,
        "bc": _bimodality(val),
        "hist": np.histogram(val, 40, (-1, 1))[0],
    }
    if ratio == 0.0 and seed == 0:
        # the exact check: every step of EMO_EXACT_STEPS, while valences are still O(0.1)
        e = OpinionEcology(collective_emotions(0.0, 0.0, EMO_USERS, EMO_EXACT_STEPS), seed=seed)
        v0 = e.state.valence.astype(np.float64).copy()
        err = 0.0
        for t in range(1, EMO_EXACT_STEPS + 1):
            e.step()
            err = max(err, float(np.abs(e.state.valence - v0 * math.exp(-0.1 * t)).max()))
        out["exp_error"] = err
    return out


def voter_run(rho0: float, seed: int) -> dict[str, Any]:
    """Whether one voter run ended with everyone following."""
    m = OpinionEcology(voter(rho0, VOTER_USERS), seed=seed).run()
    return {"rho0": rho0, "seed": seed, "all": bool(m.state.follows[:, 0].all()), "steps": m.steps}


def qvoter_run(p: float, seed: int) -> dict[str, Any]:
    """|m| of the q-voter averaged over the last sweeps, from the ordered state."""
    m = OpinionEcology(q_voter(QV_Q, p, QV_USERS).replace(steps=QV_SWEEPS), seed=seed)
    mags = []
    for _ in range(QV_SWEEPS):
        m.step()
        mags.append(2.0 * m.state.follows[:, 0].mean() - 1.0)
    return {"p": p, "seed": seed, "m": float(np.mean(np.abs(mags[-QV_AVERAGED:])))}


def tasks() -> list[tuple[str, Any, tuple]]:
    """Every run of these checks: (check, function, arguments)."""
    pc = critical_independence(QV_Q)
    out: list[tuple[str, Any, tuple]] = []
    out += [("watts", watts_run, (z, s)) for z in WATTS_Z for s in range(WATTS_RUNS)]
    out += [("watts", crowd_run, (b, 0)) for b in (False, True)]
    out += [("rumour", rumour_run, (s,)) for s in range(RUMOUR_RUNS)]
    out += [("emotions", emotion_run, (r, 0)) for r in EMO_RATIOS]
    out += [
        ("emotions", emotion_run, (r, s))
        for r in (EMO_BELOW, EMO_ABOVE)
        for s in range(1, EMO_SEEDS)
    ]
    out += [("voter", voter_run, (r, s)) for r in VOTER_RHO for s in range(VOTER_RUNS)]
    out += [("qvoter", qvoter_run, (p, 0)) for p in QV_P]
    tested = (round(pc - QV_MARGIN, 4), round(pc + QV_MARGIN, 4))
    out += [("qvoter", qvoter_run, (p, s)) for p in tested for s in range(QV_SEEDS)]
    return out


# ------------------------------------------------------------------ verdicts
def watts_summary(rows: Rows) -> tuple[dict[str, Any], list[str]]:
    """Global cascades at every tested z inside the window, none outside; the crowd all joins
    and the broken crowd stops at 1."""
    crowd = {r["broken"]: r for r in rows if "broken" in r}
    by = _by([r for r in rows if "z" in r], "z")
    freq = {z: float(np.mean([x["share"] > GLOBAL for x in by[z]])) for z in sorted(by)}
    inside = all(freq[z] > 0 for z in WATTS_INSIDE)
    outside = all(freq[z] == 0 for z in WATTS_OUTSIDE)
    lo, hi = watts_window(WATTS_PHI)
    table = []
    for z in sorted(by):
        sh = np.array([x["share"] for x in by[z]])
        big = sh[sh > GLOBAL]
        table.append(
            f"| {z:g} | {watts_branching(z, WATTS_PHI):.3f} | {len(sh)} | {freq[z]:.2f} | "
            f"{big.mean() if len(big) else float('nan'):.3f} | {sh.max():.4f} |"
        )
    ok_crowd = crowd[False]["adopters"] == CROWD and crowd[True]["adopters"] == 1
    verdicts = [
        f"Threshold (Watts 2002) phi={WATTS_PHI}: global cascades at z="
        f"{', '.join(f'{z:g}' for z in WATTS_INSIDE)} (frequency "
        f"{', '.join(f'{freq[z]:.2f}' for z in WATTS_INSIDE)}; each > 0) and none at z="
        f"{', '.join(f'{z:g}' for z in WATTS_OUTSIDE)}: {_pass(inside and outside)}",
        f"Granovetter crowd of {CROWD}: {crowd[False]['adopters']} join (all), broken crowd "
        f"{crowd[True]['adopters']} (1): {_pass(ok_crowd)}",
    ]
    fields = {
        "phi": WATTS_PHI,
        "users": WATTS_USERS,
        "runs": WATTS_RUNS,
        "z_lo": lo,
        "z_hi": hi,
        "table": "\n".join(table),
        "inside": ", ".join(f"{z:g}" for z in WATTS_INSIDE),
        "outside": ", ".join(f"{z:g}" for z in WATTS_OUTSIDE),
        "pass": _pass(inside and outside),
        "crowd": CROWD,
        "crowd_all": crowd[False]["adopters"],
        "crowd_steps": crowd[False]["steps"],
        "crowd_broken": crowd[True]["adopters"],
        "pass_crowd": _pass(ok_crowd),
    }
    return fields, verdicts


def rumour_summary(rows: Rows) -> tuple[dict[str, Any], list[str]]:
    """Mean never-informed share within RUMOUR_TOL of theta."""
    th = np.array([r["theta"] for r in rows])
    theory = rumour_theta()
    half = 1.96 * th.std(ddof=1) / math.sqrt(len(th))
    ok = abs(th.mean() - theory) <= RUMOUR_TOL
    verdicts = [
        f"Rumour (Maki-Thompson) N={RUMOUR_USERS}: never informed {th.mean():.4f} over "
        f"{len(th)} runs vs theta={theory:.4f} (+-{RUMOUR_TOL}): {_pass(ok)}"
    ]
    fields = {
        "users": RUMOUR_USERS,
        "runs": len(th),
        "theory": theory,
        "mean": th.mean(),
        "ci_lo": th.mean() - half,
        "ci_hi": th.mean() + half,
        "min": th.min(),
        "max": th.max(),
        "steps_min": min(r["steps"] for r in rows),
        "steps_max": max(r["steps"] for r in rows),
        "tol": RUMOUR_TOL,
        "pass": _pass(ok),
    }
    return fields, verdicts


def emotions_summary(rows: Rows) -> tuple[dict[str, Any], list[str]]:
    """Exact exponential to 1e-6; bimodal (BC > 5/9) at b = 4 b_c, not at b = b_c / 2."""
    err = next(r["exp_error"] for r in rows if "exp_error" in r)
    by = _by(rows, "ratio")
    below = [r["bc"] for r in by[EMO_BELOW]]
    above = [r["bc"] for r in by[EMO_ABOVE]]
    ok_exp = err <= 1e-6
    ok_bi = max(below) < BC_BIMODAL < min(above)
    bc = critical_coupling(collective_emotions())
    verdicts = [
        f"Collective emotions, coupling and noise off: max |v - v0 e^(-gamma t)| = {err:.1e} "
        f"(<= 1e-6): {_pass(ok_exp)}",
        f"Collective emotions: bimodality {min(above):.3f}-{max(above):.3f} at b = "
        f"{EMO_ABOVE:g} b_c (> 5/9), {min(below):.3f}-{max(below):.3f} at b = {EMO_BELOW:g} b_c "
        f"(< 5/9): {_pass(ok_bi)}",
    ]
    table = [
        f"| {r:g} | {r * bc:.4f} | {', '.join(f'{x["bc"]:.3f}' for x in by[r])} |"
        for r in sorted(by)
    ]
    fields = {
        "users": EMO_USERS,
        "steps": EMO_STEPS,
        "b_c": bc,
        "err": err,
        "exact": EMO_EXACT_STEPS,
        "pass_exp": _pass(ok_exp),
        "below": EMO_BELOW,
        "above": EMO_ABOVE,
        "seeds": EMO_SEEDS,
        "table": "\n".join(table),
        "pass_bi": _pass(ok_bi),
    }
    return fields, verdicts


def voter_summary(rows: Rows) -> tuple[dict[str, Any], list[str]]:
    """Exit probability within 3 binomial standard errors of rho0 at every rho0."""
    by = _by(rows, "rho0")
    table, ok = [], True
    for r0 in sorted(by):
        e = float(np.mean([x["all"] for x in by[r0]]))
        tol = 3 * math.sqrt(r0 * (1 - r0) / len(by[r0]))
        good = abs(e - r0) <= tol
        ok &= good
        steps = [x["steps"] for x in by[r0]]
        table.append(
            f"| {r0:g} | {len(by[r0])} | {e:.2f} | +-{tol:.3f} | {np.mean(steps):.0f} | {_pass(good)} |"
        )
    exits = ", ".join(
        f"{float(np.mean([x['all'] for x in by[r0]])):.2f} (rho0 {r0:g})" for r0 in sorted(by)
    )
    verdicts = [
        f"Voter, complete graph N={VOTER_USERS}: exit probability {exits}, each within 3 "
        f"binomial s.e. of rho0: {_pass(ok)}"
    ]
    fields = {
        "users": VOTER_USERS,
        "runs": VOTER_RUNS,
        "table": "\n".join(table),
        "pass": _pass(ok),
    }
    return fields, verdicts


def qvoter_summary(rows: Rows) -> tuple[dict[str, Any], list[str]]:
    """|m| > QV_ORDERED at p_c - margin and < QV_DISORDERED at p_c + margin, every seed."""
    pc = critical_independence(QV_Q)
    p_lo, p_hi = round(pc - QV_MARGIN, 4), round(pc + QV_MARGIN, 4)
    by = _by(rows, "p")
    lo = [r["m"] for r in by[p_lo]]
    hi = [r["m"] for r in by[p_hi]]
    ok = min(lo) > QV_ORDERED and max(hi) < QV_DISORDERED
    verdicts = [
        f"q-voter q={QV_Q} N={QV_USERS}: |m| {min(lo):.3f}-{max(lo):.3f} at p={p_lo} (> "
        f"{QV_ORDERED}), {min(hi):.3f}-{max(hi):.3f} at p={p_hi} (< {QV_DISORDERED}); "
        f"p_c={pc:.4f}: {_pass(ok)}"
    ]
    table = [
        f"| {p:g} | {qvoter_order(QV_Q, p):.3f} | {', '.join(f'{x["m"]:.3f}' for x in by[p])} |"
        for p in sorted(by)
    ]
    fields = {
        "q": QV_Q,
        "users": QV_USERS,
        "pc": pc,
        "margin": QV_MARGIN,
        "sweeps": QV_SWEEPS,
        "averaged": QV_AVERAGED,
        "seeds": QV_SEEDS,
        "ordered": QV_ORDERED,
        "disordered": QV_DISORDERED,
        "table": "\n".join(table),
        "pass": _pass(ok),
    }
    return fields, verdicts


# ------------------------------------------------------------------ figures
def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def watts_figure(rows: Rows, fig_dir: Path) -> None:
    """Frequency and mean size of global cascades against z, with the theoretical window."""
    plt = _pyplot()
    by = _by([r for r in rows if "z" in r], "z")
    zs = np.array(sorted(by))
    freq = [np.mean([x["share"] > GLOBAL for x in by[z]]) for z in zs]
    size = [np.mean([x["share"] for x in by[z] if x["share"] > GLOBAL] or [0.0]) for z in zs]
    lo, hi = watts_window(WATTS_PHI)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.axvspan(lo, hi, color="0.9", label=f"cascade window {lo:.2f} < z < {hi:.2f}")
    ax.plot(zs, freq, "o-", color="tab:red", label="frequency of global cascades")
    ax.plot(zs, size, "s--", color="tab:blue", label="mean size of global cascades")
    ax.set_xlabel("mean degree z")
    ax.set_ylabel("share")
    ax.set_title(f"Threshold forwarding (Watts 2002), phi = {WATTS_PHI}, N = {WATTS_USERS:,}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_threshold.png", dpi=120)
    plt.close(fig)


def rumour_figure(rows: Rows, fig_dir: Path) -> None:
    """The never-informed share of every run, beside theta."""
    plt = _pyplot()
    th = np.array([r["theta"] for r in rows])
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.hist(th, bins=20, color="tab:blue", alpha=0.7, label=f"{len(th)} runs")
    ax.axvline(rumour_theta(), color="k", lw=1.5, label=r"$\theta = e^{-2(1-\theta)}$")
    ax.axvspan(rumour_theta() - RUMOUR_TOL, rumour_theta() + RUMOUR_TOL, color="0.9")
    ax.set_xlabel("share never informed")
    ax.set_ylabel("runs")
    ax.set_title(f"Maki-Thompson rumour, complete mixing, N = {RUMOUR_USERS:,}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_rumour.png", dpi=120)
    plt.close(fig)


def emotions_figure(rows: Rows, fig_dir: Path) -> None:
    """Bimodality against b / b_c, and the valence histograms below and above."""
    plt = _pyplot()
    by = _by(rows, "ratio")
    rs = np.array(sorted(by))
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.6, 3.8))
    for r in rs:
        a1.scatter([r] * len(by[r]), [x["bc"] for x in by[r]], color="tab:blue", s=14)
    a1.axhline(BC_BIMODAL, color="k", lw=1, ls="--", label="5/9")
    a1.axvline(1.0, color="tab:red", lw=1, label="b = b_c")
    a1.set_xlabel("coupling b / b_c")
    a1.set_ylabel("bimodality coefficient of valence")
    a1.legend()
    edges = np.linspace(-1, 1, 41)
    for r, col in ((EMO_BELOW, "tab:blue"), (EMO_ABOVE, "tab:red")):
        h = by[r][0]["hist"]
        a2.stairs(h, edges, color=col, label=f"b = {r:g} b_c")
    a2.set_xlabel("valence")
    a2.set_ylabel("users")
    a2.legend()
    fig.suptitle("Collective emotions (Schweitzer & Garcia 2010)")
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_collective_emotions.png", dpi=120)
    plt.close(fig)


def voter_figure(rows: Rows, fig_dir: Path) -> None:
    """Voter exit probability against rho0 (left); q-voter |m| against p with mean field (right).
    Called with the voter runs; the q-voter runs are drawn by :func:`qvoter_figure`."""
    plt = _pyplot()
    by = _by(rows, "rho0")
    r0 = np.array(sorted(by))
    e = np.array([np.mean([x["all"] for x in by[r]]) for r in r0])
    se = np.sqrt(r0 * (1 - r0) / VOTER_RUNS)
    fig, ax = plt.subplots(figsize=(4.8, 4.0))
    ax.plot([0, 1], [0, 1], color="0.4", lw=1, label="exit probability = rho0")
    ax.errorbar(r0, e, yerr=3 * se, fmt="o", color="tab:red", label=f"{VOTER_RUNS} runs each")
    ax.set_xlabel("initial share following rho0")
    ax.set_ylabel("share of runs ending all-follow")
    ax.set_title(f"Voter model, complete graph, N = {VOTER_USERS}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_voter.png", dpi=120)
    plt.close(fig)


def qvoter_figure(rows: Rows, fig_dir: Path) -> None:
    """q-voter |m| against p, beside the mean-field curve and p_c."""
    plt = _pyplot()
    by = _by(rows, "p")
    ps = np.array(sorted(by))
    fine = np.linspace(0.05, 0.45, 200)
    pc = critical_independence(QV_Q)
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.plot(fine, [qvoter_order(QV_Q, p) for p in fine], color="0.3", label="mean field")
    ax.axvline(pc, color="tab:red", lw=1, label=f"p_c = {pc:.4f}")
    for p in ps:
        ax.scatter([p] * len(by[p]), [x["m"] for x in by[p]], color="tab:blue", s=16)
    ax.set_xlabel("independence p")
    ax.set_ylabel(f"|m| (mean of the last {QV_AVERAGED} sweeps)")
    ax.set_title(f"q-voter with independence, q = {QV_Q}, N = {QV_USERS:,}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_qvoter.png", dpi=120)
    plt.close(fig)


#: (check, summary, figure) for the report's loop (:data:`validation.report.CHECKS`).
CHECKS = (
    ("watts", watts_summary, watts_figure),
    ("rumour", rumour_summary, rumour_figure),
    ("emotions", emotions_summary, emotions_figure),
    ("voter", voter_summary, voter_figure),
    ("qvoter", qvoter_summary, qvoter_figure),
)
