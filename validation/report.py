"""docs/validation.md: the verdicts and numbers of every check, filled into ``template.md``.

One function per check turns its runs (from :mod:`validation.runs`) into the fields its section
of the template names and the one-line verdicts of the summary; the tolerances of the checks
live here. :func:`write_report` draws the figures (:mod:`validation.figures`) and writes the
page. The prose is Markdown in ``template.md`` with ``str.format`` fields, one namespace per
check (``{cascade[s_hi]:.4f}``); every number and table it shows is computed below.

This file is long because one summary per check of the first five, with its tolerance, and
the table of the published results belong with the page they fill.
"""

from __future__ import annotations

import math
import os
import platform
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from model.presets import DEFFUANT_ROUNDS
from validation import figures, opinion_rules, sasahara, spread_rules
from validation.common import passed as _pass
from validation.design import (
    BC_SEEDS,
    BC_USERS,
    DEFFUANT_EPS,
    DEFFUANT_SEEDS,
    DEFFUANT_TESTED,
    IC_DEGREE,
    IC_SEEDS,
    IC_TESTED,
    IC_USERS,
    LA_BORN,
    LA_TESTED_MU,
    LARGE,
    TREE_CHECK_NODES,
)
from validation.figures import group, star_chain_virality
from validation.theory import chain_virality, deffuant_staircase, percolation_share, star_virality

TEMPLATE = Path(__file__).with_name("template.md")
#: The spreading, emotion and following rules' sections (:mod:`validation.spread_rules`).
TEMPLATE_SPREAD = Path(__file__).with_name("template_spread.md")

Rows = list[dict[str, Any]]
Summary = tuple[dict[str, Any], list[str]]


def _mean_ci(x: np.ndarray) -> tuple[float, float, float]:
    """Mean and its normal 95% interval."""
    x = np.asarray(x, dtype=np.float64)
    m = float(x.mean())
    half = 1.96 * float(x.std(ddof=1)) / math.sqrt(len(x)) if len(x) > 1 else float("nan")
    return m, m - half, m + half


def deffuant_summary(rows: Rows) -> Summary:
    """Median clusters within +-1 of floor(1/(2 eps)) and mean drift <= 1e-9 at the tested eps."""
    by = group(rows, "eps")
    eps = np.array(sorted(by))
    med = np.array([np.median([r["clusters"] for r in by[e]]) for e in eps])
    verdicts, table = [], []
    for e, reps in sorted(DEFFUANT_TESTED.items()):
        c = np.array([r["clusters"] for r in by[e]])
        theory = deffuant_staircase(e)
        drift = max(r["drift"] for r in by[e])
        ok = abs(float(np.median(c)) - theory) <= 1 and drift <= 1e-9
        verdicts.append(
            f"Deffuant epsilon={e}: median clusters {np.median(c):g} vs "
            f"{theory} (+-1); max mean drift {drift:.1e} (<= 1e-9): {_pass(ok)}"
        )
        table.append(
            f"| {e} | {theory} | {np.median(c):g} | {c.min()}-{c.max()} | "
            f"{np.mean(np.abs(c - theory) <= 1):.0%} | {drift:.1e} | {reps} | {_pass(ok)} |"
        )
    steps = [r["steps"] for r in rows]
    stair = np.array([deffuant_staircase(e) for e in eps])
    triples = list(zip(eps, med, stair, strict=True))
    fields = {
        "eps_min": DEFFUANT_EPS[0],
        "eps_max": DEFFUANT_EPS[-1],
        "seeds": DEFFUANT_SEEDS,
        "stopped": all(r["stopped"] for r in rows),
        "min_steps": min(steps),
        "max_steps": max(steps),
        "rounds": DEFFUANT_ROUNDS,
        "table": "\n".join(table),
        "sweep": ", ".join(f"{e:g}: {m:g}" for e, m in zip(eps, med, strict=True)),
        "within": int((np.abs(med - stair) <= 1).sum()),
        "n_eps": len(eps),
        "equal": int((med == stair).sum()),
        "below": ", ".join(f"{e:g}" for e, m, t in triples if m < t) or "none",
        "above": ", ".join(f"{e:g}" for e, m, t in triples if m > t) or "none",
        "max_drift": max(r["drift"] for r in rows),
    }
    return fields, verdicts


