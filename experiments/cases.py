"""The case studies' timelines and figures (docs/cases/): the Ding Zhen case of
``experiments/specs/ding_zhen.toml``.

The experiment's run folder records each run's final measures, not the case's timeline (the
creator's followers, the seed post's likes, the creator's topic's views, step by step). So
:func:`replay` runs again every run of the stored plan (the same ``Params`` and seed, so the
same run: it checks that each replayed run ends with the recorded ``followers``) and records
the timeline per step; the table is cached in ``OUT/case/traces.parquet``. :func:`figures`
draws the case's figures from it and from the recorded runs:

    python -m experiments.cases OUT FIGDIR [--workers N]

``timeline.png`` (the seed post's likes and the creator's user followers), ``topic_views.png``
(the views of the creator's topic per arm), ``follower_curve.png`` (the focal outlet's followers
gained since the start, per arm, mean and 95% interval) and ``paired_gain.png`` (each arm's
paired difference in followers gained against the spec's baseline, 95% paired t interval).
"""

from __future__ import annotations

import argparse
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from experiments.plan import load_plan  # noqa: E402
from experiments.results import load_results  # noqa: E402
from experiments.run import to_params  # noqa: E402
from experiments.stats import t_intervals  # noqa: E402

#: The per-step columns of a trace (one row per run and step).
TRACE_COLUMNS = (
    "creator_followers",  # the creator's user followers
    "creator_posts",  # the creator's posts so far
    "seed_likes",  # likes of the creator's first post (0 before it)
    "seed_views",  # views of the creator's first post
    "topic_views",  # views of the items of the first post's topic (cumulative)
    "topic_listed",  # the first post's topic is on the trending list
    "focal_followers",  # users who follow the focal outlet
    "riders_on_topic",  # outlets that have ridden the first post's topic
)


