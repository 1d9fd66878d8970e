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
# # 2. An experiment from spec to report: run, resume, report, explain
#
# One model run is one possible history. To say *whether* a strategy beats one-way
# broadcasting, and by how much, `experiments` runs each strategy (an **arm**) many times
# with paired seeds: replicate *r* of every arm starts from the same population, networks
# and random streams, so their difference is the strategy's effect plus much less noise
# than two independent runs would have (common random numbers).
#
# This notebook writes a small spec, runs it from the command line as a researcher would in
# a terminal, interrupts it and resumes it, reads the report, and asks `explain` *which part*
# of a strategy the difference comes from. Everything is written into a temporary folder.
# docs/experiments.md documents every key and file used here.

# %%
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import Image, display

import experiments

work = Path(tempfile.mkdtemp(prefix="opinion-ecology-02-"))
print(work)


def cli(*args: str) -> None:
    """Run `python -m experiments ARGS` as in a terminal and print what it prints."""
    done = subprocess.run(
        [sys.executable, "-m", "experiments", *args], capture_output=True, text=True, cwd=work
    )
    print(done.stdout + done.stderr)
    done.check_returncode()


# %% [markdown]
# ## The spec
#
# A spec is a TOML file: how many replicates, how long a run is (steps are hours), which
# measures to keep, the fixed parameters, and the arms. Two custom arms ask a concrete
# question: a one-way outlet that spends 30% of its staff time replying to commenters, and
# one that also spends 20% on a community. `[analysis]` names the baseline every arm is
# paired against; `[explain]` names a mechanism `explain` will switch off (the platform's
# trending top-up of short feeds). The size is small so this runs in about a minute.

# %%
spec_text = """\
name = "replies_and_community"
description = "Does replying to commenters pay, and is a community worth its staff time?"
replicates = 6
root_seed = 2026
steps = 168                     # one week of hours
measure_every = 12              # a time series point every 12 hours
metrics = ["reach", "engagement", "retention", "trust", "belonging"]

[fixed]
n_users = 1000

[arms]
one_way = "one_way"
replies = { strategy = "one_way", reply_share = 0.3 }
replies_community = { strategy = "one_way", reply_share = 0.3, community_share = 0.2 }

[analysis]
baseline = "one_way"
headline = ["reach", "engagement", "retention", "trust", "belonging"]

[explain]
trending = { trending_prob = 0.0 }
"""
spec_path = work / "replies.toml"
spec_path.write_text(spec_text)
spec = experiments.load_spec(spec_path)
print(spec.name, "-", spec.replicates, "replicates x", len(spec.arms), "arms")

# %% [markdown]
# A mistake in a spec stops it before anything runs, with the file, the key and what is
# allowed:

# %%
try:
    experiments.load_spec(spec_path, overrides={"n_users": 0})
except (experiments.SpecError, ValueError) as err:
    print("refused:", err)

# %% [markdown]
# ## Run, interrupt, resume
#
# `run` streams finished runs to Parquet files in the output folder as it goes. Here it is
# started as in a terminal and interrupted (Ctrl-C, which is SIGINT) once the first runs are
# on disk; the finished runs are kept.

# %%
out = work / "results"
cmd = [sys.executable, "-m", "experiments", "run", str(spec_path), "--out", str(out)]
opts = ["--executor", "process", "--workers", "2", "--flush-every", "4", "--quiet"]
proc = subprocess.Popen([*cmd, *opts], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
while proc.poll() is None and not list((out / "runs").glob("part-*.parquet")):
    time.sleep(0.2)
proc.send_signal(signal.SIGINT)
print(proc.communicate()[0].decode()[-400:], "exit code", proc.returncode)

# %% [markdown]
# `status` reads the folder (also from another terminal while a run goes on):

# %%
cli("status", str(out))

# %% [markdown]
# The same command with `--resume` skips the runs already recorded and runs the rest; the
# tables it leaves are exactly those of a run that was never interrupted.

# %%
cli("run", str(spec_path), "--out", str(out), "--resume", *opts)

# %% [markdown]
# ## The report
#
# `report` computes every arm's paired difference from the baseline with its 95% confidence
# interval (paired t), effect sizes (d_z, A12) and a check that there are enough replicates
# (`adequate`), and writes `report.md`, `comparison.csv` and figures into the folder.

# %%
cli("report", str(out))
print(sorted(p.name for p in out.iterdir()))

# %% [markdown]
# From Python, `load_results` gives the same tables as DataFrames: `runs` (one row per run),
# `timeseries()`, `compare()` (the paired differences, overall and per generation). Here:
# the overall differences, and which of them are clear of zero.

# %%
res = experiments.load_results(out)
cmp = res.compare()
overall = cmp[(cmp.point_id == 0) & (cmp.generation == "all")]
overall.assign(clear_of_zero=(overall.ci_lo > 0) | (overall.ci_hi < 0))[
    ["arm", "measure", "base_mean", "diff", "ci_lo", "ci_hi", "d_z", "clear_of_zero"]
].round(5)

# %% [markdown]
# The time series of every run is there too: trust in the outlet over the week, each arm's
# mean over its replicates (the report draws the same in `figures/trajectories.png`).

# %%
ts = res.timeseries(["trust"])
mean = ts.groupby(["arm", "step"])["trust"].mean().unstack("arm")
ax = mean.plot(figsize=(6, 3.5), xlabel="hour", ylabel="mean trust in the outlet")
ax.set_title(f"Trust, mean of {spec.replicates} paired replicates")
plt.show()

# %% [markdown]
# ## Why: `explain`
#
# `report` says *how much* an arm differs; `explain` says which of its parts the difference
# comes from, with paired knock-outs run as extra arms of one experiment (docs/experiments.md,
# "Explaining a difference"):
#
# * `add_one`: the baseline with one switch of the arm set (the switch alone);
# * `leave_one_out`: the arm with one switch set back (the switch last);
# * `knock_out`: how much smaller the difference is with a mechanism off in both arms;
# * `interaction`: what the switches' deltas leave unexplained (effects that do not add up).
#
# Runs that would compute the same thing run once (`replies_community` without its community
# is the `replies` arm).

# %%
explained = experiments.explain(
    spec_path,
    work / "explain",
    arms=["replies_community"],
    executor="process",
    workers=2,
    progress=False,
)
print(f"{explained.ran} runs in {explained.seconds:.0f} s; wrote", ", ".join(explained.files))

# %% [markdown]
# `attribution.csv` has one row per arm, measure, component and method: the delta with its
# confidence interval and its share of the total. A share is left blank where the total's
# interval includes zero (a share of a difference that may be zero means nothing), so read
# only the measures whose total is clear of zero. The figure draws each share with the
# delta's interval; the table gives the shares of those measures.

# %%
attribution = pd.read_csv(work / "explain" / "attribution.csv")
clear = attribution[attribution.method.eq("total") & attribution.share_of_total.notna()]
print("totals clear of zero:", list(clear.measure))
table = attribution[attribution.measure.isin(clear.measure)].pivot_table(
    index=["component", "method"], columns="measure", values="share_of_total"
)
display(Image(str(work / "explain" / "figures" / "attribution_replies_community.png")))
table.style.format("{:.0%}")
