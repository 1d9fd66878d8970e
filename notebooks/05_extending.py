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
# # 5. Extending the model: a new rule, its parameters and its tests, in one file
#
# The model's alternative mechanisms are **rules**: small classes registered under a name in
# one registry per `Params` choice (`forwarding`, `opinion`, `following`, `emotion`,
# `user_follow`, ...; `model/rules/registry.py`, docs/ODD.md 7.15-7.17 and 7.19). A rule owns
# its parameters: it declares them in its own `Settings` record, with default, range,
# symbol and doc, and `Params` addresses them as `<registry>.<parameter>` (for example
# `user_follow.like_follow_prob`), validates them, lists them in `Params.spec()` and warns
# when one is set while another rule is chosen.
#
# This notebook adds a forwarding rule, tests it (its own hand-computed cases, then the
# contract every registered rule keeps, `tests/rules/test_contract.py`) and compares it with
# the default rule. To make it part of the model, move the two classes into
# `model/rules/forwarding.py` and the test into `tests/rules/`: the contract test then runs
# it in CI with every other rule.

# %%
import warnings
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from model import OpinionEcology, Params, measures, portable
from model.params import UnusedParameterWarning
from model.rules.base import RuleSettings
from model.rules.contract import check_rule
from model.rules.registry import FORWARDING
from model.schema import Interval, field
from model.world import ForwardingParams, ForwardingRule

# %% [markdown]
# ## The rule
#
# A forwarding rule decides one thing: the probability that a view is forwarded, before the
# platform's share friction (docs/ODD.md 7.9). It is handed each view's resonance `res` and
# emotional resonance `emo`, both in [0, 1]. The default, `resonance`, is linear in both:
# p = min(1, 2 base_forward res (0.5 + emo)). The new rule, `emotion_gated`, asks what
# happens if only emotionally arousing items travel: a logistic gate on `emo`,
#
#     p = max_forward * res * expit(steepness * (emo - emotion_threshold)).
#
# Its three parameters are declared once, with the same `field` vocabulary as every
# `Params` field: default, range, symbol, doc, and the label and unit the viewer shows
# ("Gate steepness k"; a unit from `model.schema.UNITS`, `""` for a pure number). A
# parameter declared without a label or a unit is refused when the class is defined, with
# its name. Elementary functions come from `model.portable`, which gives the same bits on
# every CPU (docs/ODD.md, "Reproducibility"); the rule draws no random numbers.
#
# Registering the rule gives its parameters their `forwarding.<parameter>` addresses at
# once, even after `Params` has been used; `REGISTRIES["forwarding"].unregister(name)` takes
# it out again (to change its declarations, unregister it and register the new class).


# %%
@dataclass(frozen=True)
class EmotionGatedSettings(RuleSettings):
    """The emotion-gated forwarding rule's parameters."""

    max_forward: float = field(
        0.12,
        Interval(float, 0.0, 1.0),
        group="reactions",
        symbol="p_max",
        label="Peak forward probability",
        unit="per view",
        doc="Forward probability of a fully resonant, fully arousing view, before friction.",
    )
    emotion_threshold: float = field(
        0.5,
        Interval(float, 0.0, 1.0),
        group="reactions",
        symbol="e_0",
        label="Emotion threshold e_0",
        unit="scale 0-1",
        doc="Emotional resonance at which the gate is half open.",
    )
    steepness: float = field(
        10.0,
        Interval(float, 0.0, 100.0),
        group="reactions",
        symbol="k",
        label="Gate steepness k",
        unit="",
        doc="Steepness of the gate: 0 lets everything through at half p_max, large is a step.",
    )


@FORWARDING.register("emotion_gated")
class EmotionGated(ForwardingRule):
    """p = max_forward res expit(steepness (emo - emotion_threshold))."""

    Settings = EmotionGatedSettings
    settings: EmotionGatedSettings

    def probability(
        self, params: ForwardingParams, res: np.ndarray, emotion: np.ndarray
    ) -> np.ndarray:
        """Forward probability per view, in [0, 1] (no draws)."""
        s = self.settings
        gate = portable.expit(s.steepness * (np.asarray(emotion) - s.emotion_threshold))
        return s.max_forward * np.asarray(res) * gate


print(FORWARDING.names())

# %% [markdown]
# ## `Params` knows it
#
# The rule is chosen by name, and its parameters are addressed by `forwarding.<name>`; a
# wrong value is refused with the address and the allowed range, and a parameter of a rule
# that is not chosen warns that it has no effect.

# %%
p = Params(forwarding="emotion_gated", **{"forwarding.emotion_threshold": 0.6})
print(p.forwarding, p.forwarding.settings)
print(Params.spec()["forwarding.steepness"]["doc"])
try:
    Params(forwarding="emotion_gated", **{"forwarding.max_forward": 1.5})