def cascade_summary(rows: Rows) -> Summary:
    """Large outbreaks at p = 0.2 within +-0.02 of S; mean size under 1% at p = 0.05."""
    by = group(rows, "p")
    p_hi, p_lo = 0.2, 0.05
    s_hi = percolation_share(IC_DEGREE, p_hi)
    hi = np.array([r["share"] for r in by[p_hi]])
    big = hi[hi > LARGE]
    m, lo_ci, hi_ci = _mean_ci(big)
    ok_hi = abs(m - s_hi) <= 0.02
    lo = np.array([r["share"] for r in by[p_lo]])
    ok_lo = lo.mean() < 0.01
    verdicts = [
        f"Independent cascade p={p_hi}: large outbreaks reach {m:.4f} [{lo_ci:.4f}, {hi_ci:.4f}] "
        f"vs S={s_hi:.4f} (+-0.02): {_pass(ok_hi)}",
        f"Independent cascade p={p_lo}: mean size {lo.mean():.5f} of users (< 0.01): {_pass(ok_lo)}",
    ]
    table = []
    for p in (0.05, 0.1, 0.125, 0.15, 0.2, 0.3, 0.4):
        if p not in by:
            continue
        sh = np.array([r["share"] for r in by[p]])
        b = sh[sh > LARGE]
        s = percolation_share(IC_DEGREE, p)
        lm = f"{b.mean():.4f}" if len(b) else "-"
        table.append(
            f"| {p:g} | {IC_DEGREE * p:g} | {s:.4f} | {len(sh)} | {len(b)} | {lm} | {sh.mean():.4f} |"
        )
    fields = {
        "degree": IC_DEGREE,
        "users": IC_USERS,
        "seeds": IC_SEEDS,
        "seeds_hi": IC_TESTED[p_hi],
        "seeds_lo": IC_TESTED[p_lo],
        "large": LARGE,
        "largest_small": max([x for x in hi if x <= LARGE], default=0),
        "stopped": all(r["stopped"] for r in rows),
        "p_hi": p_hi,
        "s_hi": s_hi,
        "n_big": len(big),
        "n_hi": len(hi),
        "mean_big": m,
        "ci_lo": lo_ci,
        "ci_hi": hi_ci,
        "big_min": big.min(),
        "big_max": big.max(),
        "pass_hi": _pass(ok_hi),
        "p_lo": p_lo,
        "lo_users": lo.mean() * IC_USERS,
        "lo_share": lo.mean(),
        "pass_lo": _pass(ok_lo),
        "table": "\n".join(table),
    }
    return fields, verdicts


def attention_summary(rows: Rows) -> Summary:
    """At the tested mu, every seed: at least 2 decades of popularity and alpha in [1.3, 2.2]."""
    tested = [r for r in rows if r["mu"] == LA_TESTED_MU and r["follow"] == "powerlaw"]
    ok = all(r["decades"] >= 2 and 1.3 <= r["alpha"] <= 2.2 for r in tested)
    decades = [r["decades"] for r in tested]
    alphas = [r["alpha"] for r in tested]
    verdicts = [
        f"Limited attention mu={LA_TESTED_MU}: decades "
        f"{min(decades):.2f}-{max(decades):.2f} (>= 2), "
        f"alpha {min(alphas):.3f}-{max(alphas):.3f} (in [1.3, 2.2]): {_pass(ok)}"
    ]
    table = [
        f"| {r['follow']} | {r['mu']:g} | {r['seed']} | {int(r['n_items']):,} | "
        f"{int(r['pop'].max()):,} | {r['decades']:.2f} | {r['xmin']:g} | {int(r['n_tail']):,} | "
        f"{r['alpha']:.3f} +- {1.96 * r['alpha_se']:.3f} | {r['ks']:.4f} | {r['tail_decades']:.2f} |"
        for r in sorted(rows, key=lambda r: (r["follow"] != "powerlaw", r["mu"], r["seed"]))
    ]
    fields = {
        "born_first": LA_BORN[0],
        "born_last": LA_BORN[1],
        "table": "\n".join(table),
        "mu": LA_TESTED_MU,
        "decades_min": min(decades),
        "decades_max": max(decades),
        "alpha_min": min(alphas),
        "alpha_max": max(alphas),
        "n_tested": len(tested),
        "pass": _pass(ok),
        "control_decades": next(r["decades"] for r in rows if r["follow"] == "erdos_renyi"),
    }
    return fields, verdicts


