"""Degree distributions of loaded layers beside the generated layers of the same n.

``python -m model.degrees --acquaintance A.csv --follow F.parquet --figure ccdf.png`` reads the
files as the model would (model/edgelists.py), draws the generated layers for the same number
of users (model/network.py, at the given or default parameters) and prints, for the
acquaintance degree and the follow in-degree (followers) and out-degree (accounts followed),
the mean, median, maximum and a power-law tail exponent with its lower cut-off, fitted by the
discrete maximum-likelihood approximation of Clauset, Shalizi & Newman (2009, eq. 3.7) with the
cut-off that minimises the Kolmogorov-Smirnov distance. It also prints the ties each file lost
(self-loops, repeats) and the ``n_users`` to set. The figure draws the complementary cumulative
distributions, P(K >= k), on log axes.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from model.edgelists import EdgeListError, EdgeListWarning, Loaded, load
from model.network import CSR, acquaintance_layer, csr_from_edges, follow_layer

__all__ = ["Report", "ccdf", "ccdf_figure", "degree_stats", "describe", "main", "tail_exponent"]

#: The fewest degrees at or above the cut-off for a tail exponent to be reported.
MIN_TAIL = 50
#: The tail must span this factor (max degree / cut-off) for an exponent to be reported.
TAIL_SPAN = 10
#: Cut-offs tried: at most this many distinct degrees, spread over the range.
MAX_CUTOFFS = 60


def tail_exponent(degrees: np.ndarray) -> tuple[float, int, int, float]:
    """The power-law exponent alpha of the tail of ``degrees``, its cut-off, the tail's size and
    the Kolmogorov-Smirnov distance of the fit (large, say over 0.1: not a power law).

    For each candidate cut-off k_min, alpha = 1 + m / sum(ln(k / (k_min - 1/2))) over the m
    degrees k >= k_min (Clauset et al. 2009, eq. 3.7); the cut-off kept minimises the
    Kolmogorov-Smirnov distance between the tail's empirical CCDF and ((k - 1/2) / (k_min -
    1/2))^(1 - alpha). Returns (nan, 0, 0, nan) when no cut-off leaves :data:`MIN_TAIL` degrees
    spanning a factor :data:`TAIL_SPAN` (a narrow distribution has no tail to fit).
    """
    k = np.sort(np.asarray(degrees, dtype=np.float64))
    k = k[k >= 1]
    if len(k) < MIN_TAIL:
        return float("nan"), 0, 0, float("nan")
    # cut-offs with at least MIN_TAIL degrees above them and a tail of a decade or more (a
    # power law fitted over a narrower span says nothing: Clauset et al. 2009, section 3)
    values = np.unique(k[: len(k) - MIN_TAIL + 1])
    values = values[values * TAIL_SPAN <= k[-1]]
    if not len(values):
        return float("nan"), 0, 0, float("nan")
    if len(values) > MAX_CUTOFFS:
        values = values[np.linspace(0, len(values) - 1, MAX_CUTOFFS).astype(int)]
    best = (np.inf, float("nan"), 0, 0)
    for kmin in values:
        tail = k[np.searchsorted(k, kmin) :]
        m = len(tail)
        alpha = 1.0 + m / np.log(tail / (kmin - 0.5)).sum()
        # the empirical CCDF at each distinct tail value against the fitted one
        distinct, first = np.unique(tail, return_index=True)
        empirical = 1.0 - first / m
        fitted = ((distinct - 0.5) / (kmin - 0.5)) ** (1.0 - alpha)
        ks = float(np.abs(empirical - fitted).max())
        if ks < best[0]:
            best = (ks, float(alpha), int(kmin), m)
    return best[1], best[2], best[3], best[0]


def degree_stats(degrees: np.ndarray) -> dict[str, float]:
    """Mean, median, maximum and the tail fit (:func:`tail_exponent`) of a degree sequence."""
    d = np.asarray(degrees)
    alpha, kmin, m, ks = tail_exponent(d)
    return {
        "mean": float(d.mean()) if len(d) else float("nan"),
        "median": float(np.median(d)) if len(d) else float("nan"),
        "max": int(d.max()) if len(d) else 0,
        "tail_exponent": alpha,
        "tail_kmin": kmin,
        "tail_n": m,
        "tail_ks": ks,
    }


def ccdf(degrees: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct positive degrees k and P(K >= k) over all users."""
    d = np.sort(np.asarray(degrees))
    distinct, first = np.unique(d, return_index=True)
    keep = distinct > 0
    return distinct[keep], (1.0 - first / len(d))[keep]


@dataclass
class Report:
    """What :func:`describe` found.

    Attributes:
        n: Users in the files (the ``n_users`` to set).
        degrees: ``(measure, source)`` -> degree sequence, e.g. ``("follow in-degree",
            "file")`` and ``(..., "generated")``.
        dropped: Per file key, (rows, self-loops, repeats).
        files: Per file key, its path.
    """

    n: int
    degrees: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    dropped: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def table(self) -> list[dict[str, Any]]:
        """One row per (measure, source) with :func:`degree_stats`."""
        return [
            {"measure": m, "source": s, **degree_stats(d)} for (m, s), d in self.degrees.items()
        ]

    def text(self) -> str:
        """The report as printed by the command line."""
        lines = [f"users: {self.n:,} (set n_users={self.n})"]
        for key, (rows, loops, repeats) in self.dropped.items():
            lines.append(
                f"{key}: {self.files[key]}: {rows:,} rows, dropped {loops:,} self-loops and "
                f"{repeats:,} repeats"
            )
        head = f"{'measure':<22}{'source':<11}{'mean':>9}{'median':>8}{'max':>9}{'alpha':>7}{'k_min':>7}{'tail n':>9}{'KS':>7}"
        lines += ["", head, "-" * len(head)]
        for r in self.table():
            alpha = "-" if np.isnan(r["tail_exponent"]) else f"{r['tail_exponent']:.2f}"
            ks = "-" if np.isnan(r["tail_ks"]) else f"{r['tail_ks']:.3f}"
            lines.append(
                f"{r['measure']:<22}{r['source']:<11}{r['mean']:>9.2f}{r['median']:>8.1f}"
                f"{r['max']:>9,}{alpha:>7}{r['tail_kmin']:>7}{r['tail_n']:>9,}{ks:>7}"
            )
        return "\n".join(lines)


