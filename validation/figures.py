"""The figures of docs/validation.md, one function per check, each written as a PNG.

Every function takes the check's runs (the dictionaries :mod:`validation.runs` returns) and the
figure directory, and draws only what the report's text describes; nothing here decides a
verdict. Matplotlib runs headless (the Agg backend).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import zeta

from model.measures import tree_virality
from validation.common import group
from validation.design import IC_DEGREE, IC_USERS, LA_TESTED_MU, LARGE
from validation.theory import chain_virality, deffuant_staircase, percolation_share, star_virality

Rows = list[dict[str, Any]]
#: Stars and chains of 2 to 60 nodes (the report's check 5).
STAR_CHAIN_NODES = np.arange(2, 61)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def star_chain_virality() -> tuple[np.ndarray, np.ndarray]:
    """``tree_virality`` of the stars and of the chains of :data:`STAR_CHAIN_NODES` nodes."""
    ns = STAR_CHAIN_NODES
    star = np.array([tree_virality(np.r_[-1, np.zeros(n - 1, np.int64)]) for n in ns])
    chain = np.array([tree_virality(np.arange(-1, n - 1)) for n in ns])
    return star, chain


def deffuant_figure(rows: Rows, fig_dir: Path) -> None:
    """Major clusters of every run against epsilon, beside the floor(1/(2 eps)) staircase."""
    plt = _pyplot()
    by = group(rows, "eps")
    eps = np.array(sorted(by))
    med = np.array([np.median([r["clusters"] for r in by[e]]) for e in eps])
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    fine = np.linspace(eps.min(), eps.max(), 800)
    ax.plot(
        fine,
        [deffuant_staircase(e) for e in fine],
        color="0.3",
        lw=1.2,
        label=r"$\lfloor 1/(2\epsilon) \rfloor$",
    )
    jitter = np.random.default_rng(0)
    for e in eps:
        c = np.array([r["clusters"] for r in by[e]])
        ax.scatter(
            e + jitter.uniform(-0.004, 0.004, len(c)), c, s=9, color="tab:blue", alpha=0.45, lw=0
        )
    ax.plot(eps, med, "o", color="tab:red", ms=5, label="median over replicates")
    ax.set_xlabel(r"confidence bound $\epsilon$ (opinions on [0, 1])")
    ax.set_ylabel("major clusters (>= 5% of users)")
    ax.set_title("Deffuant-Weisbuch: clusters against the confidence bound")
    ax.legend()
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_deffuant.png", dpi=120)
    plt.close(fig)


def cascade_figure(rows: Rows, fig_dir: Path) -> None:
    """Outbreak shares against p, beside the percolation curve S = 1 - exp(-c p S)."""
    plt = _pyplot()
    by = group(rows, "p")
    ps = np.array(sorted(by))
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    fine = np.linspace(0, ps.max(), 400)
    ax.plot(
        fine,
        [percolation_share(IC_DEGREE, p) for p in fine],
        color="0.2",
        lw=1.4,
        label=r"theory: $S = 1 - e^{-cpS}$",
    )
    for p in ps:
        sh = np.array([r["share"] for r in by[p]])
        ax.scatter(np.full(len(sh), p), sh, s=8, color="0.6", alpha=0.6, lw=0)
    large_mean = [
        np.mean([r["share"] for r in by[p] if r["share"] > LARGE] or [np.nan]) for p in ps
    ]
    large_prob = [np.mean([r["share"] > LARGE for r in by[p]]) for p in ps]
    ax.plot(ps, large_mean, "o", color="tab:blue", ms=5, label="mean size of large outbreaks")
    ax.plot(
        ps,
        large_prob,
        "s",
        color="tab:orange",
        ms=4,
        mfc="none",
        label="share of runs with a large outbreak",
    )
    ax.axvline(1 / IC_DEGREE, color="0.5", ls=":", lw=1)
    ax.set_xlabel("transmission probability p per tie")
    ax.set_ylabel("share of users reached")
    ax.set_title(f"Independent cascade on Erdos-Renyi (c = {IC_DEGREE:g}, n = {IC_USERS:,})")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_cascade.png", dpi=120)
    plt.close(fig)


def popularity_figure(rows: Rows, fig_dir: Path) -> None:
    """Popularity CCDFs on log-log axes (seed 0 of each mu), with the tested mu's power law."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    colors = {0.01: "tab:green", 0.05: "tab:blue", 0.2: "tab:red"}
    for r in sorted(rows, key=lambda r: (r["follow"], r["mu"], r["seed"])):
        if r["seed"] != 0:
            continue
        xs = np.sort(r["pop"])
        ccdf = 1.0 - np.arange(len(xs)) / len(xs)
        er = r["follow"] == "erdos_renyi"
        label = (
            f"mu = {r['mu']:g}, Erdos-Renyi layer (control)"
            if er
            else f"mu = {r['mu']:g}: alpha = {r['alpha']:.2f}"
        )
        ax.loglog(
            xs,
            ccdf,
            drawstyle="steps-post",
            color="0.4" if er else colors[r["mu"]],
            ls="--" if er else "-",
            lw=1.3,
            label=label,
        )
    ref = next(
        r for r in rows if r["mu"] == LA_TESTED_MU and r["seed"] == 0 and r["follow"] == "powerlaw"
    )
    xm, a = ref["xmin"], ref["alpha"]
    share = ref["n_tail"] / len(ref["pop"])
    # the fitted discrete power law's CCDF: zeta(alpha, x) / zeta(alpha, xmin)
    xx = np.unique(np.logspace(np.log10(xm), np.log10(ref["pop"].max()), 60).round())
    ax.loglog(
        xx,
        share * zeta(a, xx) / zeta(a, xm),
        color="k",
        ls=":",
        lw=1.2,
        label=rf"discrete power-law fit, alpha = {a:.2f} (mu = {LA_TESTED_MU:g})",
    )
    ax.set_xlabel("popularity (1 + forwards)")
    ax.set_ylabel("P(popularity >= x)")
    ax.set_title("Limited attention: item popularity (Weng et al. 2012)")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_popularity.png", dpi=120)
    plt.close(fig)