def broadcast_summary(rows: Rows) -> Summary:
    """Broadcast: exact stars with virality <= 2.1; forward_p = 0.05: every run above that."""
    by = group(rows, "forward_p")
    fps = sorted(by)
    data = [np.concatenate([r["virality"] for r in by[f]]) for f in fps]
    bc = data[0]
    exact = all(r["star_exact"] for r in by[0.0])
    on = [np.mean(r["virality"]) for f in fps[1:] for r in by[f]]
    on_05 = min(np.mean(r["virality"]) for r in by[0.05])
    ok_bc = bool(bc.max() <= 2.1 and exact)
    ok_on = bool(on_05 > bc.max())
    verdicts = [
        f"Broadcast: structural virality max {bc.max():.4f} (<= 2.1), every tree an exact star "
        f"2(n-1)/n: {_pass(ok_bc)}",
        f"Forwarding on (forward_p=0.05): mean virality per run "
        f"{on_05:.3f} or more, above broadcast: {_pass(ok_on)}",
    ]
    table = [
        f"| {f:g} | {len(d)} | {d.mean():.4f} | {d.min():.4f} | {d.max():.4f} |"
        for f, d in zip(fps, data, strict=True)
    ]
    fields = {
        "users": BC_USERS,
        "seeds": BC_SEEDS,
        "stopped": all(r["stopped"] for r in rows),
        "pass_exact": _pass(exact),
        "max": bc.max(),
        "pass_max": _pass(bc.max() <= 2.1),
        "on_min": min(on),
        "on_max": max(on),
        "table": "\n".join(table),
    }
    return fields, verdicts


def trees_summary(rows: Rows) -> Summary:
    """Stars and chains exact as floats; the engine equal to brute force on a run's trees."""
    ns = figures.STAR_CHAIN_NODES
    star_tv, chain_tv = star_chain_virality()
    star_ok = bool(np.array_equal(star_tv, [star_virality(int(n)) for n in ns]))
    chain_ok = bool(np.array_equal(chain_tv, [chain_virality(int(n)) for n in ns]))
    r = rows[0]
    pairs = r["pairs"]
    err = float(np.abs(pairs[:, 1] - pairs[:, 2]).max()) if len(pairs) else float("nan")
    ch_ok = all(ev == chain_virality(n) for n, ev in r["chains"])
    st_ok = all(ev == star_virality(n) for n, ev in r["stars"])
    ok = star_ok and chain_ok and ch_ok and st_ok and err < 1e-12
    verdicts = [
        f"Stars 2(n-1)/n and chains (n+1)/3 exact (n = 2..60, and {len(r['stars'])} stars, "
        f"{len(r['chains'])} chains from a run); engine vs brute force max error {err:.1e}: {_pass(ok)}"
    ]
    fields = {
        "max_nodes": TREE_CHECK_NODES,
        "n_checked": len(pairs),
        "n_trees": r["n_trees"],
        "pass_star": _pass(star_ok),
        "pass_chain": _pass(chain_ok),
        "n_stars": len(r["stars"]),
        "n_chains": len(r["chains"]),
        "pass_run_stars": _pass(st_ok),
        "pass_run_chains": _pass(ch_ok),
        "max_error": err,
    }
    return fields, verdicts


#: The published results the checks reproduce: (runs' keys, result, paper, criterion), for the
#: page's table; "result here" is the checks' verdicts.
RESULTS = (
    (
        ("deffuant",),
        "Bounded-confidence clusters",
        "Deffuant et al. 2000; Weisbuch et al. 2002",
        "about floor(1/(2 eps)) major clusters; the mean opinion conserved",
    ),
    (
        ("cascade",),
        "Independent cascade",
        "Kempe, Kleinberg & Tardos 2003; Newman 2002",
        "large outbreaks reach S = 1 - exp(-c p S); small below c p = 1",
    ),
    (
        ("attention",),
        "Limited attention",
        "Weng et al. 2012; Gleeson et al. 2014",
        "heavy-tailed popularity over two or more decades",
    ),
    (
        ("broadcast", "trees"),
        "Structural virality of broadcasts",
        "Goel et al. 2016",
        "a broadcast is a star, virality 2(n-1)/n <= 2; chains (n+1)/3",
    ),
    (
        ("hk",),
        "Hegselmann-Krause",
        "Hegselmann & Krause 2002; Fortunato 2005; Lorenz 2007",
        "consensus for eps >= 0.25 in at least 90% of runs; frozen within 100 steps; order kept",
    ),
    (
        ("ab",),
        "Algorithmic bias",
        "Sirbu, Pedreschi, Giannotti & Kertesz 2019",
        "more clusters and slower convergence as gamma grows (gamma = 0 is Deffuant)",
    ),
    (
        ("linear",),
        "DeGroot and Friedkin-Johnsen",
        "DeGroot 1974; Friedkin & Johnsen 1990",
        "consensus pi^T x0 and fixed point (I - Lambda W)^-1 (I - Lambda) x0 to 1e-8",
    ),
    (
        ("echo",),
        "Echo chambers from activity-driven interaction",
        "Baumann et al. 2020",
        "neutral consensus, radicalisation, and polarisation with echo chambers",
    ),
    (
        ("watts",),
        "Threshold cascades",
        "Granovetter 1978; Watts 2002",
        "global cascades only inside 1 < z < about 5.8 at phi = 0.18; the crowd of 100 all join",
    ),
    (
        ("rumour",),
        "Rumour with stifling",
        "Maki & Thompson 1973",
        "never-informed share theta = 0.2032 within +-0.01",
    ),
    (
        ("emotions",),
        "Collective emotions",
        "Schweitzer & Garcia 2010",
        "v(t) = v0 exp(-gamma t) to 1e-6 without coupling; bimodal valence above the critical coupling",
    ),
    (
        ("voter", "qvoter"),
        "Voter and q-voter",
        "Clifford & Sudbury 1973; Nyczka et al. 2012",
        "exit probability = rho0; q-voter ordered below p_c = (q-1)/(q-1+2^(q-1)), not above",
    ),
    (
        ("sasahara",),
        "Unfollowing accelerates echo chambers",
        "Sasahara et al. 2021",
        "with unfollowing (q = 0.5) the follow ties segregate sooner and end with fewer "
        "cross-cutting ties than without (q = 0) in at least 18 of 20 paired seeds",
    ),
)