def _out_degree(followers: CSR) -> np.ndarray:
    """Accounts each user follows: how often the user is a follower in the layer."""
    return np.bincount(followers.indices, minlength=followers.n)


def describe(
    acquaintance: str | Path = "",
    follow: str | Path = "",
    nodes: str | Path = "",
    *,
    params: Any = None,
    seed: int = 0,
) -> Report:
    """The loaded layers' degrees beside those of the generated layers of the same n.

    Args:
        acquaintance: An acquaintance edge file, or "".
        follow: A follow edge file, or "".
        nodes: An optional node file (model/edgelists.py).
        params: A :class:`model.Params` whose network fields draw the generated layers (its
            ``n_users`` is replaced by the files'); None: the defaults.
        seed: Seed of the generated layers.

    Returns:
        The :class:`Report`.
    """
    from model.params import Params

    with warnings.catch_warnings():
        # the counts are reported below, so the load's warnings would only repeat them
        warnings.simplefilter("ignore", EdgeListWarning)
        loaded: Loaded = load(acquaintance, follow, nodes)
    n = loaded.n
    p = (params or Params()).replace(n_users=n, acquaintance_edges="", follow_edges="")
    rng = np.random.default_rng(seed)
    gen = (
        loaded.generation
        if loaded.generation is not None
        else rng.choice(4, size=n, p=np.array(p.generation_mix)).astype(np.int8)
    )
    report = Report(n)
    if "acquaintance_edges" in loaded.layers:
        a = loaded.layers["acquaintance_edges"]
        acq = csr_from_edges(
            np.concatenate([a.source, a.target]), np.concatenate([a.target, a.source]), n
        )
        synthetic = acquaintance_layer(gen, p.acq_degree, p.acq_rewire, p.acq_homophily, rng)
        report.degrees[("acquaintance degree", "file")] = acq.degree
        report.degrees[("acquaintance degree", "generated")] = synthetic.degree
        loops, repeats = loaded.dropped("acquaintance_edges", acq.n_edges // 2)
        report.dropped["acquaintance_edges"] = (a.rows, loops, repeats)
        report.files["acquaintance_edges"] = str(a.path)
    if "follow_edges" in loaded.layers:
        f = loaded.layers["follow_edges"]
        followers = csr_from_edges(f.target, f.source, n)
        synthetic = follow_layer(n, p.follow_model, p.follow_degree, p.follow_exponent, rng)
        report.degrees[("follow in-degree", "file")] = followers.degree
        report.degrees[("follow in-degree", "generated")] = synthetic.degree
        report.degrees[("follow out-degree", "file")] = _out_degree(followers)
        report.degrees[("follow out-degree", "generated")] = _out_degree(synthetic)
        loops, repeats = loaded.dropped("follow_edges", followers.n_edges)
        report.dropped["follow_edges"] = (f.rows, loops, repeats)
        report.files["follow_edges"] = str(f.path)
    return report


def ccdf_figure(report: Report, path: str | Path) -> Path:
    """One log-log panel per measure: the file's CCDF and the generated layer's."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    measures = list(dict.fromkeys(m for m, _ in report.degrees))
    fig, axes = plt.subplots(1, len(measures), figsize=(4.2 * len(measures), 3.6), squeeze=False)
    for ax, measure in zip(axes[0], measures, strict=True):
        for source, style in (("file", "-"), ("generated", "--")):
            k, p = ccdf(report.degrees[(measure, source)])
            if len(k):
                ax.loglog(k, p, style, drawstyle="steps-post", label=source)
        ax.xaxis.set_minor_formatter(NullFormatter())  # minor labels overlap on a short axis
        ax.set_xlabel(f"{measure} k")
        ax.set_ylabel("P(K >= k)")
        ax.set_title(measure)
        ax.legend()
    fig.suptitle(f"Degrees of the loaded layers and the generated ones, n = {report.n:,}")
    fig.tight_layout()
    out = Path(path)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    """``python -m model.degrees``: print the report, optionally write the figure."""
    parser = argparse.ArgumentParser(
        prog="python -m model.degrees",
        description="Degree distributions of edge lists beside the generated layers of the same n.",
    )
    parser.add_argument("--acquaintance", default="", help="acquaintance edge file (undirected)")
    parser.add_argument("--follow", default="", help="follow edge file (source follows target)")
    parser.add_argument("--nodes", default="", help="node file: id[,generation]")
    parser.add_argument("--figure", default="", help="write the CCDF figure here (PNG, SVG, PDF)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generated layers")
    args = parser.parse_args(argv)
    if not (args.acquaintance or args.follow):
        parser.error("give --acquaintance, --follow or both")
    try:
        report = describe(args.acquaintance, args.follow, args.nodes, seed=args.seed)
    except EdgeListError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(report.text())
    if args.figure:
        print(f"figure: {ccdf_figure(report, args.figure)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