def trace(params: Any, seed: int) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Run ``params`` from ``seed`` step by step and record the case's timeline.

    Returns:
        One row per step (``step`` and :data:`TRACE_COLUMNS`), and the run's end: the step each
        outlet first rode the creator's topic (-1: never), the most viewed user post's author,
        the creator's topic, the topics ever on the list, and the seed post's likes per view.
    """
    from model import OpinionEcology
    from model.content import USER

    m = OpinionEcology(params, seed=seed)
    cr = int(params.creator)
    first = -1
    topic = -1
    joined = np.full(m.n_outlets, -1, dtype=np.int64)
    rows = []
    for _ in range(int(params.steps)):
        m.step()
        c = m.content
        if first < 0 and cr >= 0:
            mine = np.flatnonzero((c.source_kind[: c.n] == USER) & (c.source[: c.n] == cr))
            if len(mine):
                first, topic = int(mine[0]), int(c.topic[mine[0]])
        rode = m.ride.rode[:, topic] if topic >= 0 else np.zeros(m.n_outlets, bool)
        joined[(joined < 0) & rode] = m.steps
        n_posts = 0
        if first >= 0:
            n_posts = int(
                ((c.source_kind[first : c.n] == USER) & (c.source[first : c.n] == cr)).sum()
            )
        rows.append(
            (
                int(m.steps),
                int(m.user_follower_counts()[cr]) if cr >= 0 else 0,
                n_posts,
                int(c.likes[first]) if first >= 0 else 0,
                int(c.views[first]) if first >= 0 else 0,
                int(m.topics.views_by[:, topic].sum()) if topic >= 0 else 0,
                bool(topic >= 0 and topic in set(m.topics.listed.tolist())),
                int(m.state.follows[:, 0].sum()),
                int(rode.sum()),
            )
        )
    c = m.content
    users = np.flatnonzero(c.source_kind[: c.n] == USER)
    top = int(c.source[users[np.argmax(c.views[users])]]) if len(users) else -1
    end = {
        "first_post": int(c.created[first]) if first >= 0 else -1,
        "joined": joined.tolist(),
        "top_author": top,
        "topic": topic,
        "trending_topics": int(m.topics.ever.sum()),
        "topic_likes": int(c.likes[: c.n][c.topic[: c.n] == topic].sum()) if topic >= 0 else 0,
        "followers_end": float(m.state.follows[:, 0].mean()),
        "n_users": int(m.n_users),
    }
    df = pd.DataFrame(rows, columns=["step", *TRACE_COLUMNS])
    return df, end


def _one(job: tuple[int, str, int, int, dict[str, Any]]) -> tuple[pd.DataFrame, dict[str, Any]]:
    point, arm, rep, seed, kw = job
    df, end = trace(to_params(kw), seed)
    ids = {"point_id": point, "arm": arm, "replicate": rep}
    return df.assign(**ids), {**ids, **end}


def replay(out: str | Path, workers: int = 1, arms: list[str] | None = None) -> pd.DataFrame:
    """Every run of the experiment in ``out`` (or of ``arms``) replayed with its trace, cached
    in ``out/case/traces.parquet`` and ``out/case/ends.parquet``.

    Raises:
        ValueError: A replayed run does not end with the ``followers`` recorded for it (the
            model is not the one that ran the experiment).
    """
    out = Path(out)
    cache = out / "case" / "traces.parquet"
    if cache.exists():
        return pd.read_parquet(cache)
    plan = load_plan(out)
    jobs = [
        (pid, arm, r, seed, plan.params[(pid, arm)])
        for (pid, arm) in plan.params
        if arms is None or arm in arms
        for r, seed in enumerate(plan.seeds)
    ]
    if workers > 1:
        with ProcessPoolExecutor(workers) as ex:
            done = list(ex.map(_one, jobs))
    else:
        done = [_one(j) for j in jobs]
    traces = pd.concat([d for d, _ in done], ignore_index=True)
    ends = pd.DataFrame([e for _, e in done])
    runs = load_results(out).runs.set_index(["point_id", "arm", "replicate"])
    for e in ends.itertuples():
        rec = float(runs.loc[(e.point_id, e.arm, e.replicate), "followers"])
        if not np.isclose(rec, e.followers_end, rtol=0, atol=1e-12):
            raise ValueError(
                f"replayed run p{e.point_id}-{e.arm}-r{e.replicate} ends with followers "
                f"{e.followers_end} but {rec} was recorded: the model code differs from the run's"
            )
    cache.parent.mkdir(parents=True, exist_ok=True)
    traces.to_parquet(cache)
    ends.to_parquet(out / "case" / "ends.parquet")
    return traces


def ends(out: str | Path) -> pd.DataFrame:
    """The runs' ends recorded by :func:`replay` (call it first)."""
    return pd.read_parquet(Path(out) / "case" / "ends.parquet")


def timeline_summary(out: str | Path, point: int, arm: str) -> dict[str, str]:
    """The case's timeline over the replicates of one arm at one design point (call
    :func:`replay` first): each entry a range over runs ("lo-hi") or a count ("k of n")."""
    tr = pd.read_parquet(Path(out) / "case" / "traces.parquet")
    en = ends(out)
    tr = tr[(tr.point_id == point) & (tr.arm == arm)]
    en = en[(en.point_id == point) & (en.arm == arm)]
    n_users = int(en.n_users.iloc[0])
    last = tr[tr.step == tr.step.max()].set_index("replicate")
    first = en.first_post.to_numpy()
    before = tr[tr.step == tr.step.min()].set_index("replicate")  # step 1, before any post
    joined = np.array(en.joined.tolist())  # runs x outlets, -1 never

    def rng(x, fmt="{:,.0f}") -> str:  # noqa: ANN001
        x = np.asarray(x, dtype=float)
        return f"{fmt.format(x.min())}-{fmt.format(x.max())}"

    on_topic = (joined >= 0).sum(axis=1)
    joined_steps = joined[joined >= 0]
    return {
        "runs": str(len(en)),
        "first post step": rng(first),
        "seed likes": rng(last.seed_likes) + f" ({rng(100 * last.seed_likes / n_users, '{:.0f}')}% "
        "of users)",
        "seed likes per view": rng(last.seed_likes / last.seed_views, "{:.2f}"),
        "creator's post most viewed": f"{int((en.top_author == 0).sum())} of {len(en)}",
        "creator followers start": rng(before.creator_followers),
        "creator followers end": rng(last.creator_followers)
        + f" ({rng(100 * last.creator_followers / n_users, '{:.1f}')}% of users)",
        "creator posts": rng(last.creator_posts),
        "outlets on the creator's topic": rng(on_topic)
        + f" of {joined.shape[1]} (runs with none: {int((on_topic == 0).sum())})",
        "steps they joined it": rng(joined_steps) if len(joined_steps) else "never",
        "topic views": rng(last.topic_views),
        "topic likes": rng(en.topic_likes),
        "topic views per like": rng(
            last.topic_views.to_numpy() / np.maximum(en.topic_likes.to_numpy(), 1), "{:.1f}"
        ),
        "trending topics": rng(en.trending_topics),
    }


