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

The file is over 400 lines because the relaxation rule is lazy (docs/ODD.md 3): its
anchors, the closed-form settling kernel and the viewers' kernel sit beside the
step-by-step kernel they must agree with.
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
from model.trust import decay, decay_table
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
        label="Emotion relaxation rate",
        unit="per step",
        doc="Relaxation rate of emotion to baseline.",
    )
    emotion_pull: float = field(
        0.1,
        Interval(float, 0.0, 1.0),
        group="emotion",
        label="Pull of content on emotion",
        unit="",
        doc="Pull of consumed content on emotion.",
    )


@dataclass(slots=True)
class RelaxationState:
    """The relaxation rule's lazy state (:class:`Relaxation`), per user.

    Attributes:
        valence: The anchor: valence at the end of step ``at`` (float32).
        arousal: Arousal at the end of step ``at`` (float32).
        at: The anchor's step (int32): the user's last step with views, or the step at which
            the state was last written from outside (an intervention; see ``shown``).
        shown: Valence and arousal as the rule last wrote them into the state, and the step
            they are for (``shown_at``): a state that differs from them was set from outside,
            and becomes the anchor.
        sums: Scratch of the step's pulls (two float64 sums and an int64 count per user),
            zero between steps.
    """

    valence: np.ndarray
    arousal: np.ndarray
    at: np.ndarray
    shown_valence: np.ndarray
    shown_arousal: np.ndarray
    shown_at: np.ndarray
    sum_valence: np.ndarray
    sum_arousal: np.ndarray
    count: np.ndarray


@EMOTION.register("relaxation")
class Relaxation(EmotionRule):
    """Emotion relaxes to baseline and is pulled by the valence and intensity consumed.

    Lazily (docs/ODD.md 7.10): a step without views moves emotion ``emotion_relax`` of the way
    to the baseline, so k such steps leave x0 + (x - x0) (1 - relax)^k. Only the step's
    viewers are updated step by step; everyone else keeps an anchor (their emotion at the end
    of their last step with views) and is brought up to date by that closed form when read:
    the sessions' users at the start of a step, everyone before the measures
    (``OpinionEcology.settle``). A read never moves the anchor, so when and how often the
    state is read changes nothing; a value written into the state from outside (an
    intervention between steps) is noticed and becomes the anchor.
    """

    Settings = RelaxationSettings
    settings: RelaxationSettings
    state: RelaxationState

    def init(self, world: World) -> None:
        """Every user's anchor is the initial emotion, at the step the model starts from."""
        s, n = world.state, world.n_users
        at = np.full(n, world.steps, np.int32)
        self.state = RelaxationState(
            s.valence.copy(), s.arousal.copy(), at, s.valence.copy(), s.arousal.copy(),
            at.copy(), np.zeros(n), np.zeros(n), np.zeros(n, np.int64),
        )  # fmt: skip

    def update(self, world: World, t: int, v: Views, rng: np.random.Generator) -> None:
        """Step ``t`` of relaxation and pull for the step's viewers (no draws); the others'
        relaxation waits in their anchors."""
        s, c, e, st = world.state, world.content, self.settings, self.state
        keep = 1.0 - float(np.float32(e.emotion_relax))
        lazy_relaxation_kernel(
            v.user, v.item, c.valence, c.intensity, s.valence, s.arousal, s.base_valence,
            s.base_arousal, world.prof["reactivity"], s.gen, e.emotion_relax, e.emotion_pull,
            _lazy(st), t, keep, decay_table(keep), st.sum_valence, st.sum_arousal, st.count,
        )  # fmt: skip

    def settle(self, world: World, t: int, rows: np.ndarray | None = None) -> None:
        """Bring the emotion of ``rows`` (None: every user) to the end of step ``t``: x0 + (x_a
        - x0) (1 - relax)^(t - a) from each user's anchor x_a at step a."""
        s, st = world.state, self.state
        keep = 1.0 - float(np.float32(self.settings.emotion_relax))
        settle_kernel(
            np.zeros(0, np.int64) if rows is None else np.asarray(rows, dtype=np.int64),
            rows is None, t, s.valence, s.arousal, s.base_valence, s.base_arousal, _lazy(st),
            keep, decay_table(keep),
        )  # fmt: skip

    def commit(self, world: World, t: int, rows: np.ndarray) -> None:
        """``rows``' emotion now is their emotion at the end of step ``t`` (after the step's
        replies and the clipping): their new anchor."""
        s = world.state
        commit_kernel(np.asarray(rows, dtype=np.int64), t, s.valence, s.arousal, _lazy(self.state))


