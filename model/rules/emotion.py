"""Emotion rules: how valence and arousal change each step (docs/ODD.md 7.10).

``relaxation`` is the default: emotion relaxes to each user's baseline and is pulled by what
the user consumed. ``collective`` is the collective-emotions model of Schweitzer & Garcia
(2010, EPJ B 77:533), with the valence feedback truncated to its linear term:

    v <- v exp(-gamma_v + b h_sign(v)) + A_v xi                      (valence, in [-1, 1])
    a <- a_d + (a - a_d) exp(-gamma_a) + d (h+ + h-) + A_a xi        (arousal, in [0, 1])
    a >= tau: the user expresses sign(v) and a <- 0
    h+- <- h+- exp(-gamma_h) + s (expressions of sign +-) / N       (the emotional field)

The deterministic parts are integrated exactly over one step with the field held at its
value at the start of the step: with coupling and noise off, v(t) = v0 exp(-gamma_v t) up to
float32 rounding. Schweitzer & Garcia's arousal relaxes to 0 and noise drives it over the
threshold; a drive level a_d > tau (noise off) makes each user express with the fixed period
K = ceil(ln(a_d / (a_d - tau)) / gamma_a), so the field and the critical coupling have a
closed form (derived here; :func:`critical_coupling`). With a share rho of users of one sign,
the field of that sign settles at h* = s rho / (K (1 - exp(-gamma_h))) (its mean over a
period, whatever the phases), and valence of that sign grows away from 0 when
b h* > gamma_v, i.e. b > b_c / rho with

    b_c = gamma_v K (1 - exp(-gamma_h)) / s.

Below b_c no valence can grow whatever the split of signs (rho <= 1): valence relaxes to 0
and noise keeps it unimodal. Above b_c the majority sign grows once b > b_c / rho_max, and
users who drift across 0 join it, raising rho; above b_c / rho_min both signs grow and the
population splits into two modes at +-1 (for a split 0.6 / 0.4, at b > 2.5 b_c).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from model import portable
from model.rules.registry import Registry

EMOTION: Registry = Registry("emotion_rule")


@EMOTION.register("relaxation")
class Relaxation:
    """Emotion relaxes to baseline and is pulled by the valence and intensity consumed."""

    def update(self, world: Any, t: int, v: Any, rng: np.random.Generator) -> None:
        """One step of relaxation and pull (no draws)."""
        p, s, c = world.params, world.state, world.content
        n = world.n_users
        u, it = v.user, v.item
        react = world.prof["reactivity"][s.gen]
        nv = np.maximum(np.bincount(u, minlength=n), 1) if len(u) else np.ones(n)
        dval = (
            np.bincount(u, weights=c.valence[it] - s.valence[u], minlength=n) / nv
            if len(u)
            else 0.0
        )
        daro = (
            np.bincount(u, weights=c.intensity[it] - s.arousal[u], minlength=n) / nv
            if len(u)
            else 0.0
        )
        s.valence += (
            p.emotion_relax * (s.base_valence - s.valence) + p.emotion_pull * react * dval
        ).astype(np.float32)
        s.arousal += (
            p.emotion_relax * (s.base_arousal - s.arousal) + p.emotion_pull * react * daro
        ).astype(np.float32)


@EMOTION.register("collective")
class Collective:
    """Schweitzer & Garcia (2010): valence and arousal coupled to a decaying emotional field."""

    def __init__(self) -> None:
        #: The field components (h+, h-).
        self.field = np.zeros(2)
        #: Expressions of the last step (positive, negative).
        self.expressed = (0, 0)

    def update(self, world: Any, t: int, v: Any, rng: np.random.Generator) -> None:
        """One step: valence and arousal move, users over the threshold express, h decays."""
        p, s = world.params, world.state
        n = world.n_users
        hp, hm = self.field
        val = s.valence.astype(np.float64)
        aro = s.arousal.astype(np.float64)
        h_own = np.where(val >= 0, hp, hm)
        val = val * portable.exp(-p.emo_gamma_v + p.emo_coupling_v * h_own)
        aro = p.emo_drive + (aro - p.emo_drive) * math.exp(-p.emo_gamma_a)
        aro += p.emo_coupling_a * (hp + hm)
        if p.emo_noise_v > 0:
            val += p.emo_noise_v * rng.standard_normal(n)
        if p.emo_noise_a > 0:
            aro += p.emo_noise_a * rng.standard_normal(n)
        val = np.clip(val, -1.0, 1.0)
        aro = np.clip(aro, 0.0, 1.0)
        express = aro >= p.emo_threshold
        pos = int((express & (val >= 0)).sum())
        neg = int(express.sum()) - pos
        aro[express] = 0.0
        decay = math.exp(-p.emo_gamma_h)
        self.field = self.field * decay + p.emo_field_gain * np.array([pos, neg]) / n
        self.expressed = (pos, neg)
        s.valence[:] = val.astype(np.float32)
        s.arousal[:] = aro.astype(np.float32)


def expression_period(gamma_a: float, drive: float, tau: float) -> int:
    """Steps K between two expressions of a user with noise and coupling d off (a_d > tau)."""
    if drive <= tau:
        raise ValueError(f"the drive a_d={drive} must exceed the threshold tau={tau}")
    return max(1, math.ceil(math.log(drive / (drive - tau)) / gamma_a - 1e-12))


def critical_coupling(params: Any, rho: float = 1.0) -> float:
    """b_c / rho = gamma_v K (1 - exp(-gamma_h)) / (s rho): the coupling above which the
    valence of a sign held by a share rho of users grows (derived in the module docstring;
    rho = 1, the default, is the critical coupling b_c itself)."""
    k = expression_period(params.emo_gamma_a, params.emo_drive, params.emo_threshold)
    return (
        params.emo_gamma_v
        * k
        * (1.0 - math.exp(-params.emo_gamma_h))
        / (params.emo_field_gain * rho)
    )