#: Names of the factor values the case study reads (docs/cases/ding_zhen.md, "Arms and
#: points"), for the figures' legends; any other value shows as ``factor=value``.
VALUE_NAMES: dict[tuple[str, float], str] = {
    ("background_ride_share", 0.0): "alone",
    ("background_ride_share", 1.0): "with competitors",
}


def point_labels(out: str | Path) -> dict[int, str]:
    """Each design point's label: its factor values by name where :data:`VALUE_NAMES` names
    them ("with competitors"), else as ``factor=value`` (``background_ride_share=0.5``)."""
    plan = load_plan(out)

    def name(k: str, v: Any) -> str:
        known = VALUE_NAMES.get((k, v)) if isinstance(v, int | float) else None
        return known or f"{k}={v}"

    return {
        i: ", ".join(name(k, v) for k, v in pt.items()) or "all" for i, pt in enumerate(plan.points)
    }


def paired_gain(out: str | Path, confidence: float = 0.95) -> pd.DataFrame:
    """Per design point and arm: the mean followers gained over the run (followers at the end
    minus at the start, in users: ``followers`` x n_users, since the start is the same in every
    arm of a replicate) and the paired difference against the spec's baseline, with the paired
    t interval."""
    res = load_results(out)
    runs = res.runs
    base = res.spec.analysis.baseline
    n = runs["param.n_users"].astype(float)
    runs = runs.assign(gained=runs["followers"] * n)
    rows = []
    for pid, g in runs.groupby("point_id"):
        b = g[g.arm == base].set_index("replicate")["gained"]
        for arm, a in g.groupby("arm", sort=False):
            a = a.set_index("replicate")["gained"]
            d = (a - b).dropna().to_numpy()
            k, mean, _, lo, hi = t_intervals(d, confidence)
            rows.append(
                {
                    "point_id": int(pid),
                    "arm": arm,
                    "followers_end": float(a.mean()),
                    "delta": float(mean[0]),
                    "ci_low": float(lo[0]),
                    "ci_high": float(hi[0]),
                    "n": int(k[0]),
                }
            )
    return pd.DataFrame(rows)


def _band(ax, g: pd.DataFrame, col: str, label: str, color=None) -> None:  # noqa: ANN001
    """Mean of ``col`` over the runs per step, with its 95% t interval as a band."""
    wide = g.pivot_table(index="step", columns="replicate", values=col)
    _, mean, _, lo, hi = t_intervals(wide.to_numpy().T)
    (line,) = ax.plot(wide.index, mean, label=label, color=color)
    ax.fill_between(wide.index, lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)