def _lazy(st: RelaxationState) -> tuple:
    """The anchors and what was last shown, as the kernels take them."""
    return (st.valence, st.arousal, st.at, st.shown_valence, st.shown_arousal, st.shown_at)


@jit.njit
def settle_kernel(
    rows: np.ndarray,
    every: bool,
    t: int,
    valence: np.ndarray,
    arousal: np.ndarray,
    base_valence: np.ndarray,
    base_arousal: np.ndarray,
    lazy: tuple,
    keep: float,
    table: np.ndarray,
) -> None:
    """The emotion of ``rows`` (of every user when ``every``) at the end of step t, from the
    anchors (see :class:`RelaxationState`): a state that differs from what was last shown was
    written from outside and becomes the anchor first; then the anchor itself at its own
    step, the closed form x0 + (x_a - x0) (1 - relax)^k k steps later (the factor from the
    table: model.trust.decay's bits), nothing for a user anchored after step t (this step's
    viewers). Written out in the loop, as in :func:`lazy_relaxation_kernel`: a helper
    taking the arrays costs more per call than the arithmetic."""
    av, aa, at, sv, sa, s_at = lazy
    lk = jit.log(keep) if keep > 0.0 else -np.inf
    n_table = table.shape[0]
    m = valence.shape[0] if every else rows.shape[0]
    for j in range(m):
        i = j if every else rows[j]
        if valence[i] != sv[i] or arousal[i] != sa[i]:
            av[i], aa[i], at[i] = valence[i], arousal[i], s_at[i]
        k = t - at[i]
        if k < 0:
            continue
        if k == 0:
            valence[i], arousal[i] = av[i], aa[i]
        else:
            f = table[k] if k < n_table else decay(table, keep, lk, k)
            b = np.float64(base_valence[i])
            valence[i] = np.float32(b + (np.float64(av[i]) - b) * f)
            b = np.float64(base_arousal[i])
            arousal[i] = np.float32(b + (np.float64(aa[i]) - b) * f)
        sv[i], sa[i], s_at[i] = valence[i], arousal[i], t


@jit.njit
def commit_kernel(
    rows: np.ndarray, t: int, valence: np.ndarray, arousal: np.ndarray, lazy: tuple
) -> None:
    """The anchors of ``rows`` become their emotion now, at step t."""
    av, aa, at, sv, sa, s_at = lazy
    for j in range(rows.shape[0]):
        i = rows[j]
        av[i], aa[i], at[i] = valence[i], arousal[i], t
        sv[i], sa[i], s_at[i] = valence[i], arousal[i], t