def virality_figure(rows: Rows, fig_dir: Path) -> None:
    """Box plots of structural virality per focal item against the forward probability."""
    plt = _pyplot()
    by = group(rows, "forward_p")
    fps = sorted(by)
    data = [np.concatenate([r["virality"] for r in by[f]]) for f in fps]
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    ax.boxplot(data, positions=range(len(fps)), widths=0.5)
    ax.axhline(2.0, color="tab:red", ls="--", lw=1, label="star limit 2")
    ax.set_xticks(range(len(fps)), [f"{f:g}" for f in fps])
    ax.set_xlabel("forward probability per view (0 = broadcast)")
    ax.set_ylabel("structural virality per focal item")
    ax.set_title("Broadcast against forwarding (Goel et al. 2016)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_virality.png", dpi=120)
    plt.close(fig)


def trees_figure(rows: Rows, fig_dir: Path) -> None:
    """Stars and chains against their formulas; the engine against brute force on real trees."""
    plt = _pyplot()
    ns = STAR_CHAIN_NODES
    star_tv, chain_tv = star_chain_virality()
    pairs = rows[0]["pairs"]
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(9.0, 3.8))
    a1.plot(ns, [star_virality(int(n)) for n in ns], color="tab:blue", lw=1, label="2(n-1)/n")
    a1.plot(ns, star_tv, "o", ms=3, color="tab:blue", mfc="none", label="star, tree_virality")
    a1.plot(ns, [chain_virality(int(n)) for n in ns], color="tab:red", lw=1, label="(n+1)/3")
    a1.plot(ns, chain_tv, "s", ms=3, color="tab:red", mfc="none", label="chain, tree_virality")
    a1.set_xlabel("nodes n")
    a1.set_ylabel("structural virality")
    a1.set_title("Stars and chains")
    a1.legend(fontsize=8)
    a2.plot(pairs[:, 1], pairs[:, 2], "o", ms=3, alpha=0.4)
    lim = [pairs[:, 1:].min(), pairs[:, 1:].max()]
    a2.plot(lim, lim, color="0.3", lw=1)
    a2.set_xlabel("brute force (all pairs, BFS)")
    a2.set_ylabel("engine (Wiener index)")
    a2.set_title(f"{len(pairs):,} cascade trees of a real run")
    fig.tight_layout()
    fig.savefig(fig_dir / "validation_trees.png", dpi=120)
    plt.close(fig)
