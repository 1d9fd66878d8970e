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
# # 1. A first model: build, step, read the measures by generation, plot them
#
# One model is one platform: users of four generations (post-00s, post-90s, post-80s,
# pre-80s) on an acquaintance and a follow network, a focal media outlet that carries the
# strategy under study, background outlets, and content that spreads by views and forwards.
# One step is one hour. This notebook builds the same platform twice, once with a one-way
# outlet and once with an interactive one, runs both for two weeks and compares what
# happened to each generation.
#
# Everything here is the public API of `model` (docs/ODD.md describes the model itself).
# The size is small (2,000 users) so the notebook runs in seconds; the measures are shares
# and means, so they are comparable across sizes, though noisier at this one.

# %%
import matplotlib.pyplot as plt
import pandas as pd

from model import STRATEGY_PRESETS, OpinionEcology, Params, Strategy, measures

N_USERS = 2000
HOURS = 14 * 24  # two weeks of hourly steps
SEED = 1

# %% [markdown]
# ## Parameters and strategies
#
# `Params` holds every model parameter with its default, allowed range and documentation;
# a wrong value fails at once with its name and range. A strategy is a `Strategy`: the
# presets are the two archetypes the model compares and a mixed scenario.

# %%
print(list(STRATEGY_PRESETS))
# the horizon: a model stops running (model.running turns False) after `steps` hours
params = Params(n_users=N_USERS, steps=HOURS)
print(Params.spec()["n_users"]["doc"])
try:
    Params(n_users=-5)
except ValueError as err:
    print("refused:", err)

# %% [markdown]
# A strategy is a set of switches and shares of one staff budget. `replace` makes a custom
# one from a preset, for example an interactive outlet that spends more on replies and none
# on moderation (it is not used below; notebook 2 runs custom arms in an experiment).

# %%
interactive = Strategy.preset("interactive")
custom = interactive.replace(name="more_replies", reply_share=0.3, moderation_share=0.0)
pd.DataFrame({s.name: s.switches() for s in (Strategy.preset("one_way"), interactive, custom)})

# %% [markdown]
# ## Build and step
#
# The same seed builds the same population and networks whatever the strategy, so the two
# models below differ only in what the focal outlet does (common random numbers). `step()`
# advances one hour; `run(n)` advances `n` hours but stops at the horizon, `run()` runs to it.

# %%
models = {
    name: OpinionEcology(params, seed=SEED, strategy=name) for name in ("one_way", "interactive")
}
one_way = models["one_way"]
one_way.step()
print("after one step:", one_way.steps, "hours; reach", round(measures.reach(one_way), 4))
for m in models.values():
    m.run()
print({name: int(m.steps) for name, m in models.items()})

# %% [markdown]
# ## Read the measures
#
# Each measure is a function of the model (`model.measures`) that takes `by=None` for one
# number or `by="generation"` for one value per generation. The catalogue says what each
# measure is and in which unit.

# %%
for name in ("reach", "retention", "trust"):
    print(f"{name}: {measures.measure(name).doc} ({measures.measure(name).unit})")
pd.DataFrame(
    {
        (name, arm): getattr(measures, fn)(m, by="generation")
        for name, fn in (("reach", "reach"), ("retention", "retention"), ("trust", "mean_trust"))
        for arm, m in models.items()
    }
).round(3)

# %% [markdown]
# The model's DataCollector holds every step's measures, overall (`reach`) and per
# generation (`reach[post00]`): one row per step, step 0 included.

# %%
frames = {arm: m.datacollector.get_model_vars_dataframe() for arm, m in models.items()}
df = frames["interactive"]
print(df.shape)
df[["reach", *(measures.column("reach", g) for g in measures.COHORTS)]].tail(3)

# %% [markdown]
# ## Trajectories by generation
#
# Reach, retention of the outlet's initial followers and trust in the outlet, per
# generation, one-way (dashed) against interactive (solid). Reach is cumulative: the share
# of users who have seen at least one of the outlet's items so far.

# %%
shown = ("reach", "retention", "trust")
colors = dict(zip(measures.COHORTS, plt.get_cmap("viridis")(range(0, 256, 70)), strict=True))
fig, axes = plt.subplots(1, len(shown), figsize=(13, 4.5), layout="constrained")
for ax, name in zip(axes, shown, strict=True):
    for arm, style in (("one_way", "--"), ("interactive", "-")):
        frame = frames[arm]
        days = frame.index / 24
        for g in measures.COHORTS:
            ax.plot(days, frame[measures.column(name, g)], style, color=colors[g],
                    label=f"{g}, {arm}")  # fmt: skip
    ax.set_title(measures.measure(name).title)
    ax.set_xlabel("day")
    ax.set_ylabel(measures.measure(name).unit)
handles, labels = axes[0].get_legend_handles_labels()
fig.legend(handles, labels, loc="outside lower center", ncol=4, fontsize=8)
plt.show()

# %% [markdown]
# One seed is one possible history: at this size the differences between the two outlets
# are of the order of the noise. Notebook 2 answers the question properly, with replicated,
# paired runs and confidence intervals.