@jit.njit
def lazy_relaxation_kernel(
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
    lazy: tuple,
    t: int,
    keep: float,
    table: np.ndarray,
    sv: np.ndarray,
    sa: np.ndarray,
    nv: np.ndarray,
) -> None:
    """:func:`relaxation_kernel`'s step for the viewers of step t only, each first brought to
    the end of step t - 1 (as :func:`settle_kernel` does). ``sv``, ``sa``, ``nv``: per-user scratch,
    zero on entry and on return."""
    av, aa, at, shown_v, shown_a, s_at = lazy
    lk = jit.log(keep) if keep > 0.0 else -np.inf
    n_table = table.shape[0]
    for j in range(u.shape[0]):
        i = u[j]
        if nv[i] == 0:
            # to the end of step t - 1, as settle_kernel does
            if valence[i] != shown_v[i] or arousal[i] != shown_a[i]:
                av[i], aa[i], at[i] = valence[i], arousal[i], s_at[i]
            k = t - 1 - at[i]
            if k == 0:
                valence[i], arousal[i] = av[i], aa[i]
            elif k > 0:
                f = table[k] if k < n_table else decay(table, keep, lk, k)
                b = np.float64(base_valence[i])
                valence[i] = np.float32(b + (np.float64(av[i]) - b) * f)
                b = np.float64(base_arousal[i])
                arousal[i] = np.float32(b + (np.float64(aa[i]) - b) * f)
            if k >= 0:
                shown_v[i], shown_a[i], s_at[i] = valence[i], arousal[i], t - 1
        nv[i] += 1
        sv[i] += np.float64(item_valence[it[j]] - valence[i])
        sa[i] += np.float64(item_intensity[it[j]] - arousal[i])
    r32 = np.float32(relax)
    for j in range(u.shape[0]):
        i = u[j]
        if nv[i] == 0:
            continue
        react = reactivity[gen[i]]
        m = nv[i]
        dv = np.float32(r32 * (base_valence[i] - valence[i]) + pull * react * (sv[i] / m))
        da = np.float32(r32 * (base_arousal[i] - arousal[i]) + pull * react * (sa[i] / m))
        valence[i] = valence[i] + dv
        arousal[i] = arousal[i] + da
        sv[i] = 0.0
        sa[i] = 0.0
        nv[i] = 0


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
        label="Valence relaxation γ_v",
        unit="per step",
        doc="Relaxation rate gamma_v of valence per step (collective emotions).",
    )
    gamma_a: float = field(
        0.1,
        Interval(float, 0.0, 10.0),
        group="emotion",
        symbol="γ_a",
        label="Arousal relaxation γ_a",
        unit="per step",
        doc="Relaxation rate gamma_a of arousal toward its drive level (collective emotions).",
    )
    drive: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="emotion",
        symbol="a_d",
        label="Arousal drive level a_d",
        unit="scale 0-1",
        doc="Level a_d arousal relaxes to (0 in Schweitzer & Garcia 2010, where noise alone drives "
        "it over the threshold; a_d above the threshold makes expression periodic).",
    )
    noise_v: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="emotion",
        symbol="A_v",
        label="Valence noise A_v",
        unit="per step",
        doc="Standard deviation A_v of the valence noise per step (collective emotions).",
    )
    noise_a: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="emotion",
        symbol="A_a",
        label="Arousal noise A_a",
        unit="per step",
        doc="Standard deviation A_a of the arousal noise per step (collective emotions).",
    )
    threshold: float = field(
        0.5,
        Interval(float, 0.0, 1.0),
        group="emotion",
        symbol="τ",
        label="Expression threshold τ",
        unit="scale 0-1",
        doc="Arousal threshold tau above which a user expresses its valence's sign and its arousal "
        "resets to 0 (collective emotions).",
    )
    gamma_h: float = field(
        0.5,
        Interval(float, 0.0, 10.0),
        group="emotion",
        symbol="γ_h",
        label="Field decay γ_h",
        unit="per step",
        doc="Decay rate gamma_h of the emotional field components h+ and h- per step.",
    )
    field_gain: float = field(
        1.0,
        Interval(float, 0.0, 100.0),
        group="emotion",
        symbol="s",
        label="Field per expression s",
        unit="",
        doc="Field s added to h+ (h-) per positive (negative) expression, per user.",
    )
    coupling_v: float = field(
        0.0,
        Interval(float, 0.0, 100.0),
        group="emotion",
        symbol="b",
        label="Valence-field coupling b",
        unit="",
        doc="Coupling b of valence to the field of its own sign: dv = (b h_sign(v) - gamma_v) v.",
    )
    coupling_a: float = field(
        0.0,
        Interval(float, 0.0, 100.0),
        group="emotion",
        symbol="d",
        label="Arousal-field coupling d",
        unit="",
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