except ValueError as err:
    print("refused:", err)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always", UnusedParameterWarning)
    Params(**{"forwarding.steepness": 3.0})  # forwarding is still "resonance"
print("warned:", caught[0].message)

# %% [markdown]
# ## Its tests
#
# First the rule's own cases, computed by hand: at the threshold the gate is half open, so
# p = max_forward res / 2; no resonance, no forward; with steepness 0 the gate is 1/2
# everywhere; p rises with emotion and stays in [0, 1].


# %%
def test_emotion_gated_probability() -> None:
    """Hand-computed values, monotonicity and bounds."""
    rule = FORWARDING.get("emotion_gated", EmotionGatedSettings(max_forward=0.2))
    p = rule.probability(Params(), np.array([1.0, 0.5, 0.0]), np.array([0.5, 0.5, 0.9]))
    np.testing.assert_allclose(p, [0.1, 0.05, 0.0], rtol=1e-12)
    flat = FORWARDING.get("emotion_gated", EmotionGatedSettings(steepness=0.0))
    np.testing.assert_allclose(flat.probability(Params(), np.ones(3), np.array([0, 0.5, 1])), 0.06)
    emo = np.linspace(0, 1, 101)
    q = FORWARDING.get("emotion_gated").probability(Params(), np.ones(101), emo)
    assert (np.diff(q) > 0).all() and q.min() >= 0 and q.max() <= 1


test_emotion_gated_probability()
print("own cases pass")

# %% [markdown]
# Then the contract that `tests/rules/test_contract.py` checks for every registered rule of
# every registry: the output has the shape and bounds its phase expects (a probability per
# view, finite, in [0, 1]), the same seed gives the same output, and the rule draws from no
# random stream but the one it is handed. `model.rules.contract.check_rule` is that check,
# importable: the notebook runs it on the new rule, so the rule passes exactly what CI would
# ask of it, and a broken promise raises `AssertionError` naming the rule and the promise.

# %%
check_rule(EmotionGated)
print("contract passes for forwarding rule 'emotion_gated'")

# %% [markdown]
# ## Using it
#
# The same platform (same seeds) with the default rule and with the gate at three
# thresholds: how much of the outlet's reach comes through forwards (`secondary_share`) and
# how many forwards there are. 1,000 users for three days, three seeds each: a sketch, not a
# result (notebook 2 shows how to turn it into an experiment with paired replicates).

# %%
N_USERS, HOURS, SEEDS = 1000, 72, (1, 2, 3)
variants = {"resonance (default)": {"forwarding": "resonance"}} | {
    f"emotion_gated, e_0={e0}": {
        "forwarding": "emotion_gated",
        "forwarding.emotion_threshold": e0,
    }
    for e0 in (0.3, 0.5, 0.7)
}
rows = []
for label, choice in variants.items():
    for seed in SEEDS:
        m = OpinionEcology(Params(n_users=N_USERS, steps=HOURS, **choice), seed=seed).run()
        rows.append(
            {
                "rule": label,
                "seed": seed,
                "secondary_share": measures.secondary_share(m),
                "forwards": measures.forwards(m),
                "reach": measures.reach(m),
            }
        )
results = pd.DataFrame(rows)
results.groupby("rule", sort=False)[["secondary_share", "forwards", "reach"]].mean().round(4)

# %% [markdown]
# The rule's curve (left: p at full resonance for each threshold, with the default rule's
# at the default base_forward) and what it does to secondary dissemination (right: each
# seed a dot, the mean a bar).

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
emo = np.linspace(0, 1, 201)
default = FORWARDING.get("resonance")
ax1.plot(emo, default.probability(Params(), np.ones_like(emo), emo), "k--", label="resonance")
for e0 in (0.3, 0.5, 0.7):
    rule = FORWARDING.get("emotion_gated", EmotionGatedSettings(emotion_threshold=e0))
    ax1.plot(emo, rule.probability(Params(), np.ones_like(emo), emo), label=f"gated, e_0={e0}")
ax1.set_xlabel("emotional resonance emo")
ax1.set_ylabel("forward probability at res = 1")
ax1.legend(fontsize=8)
labels = list(variants)
means = results.groupby("rule", sort=False)["secondary_share"].mean()
ax2.bar(range(len(labels)), means[labels], color="0.8")
for i, label in enumerate(labels):
    y = results.loc[results.rule == label, "secondary_share"]
    ax2.plot(np.full(len(y), i), y, "ko", ms=4)
ax2.set_xticks(range(len(labels)), [s.replace(", ", "\n") for s in labels], fontsize=8)
ax2.set_ylabel("share of focal views through a forward")
plt.show()