def results_table(by_key: dict[str, list[str]]) -> str:
    """The Markdown table of the published results beside what the checks measured here."""
    rows = ["| result | paper | criterion | result here |", "| --- | --- | --- | --- |"]
    for keys, result, paper, criterion in RESULTS:
        here = "; ".join(v.replace("|", "/") for k in keys for v in by_key.get(k, []))
        rows.append(f"| {result} | {paper} | {criterion} | {here or 'not run'} |")
    return "\n".join(rows)


#: Each check: its runs' key, its summary, its figure (the page's sections, in order).
CHECKS = (
    ("deffuant", deffuant_summary, figures.deffuant_figure),
    ("cascade", cascade_summary, figures.cascade_figure),
    ("attention", attention_summary, figures.popularity_figure),
    ("broadcast", broadcast_summary, figures.virality_figure),
    ("trees", trees_summary, figures.trees_figure),
    *spread_rules.CHECKS,
    *sasahara.CHECKS,
)


def machine() -> str:
    """Cores, memory, CPU, OS and versions of the machine this report ran on."""
    import matplotlib
    import mesa

    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        mem_s = f"{mem:.1f} GiB"
    except (ValueError, OSError, AttributeError):
        mem_s = "unknown"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem_s} memory, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}, numpy {np.__version__}, "
        f"Mesa {mesa.__version__}, matplotlib {matplotlib.__version__}"
    )


def load_average() -> str:
    """The 1-minute load average of the machine now, or "unknown" where the OS has none."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except (OSError, AttributeError):
        return "unknown"


def write_report(
    results: dict[str, Rows], t0: float, jobs: int, out: Path, load: str | None = None
) -> list[str]:
    """Write the page ``out`` and its figures (in figures/ beside it); return the verdicts.

    Args:
        results: The runs of every check, as :func:`validation.runs.run_all` returns them.
        t0: ``time.perf_counter()`` when the runs started (for the wall-clock line).
        jobs: The worker processes that ran them.
        out: The Markdown page to write.
        load: The load average when the runs started (default: :func:`load_average` now).
    """
    fig_dir = out.parent / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    fields: dict[str, dict[str, Any]] = {}
    verdicts: list[str] = []
    # the opinion rules' checks (validation/opinion_rules.py) join when their runs are present
    extra = tuple(c for c in opinion_rules.CHECKS if c[0] in results)
    by_key: dict[str, list[str]] = {}
    for key, summary, figure in CHECKS + extra:
        figure(results[key], fig_dir)
        fields[key], v = summary(results[key])
        by_key[key] = v
        verdicts += v
    cpu = {k: sum(r["seconds"] for r in rows) for k, rows in results.items()}
    fields["run"] = {
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "seconds": time.perf_counter() - t0,
        "n_runs": sum(len(rows) for rows in results.values()),
        "jobs": jobs,
        "load": load_average() if load is None else load,
        "cpu": ", ".join(f"{k} {v:.0f} s" for k, v in cpu.items()),
        "summary": "\n".join(f"- {v}" for v in verdicts),
        "table": results_table(by_key),
    }
    text = (
        TEMPLATE.read_text()
        + (opinion_rules.TEMPLATE.read_text() if extra else "")
        + "\n"
        + TEMPLATE_SPREAD.read_text()
        + sasahara.TEMPLATE.read_text()
    )
    out.write_text(text.format(**fields))
    return verdicts