def _days(ax, steps: int) -> None:  # noqa: ANN001
    ax.set_xticks(np.arange(0, steps + 1, 24))
    ax.set_xticklabels([str(d) for d in range(steps // 24 + 1)])
    ax.set_xlabel("day")


def figures(out: str | Path, figdir: str | Path, workers: int = 1) -> list[Path]:
    """The case's four figures from the run folder ``out`` into ``figdir`` (PNG); returns
    their paths."""
    out, figdir = Path(out), Path(figdir)
    figdir.mkdir(parents=True, exist_ok=True)
    tr = replay(out, workers)
    labels = point_labels(out)
    steps = int(tr.step.max())
    arms = list(dict.fromkeys(tr.arm))
    paths = []
    # 1. the timeline: the seed post's likes and the creator's followers (every arm pooled: the
    # creator does not depend much on the outlets, and the figure says what it pools)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for pid, g in tr.groupby("point_id"):
        _band(axes[0], g, "seed_likes", labels[pid])
        _band(axes[1], g.assign(replicate=g.arm + g.replicate.astype(str)), "creator_followers",
              labels[pid])  # fmt: skip
    axes[0].set_ylabel("likes of the creator's first post")
    axes[1].set_ylabel("the creator's user followers")
    for ax in axes:
        _days(ax, steps)
        ax.legend(fontsize=7)
    axes[0].set_title("The seed post", fontsize=10)
    axes[1].set_title("The creator's audience", fontsize=10)
    fig.suptitle("Timeline (mean and 95% interval over runs)", fontsize=10)
    fig.tight_layout()
    paths.append(figdir / "timeline.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    # 2. views of the creator's topic, per arm, per point
    # 3. the focal outlet's followers gained since the start, per arm, per point
    for name, col, ylabel in (
        ("topic_views.png", "topic_views", "views of the creator's topic"),
        ("follower_curve.png", "gain", "focal outlet's followers gained"),
    ):
        npt = tr.point_id.nunique()
        fig, axes = plt.subplots(1, npt, figsize=(5 * npt, 3.6), sharey=True, squeeze=False)
        for ax, (pid, g) in zip(axes[0], tr.groupby("point_id"), strict=True):
            g0 = g[g.step == g.step.min()].set_index(["arm", "replicate"])["focal_followers"]
            g = g.assign(gain=g.focal_followers - g0.reindex(pd.MultiIndex.from_frame(
                g[["arm", "replicate"]])).to_numpy())  # fmt: skip
            for arm in arms:
                _band(ax, g[g.arm == arm], col, arm)
            ax.set_title(labels[pid], fontsize=9)
            _days(ax, steps)
        axes[0][0].set_ylabel(ylabel)
        axes[0][-1].legend(fontsize=7)
        fig.tight_layout()
        paths.append(figdir / name)
        fig.savefig(paths[-1], dpi=120)
        plt.close(fig)
    # 4. the paired difference in followers gained against the baseline
    pg = paired_gain(out)
    base = load_results(out).spec.analysis.baseline
    pg = pg[pg.arm != base]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    parms = list(dict.fromkeys(pg.arm))
    for j, (pid, g) in enumerate(pg.groupby("point_id")):
        x = np.array([parms.index(a) for a in g.arm]) + (j - 0.5) * 0.25
        ax.errorbar(x, g.delta, yerr=[g.delta - g.ci_low, g.ci_high - g.delta], fmt="o",
                    capsize=3, label=labels[pid])  # fmt: skip
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xticks(range(len(parms)))
    ax.set_xticklabels(parms)
    ax.set_ylabel(f"followers gained, minus {base}'s")
    ax.set_title("Paired difference at the end (95% paired t interval)", fontsize=10)
    ax.legend(fontsize=7)
    fig.tight_layout()
    paths.append(figdir / "paired_gain.png")
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m experiments.cases OUT FIGDIR [--workers N]``."""
    ap = argparse.ArgumentParser(prog="python -m experiments.cases", description=__doc__)
    ap.add_argument("out", help="the experiment's run folder")
    ap.add_argument("figdir", help="where the PNG figures go")
    ap.add_argument("--workers", type=int, default=1, help="processes for the replay")
    a = ap.parse_args(argv)
    for p in figures(a.out, a.figdir, a.workers):
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
