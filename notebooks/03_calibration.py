# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Calibration: targets, the posterior, its predictive check, the flagship over it
#
# The behavioural rates that set the answer (how often users comment and like, how fast
# followers leave, belonging, activity, attention) were not measured: they were fitted to
# published figures by ABC-SMC (`python -m experiments calibrate`, docs/experiments.md,
# "Calibration"). The full calibration takes hours, so the repository keeps its result in
# `experiments/calibrated/`. This notebook reads the targets, checks the calibrated defaults
# against them on one seed, reads the posterior and its posterior predictive check, and runs
# the flagship comparison over the posterior at a tiny size, so that the answer carries
# parameter uncertainty as well as seed noise. Output goes into a temporary folder.

# %%
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

import experiments
from experiments import targets

PACKAGE = Path(experiments.__file__).parent  # experiments/ in the repository
CALIBRATED = PACKAGE / "calibrated"
work = Path(tempfile.mkdtemp(prefix="opinion-ecology-03-"))

# %% [markdown]
# ## The targets
#
# A calibration spec lists each published figure, the model measure that reproduces it, its
# uncertainty as a standard deviation (the distance divides by it, so weak data weighs
# little), a confidence and a source (docs/evidence.md has each one). Held-out targets are
# not fitted: they check the fit. Two targets are *effects*: a paired mini-experiment (the
# outlet replies or not) on the same seed, reported as a ratio.

# %%
cal = targets.load_calibration(PACKAGE / "specs" / "calibration.toml")
print(cal.name, "-", len(cal.priors), "priors,", len(cal.targets), "targets;", cal.fixed)
target_table = pd.DataFrame(
    [
        {
            "target": t.name,
            "measure": t.measure,
            "value": t.value,
            "sd": t.sd,
            "effect": t.effect or "",
            "held_out": t.held_out,
            "confidence": t.confidence,
            "population": t.population[:60],
        }
        for t in cal.targets
    ]
).set_index("target")
target_table

# %% [markdown]
# ## The calibrated defaults against the targets, one seed
#
# `targets.simulate` runs what the calibration ran for one parameter set (here none is
# changed: the `Params` defaults, which are one particle of the posterior) and returns every
# target's model value; `targets.distance` is the calibration's distance, the root sum of
# squares of the fitted targets' misses in units of their sd. The run is the spec's own
# size (2,000 users, 14 days), a few seconds.

# %%
sim = targets.simulate(cal, {}, seed=1)
print(f"distance of the defaults on seed 1: {targets.distance(cal, sim):.2f}")
target_table.assign(model=pd.Series(sim)).assign(z=lambda d: (d.model - d.value) / d.sd)[
    ["value", "sd", "model", "z", "held_out"]
].round(4)

# %% [markdown]
# ## The posterior
#
# `posterior.parquet` holds the last generation's particles: one row per particle, one
# column per calibrated parameter, and a weight. `calibration.json` says which generation,
# its epsilon (the acceptance distance) and the fixed values the calibration used.

# %%
meta = json.loads((CALIBRATED / "calibration.json").read_text())
posterior = pd.read_parquet(CALIBRATED / "posterior.parquet")
print(
    f"generation {meta['generation']}, epsilon {meta['epsilon']:.2f}, "
    f"{len(posterior)} particles, weights sum to {posterior.weight.sum():.3f}"
)
posterior.head()

# %% [markdown]
# The calibration's report summarises each parameter: its weighted median and 90% interval,
# and the interval's width over the prior's (on a log scale for log priors). **Pinned**
# (below 0.5): the targets determine it; **loose** (above 0.8): they do not, and its
# uncertainty must be carried into any answer. Drawn on the prior's range, 0 to 1:

# %%
summary = pd.read_csv(CALIBRATED / "posterior_summary.csv")


def unit(col: str) -> pd.Series:
    """The column's values as a position in the prior's range (log10 units for log priors)."""
    log = summary.scale.eq("log")
    lo = np.where(log, np.log10(summary.prior_low), summary.prior_low)
    hi = np.where(log, np.log10(summary.prior_high), summary.prior_high)
    x = np.where(log, np.log10(summary[col]), summary[col])
    return pd.Series((x - lo) / (hi - lo), index=summary.index)


colors = {"pinned": "tab:green", "partly": "tab:orange", "loose": "tab:red"}
fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
y = np.arange(len(summary))
ax.hlines(y, unit("q05"), unit("q95"), colors=summary.verdict.map(colors), lw=4)
ax.plot(unit("median"), y, "k|", ms=12)
ax.set_yticks(y, summary.parameter)
ax.set_xlim(0, 1)
ax.set_xlabel("position in the prior's range (90% interval, median)")
ax.invert_yaxis()
for verdict, color in colors.items():
    ax.plot([], [], color=color, lw=4, label=verdict)
ax.legend(loc="lower right", fontsize=8)
plt.show()

# %% [markdown]
# ## The posterior predictive check
#
# Particles drawn by weight, each run on a fresh seed: for each target, the model's median
# and 90% interval (seed noise and parameter uncertainty together) against the data.
# `inside` says whether the data's value lies in the model's interval, `consistent` whether
# the data's own 90% range overlaps it; `z` is the median's miss in units of the target's sd.
# A fitted target that is neither is a misfit the calibration could not remove (here the top
# 10%'s share of contributions, which the model cannot reach; docs/ODD.md, Calibration notes).

