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

import dataclasses
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from model import jit, portable
from model.rules.base import RuleSettings
from model.rules.registry import EMOTION
from model.schema import Interval, field
from model.world import EmotionRule, World

if TYPE_CHECKING:
    from model.step.records import Views


@dataclass(frozen=True)
class RelaxationSettings(RuleSettings):
    """The relaxation rule's parameters."""

    emotion_relax: float = field(
        0.1,
        Interval(float, 0.0, 1.0),
        group="emotion",
        doc="Relaxation rate of emotion to baseline.",
    )
    emotion_pull: float = field(
        0.1,
        Interval(float, 0.0, 1.0),
        group="emotion",
        doc="Pull of consumed content on emotion.",
    )


@EMOTION.register("relaxation")
class Relaxation(EmotionRule):
    """Emotion relaxes to baseline and is pulled by the valence and intensity consumed."""

    Settings = RelaxationSettings
    settings: RelaxationSettings

    def update(self, world: World, t: int, v: Views, rng: np.random.Generator) -> None:
        """One step of relaxation and pull (no draws)."""
        s, c, e = world.state, world.content, self.settings
        relaxation_kernel(
            v.user, v.item, c.valence, c.intensity, s.valence, s.arousal, s.base_valence,
            s.base_arousal, world.prof["reactivity"], s.gen, e.emotion_relax, e.emotion_pull,
        )  # fmt: skip


@jit.njit
def relaxation_kernel(
    u: np.ndarray,
    it: np.ndarray,
    item_valence: np.ndarray,
    item_intensity: np.ndarray,
    valence: np.ndarray,
    arousal: np.ndarray,
    base_valence: np.ndarray,
    base_arousal: np.ndarray,
    reactivity: np.ndarray,
    gen: np.ndarray,
    relax: float,
    pull: float,
) -> None:
    """v += relax (v0 - v) + pull react mean(item v - v), the same for arousal and intensity.

    The relaxation term is float32 (numpy's float32 array times a Python float), the pull
    float64, their sum rounded to float32 before it is added; a user's pulls sum in view order.
    """
    n = valence.shape[0]
    nv = np.zeros(n, dtype=np.int64)
    sv = np.zeros(n)
    sa = np.zeros(n)
    for j in range(u.shape[0]):
        i = u[j]
        nv[i] += 1
        sv[i] += np.float64(item_valence[it[j]] - valence[i])
        sa[i] += np.float64(item_intensity[it[j]] - arousal[i])
    r32 = np.float32(relax)
    for i in range(n):
        react = reactivity[gen[i]]
        m = max(nv[i], 1)
        dv = np.float32(r32 * (base_valence[i] - valence[i]) + pull * react * (sv[i] / m))
        da = np.float32(r32 * (base_arousal[i] - arousal[i]) + pull * react * (sa[i] / m))
        valence[i] = valence[i] + dv
        arousal[i] = arousal[i] + da


@dataclass(slots=True)
class CollectiveState:
    """The collective-emotions rule's state.

    Attributes:
        field: The field components (h+, h-).
        expressed: Expressions of the last step (positive, negative).
    """

    field: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(2))
    expressed: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class CollectiveSettings(RuleSettings):
    """Schweitzer & Garcia's (2010) parameters."""

    gamma_v: float = field(
        0.1,
        Interval(float, 0.0, 10.0),
        group="emotion",
        symbol="γ_v",
        doc="Relaxation rate gamma_v of valence per step (collective emotions).",
    )
    gamma_a: float = field(
        0.1,
        Interval(float, 0.0, 10.0),
        group="emotion",
        symbol="γ_a",
        doc="Relaxation rate gamma_a of arousal toward its drive level (collective emotions).",
    )
    drive: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="emotion",
        symbol="a_d",
        doc="Level a_d arousal relaxes to (0 in Schweitzer & Garcia 2010, where noise alone drives "
        "it over the threshold; a_d above the threshold makes expression periodic).",
    )
    noise_v: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="emotion",
        symbol="A_v",
        doc="Standard deviation A_v of the valence noise per step (collective emotions).",
    )
    noise_a: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="emotion",
        symbol="A_a",
        doc="Standard deviation A_a of the arousal noise per step (collective emotions).",
    )
    threshold: float = field(
        0.5,
        Interval(float, 0.0, 1.0),
        group="emotion",
        symbol="τ",
        doc="Arousal threshold tau above which a user expresses its valence's sign and its arousal "
        "resets to 0 (collective emotions).",
    )
    gamma_h: float = field(
        0.5,
        Interval(float, 0.0, 10.0),
        group="emotion",
        symbol="γ_h",
        doc="Decay rate gamma_h of the emotional field components h+ and h- per step.",
    )
    field_gain: float = field(
        1.0,
        Interval(float, 0.0, 100.0),
        group="emotion",
        symbol="s",
        doc="Field s added to h+ (h-) per positive (negative) expression, per user.",
    )
    coupling_v: float = field(
        0.0,
        Interval(float, 0.0, 100.0),
        group="emotion",
        symbol="b",
        doc="Coupling b of valence to the field of its own sign: dv = (b h_sign(v) - gamma_v) v.",
    )
    coupling_a: float = field(
        0.0,
        Interval(float, 0.0, 100.0),
        group="emotion",
        symbol="d",
        doc="Coupling d of arousal to the total field: da = d (h+ + h-) per step.",
    )


@EMOTION.register("collective")
class Collective(EmotionRule):
    """Schweitzer & Garcia (2010): valence and arousal coupled to a decaying emotional field."""

    Settings = CollectiveSettings
    settings: CollectiveSettings

    state: CollectiveState

    def init(self, world: World) -> None:
        """An empty field, no expressions."""
        self.state = CollectiveState()

    def update(self, world: World, t: int, v: Views, rng: np.random.Generator) -> None:
        """One step: valence and arousal move, users over the threshold express, h decays."""
        s, e = world.state, self.settings
        n = world.n_users
        hp, hm = self.state.field
        val = s.valence.astype(np.float64)
        aro = s.arousal.astype(np.float64)
        h_own = np.where(val >= 0, hp, hm)
        val = val * portable.exp(-e.gamma_v + e.coupling_v * h_own)
        aro = e.drive + (aro - e.drive) * math.exp(-e.gamma_a)
        aro += e.coupling_a * (hp + hm)
        if e.noise_v > 0:
            val += e.noise_v * rng.standard_normal(n)
        if e.noise_a > 0:
            aro += e.noise_a * rng.standard_normal(n)
        val = np.clip(val, -1.0, 1.0)
        aro = np.clip(aro, 0.0, 1.0)
        express = aro >= e.threshold
        pos = int((express & (val >= 0)).sum())
        neg = int(express.sum()) - pos
        aro[express] = 0.0
        decay = math.exp(-e.gamma_h)
        st = self.state
        st.field = st.field * decay + e.field_gain * np.array([pos, neg]) / n
        st.expressed = (pos, neg)
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
    rho = 1, the default, is the critical coupling b_c itself).

    Args:
        params: The collective rule's settings, or Params whose emotion rule is ``collective``.
        rho: The share of users holding the sign.
    """
    e = params if isinstance(params, CollectiveSettings) else params.emotion.settings
    if not isinstance(e, CollectiveSettings):
        raise ValueError(
            f"critical_coupling needs emotion='collective', got {str(params.emotion)!r}"
        )
    k = expression_period(e.gamma_a, e.drive, e.threshold)
    return e.gamma_v * k * (1.0 - math.exp(-e.gamma_h)) / (e.field_gain * rho)