# %%
check = pd.read_csv(CALIBRATED / "predictive_check.csv").set_index("target")
check[["held_out", "data", "sd", "model_median", "model_q05", "model_q95", "inside", "z"]]

# %% [markdown]
# The same in units of each target's sd, so targets on different scales share one axis: the
# model's 90% interval and median minus the data's value; the band is the data's own 90% range.

# %%
fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
y = np.arange(len(check))
lo, hi = ((check[c] - check.data) / check.sd for c in ("model_q05", "model_q95"))
color = np.where(check.held_out, "tab:gray", "tab:blue")
ax.axvspan(-1.645, 1.645, color="0.9")
ax.hlines(y, lo, hi, colors=color, lw=3)
ax.plot(check.z, y, "k|", ms=12)
ax.set_yticks(
    y, [f"{t} (held out)" if h else t for t, h in zip(check.index, check.held_out, strict=True)]
)
ax.set_xlabel("(model - data) / sd")
ax.invert_yaxis()
plt.show()

# %% [markdown]
# ## The flagship over the posterior
#
# `experiments/specs/flagship_posterior.toml` runs the flagship's arms (one-way,
# interactive, scenario) over parameter sets drawn from the posterior, each with paired
# replicates, and its report splits each difference's variance into seed noise and
# parameter uncertainty (docs/experiments.md, "Uncertainty from a calibration posterior").
# Its size is 32 draws x 3 arms x 4 replicates at 10,000 users for 14 days; here a copy
# draws 8 parameter sets, and the size is overridden to 500 users, 3 days and 2 replicates
# (the least that can separate seed noise from parameter uncertainty): 48 short runs.
#
# The copy also names the posterior folder by its full path: the spec names it relative to
# its own folder (a relative path in a spec is read from the spec file's folder), and the
# copy is written elsewhere.

# %%
spec_text = (PACKAGE / "specs" / "flagship_posterior.toml").read_text()
edits = {
    'posterior = "../calibrated"': f'posterior = "{CALIBRATED.as_posix()}"',
    "draws = 32": "draws = 8",
}
for old, new in edits.items():
    assert old in spec_text, f"the spec no longer has {old!r}"
    spec_text = spec_text.replace(old, new)
spec_path = work / "flagship_posterior.toml"
spec_path.write_text(spec_text)
spec = experiments.load_spec(spec_path, overrides={"n_users": 500, "steps": 72, "replicates": 2})
out = work / "flagship_posterior"
summary_run = experiments.run(spec, out, executor="process", workers=2, progress=False)
print(summary_run.ran, "runs,", summary_run.failed, "failed")

# %% [markdown]
# The report (`--no-figures` keeps it quick; the figures are the same as any experiment's)
# writes `posterior_split.csv`: per arm and headline measure, the mean difference from
# one-way over all draws and replicates with its interval, the range of one world (a new
# draw and a new seed), the shares of seed noise and parameter uncertainty, and the share
# of draws in which the arm is ahead. At this tiny size the interval of the mean (`ci_lo`,
# `ci_hi`) rests on very few degrees of freedom: it can be wider than the one-world range
# (`lo`, `hi`), and where a variance component's estimate is negative it is taken as zero,
# which leaves a wide interval on few degrees of freedom. Read the one-world range and the
# shares here; the full spec's 32 draws
# and 4 replicates are what the intervals are built for.

# %%
done = subprocess.run(
    [sys.executable, "-m", "experiments", "report", str(out), "--no-figures"],
    capture_output=True,
    text=True,
)
print(done.stdout[-1500:] + done.stderr[-1500:])
done.check_returncode()
split = pd.read_csv(out / "posterior_split.csv")
split[split.arm == "interactive"][
    ["measure", "mean", "ci_lo", "ci_hi", "lo", "hi", "seed_share", "param_share", "share_positive"]
].round(4)

# %% [markdown]
# Every draw's own mean difference, interactive minus one-way (a dot per draw: the mean of
# its 2 replicates), with the pooled mean and the one-world range. Draws spread far wider
# than their replicates would say that the answer depends on the calibrated rates more than
# on chance; the table's seed and parameter shares say it in numbers. With 2 replicates of
# 3 days at 500 users both shares are rough: the full spec is the one to read.

# %%
runs = experiments.load_results(out).ok
shown = ["reach", "engagement", "retention", "trust", "belonging"]
by_draw = runs.pivot_table(index=["point_id", "replicate"], columns="arm", values=shown)
delta = by_draw.xs("interactive", axis=1, level="arm") - by_draw.xs("one_way", axis=1, level="arm")
draw_means = delta.groupby(level="point_id").mean()
rows = split[(split.arm == "interactive")].set_index("measure")
fig, axes = plt.subplots(1, len(shown), figsize=(13, 3.2), layout="constrained")
for ax, m in zip(axes, shown, strict=True):
    ax.axhline(0, color="0.6", lw=0.8)
    ax.plot(np.zeros(len(draw_means)), draw_means[m], "o", alpha=0.6, label="one draw")
    ax.errorbar([0.3], [rows.loc[m, "mean"]], yerr=[[rows.loc[m, "mean"] - rows.loc[m, "lo"]],
                [rows.loc[m, "hi"] - rows.loc[m, "mean"]]], fmt="ks", capsize=4,
                label="mean, one-world 95%")  # fmt: skip
    ax.set_xlim(-0.4, 0.7)
    ax.set_xticks([])
    ax.set_title(m)
axes[0].set_ylabel("interactive - one_way")
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="outside lower center", ncol=2, fontsize=8)
plt.show()
