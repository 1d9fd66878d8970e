"""Model parameters: one frozen dataclass, the only place a parameter is declared.

Every field carries its default, its allowed range or values, a group (for the viewer's
controls) and a doc string naming the symbol of the paper it comes from. The same metadata
validates TOML sweeps, builds the viewer's sliders and prints ``--help``.

Values marked *assumption* in the docs are defaults to be swept, not facts (DESIGN.md).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass, field
from typing import Any

from model.strategies import STRATEGY_PRESETS, Strategy

GROUPS = ("population", "network", "content", "strategy", "behaviour", "run")


def _p(
    default: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    choices: tuple | None = None,
    doc: str,
    group: str,
    kind: type | None = None,
) -> Any:
    """A dataclass field with validation metadata."""
    meta = {
        "lo": lo,
        "hi": hi,
        "choices": choices,
        "doc": doc,
        "group": group,
        "kind": kind or type(default),
    }
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Params:
    """All parameters of :class:`model.OpinionEcology`.

    Construct with keywords; a wrong value raises ``ValueError`` naming the field, the value and
    what is allowed; an unknown name raises ``TypeError`` suggesting the closest valid name.
    """

    # --- population -------------------------------------------------------------------------
    n_users: int = _p(2000, lo=2, hi=5_000_000, group="population", doc="Number of users N.")
    mix_post00: float = _p(
        0.20,
        lo=0.0,
        hi=1.0,
        group="population",
        doc="Population weight of the post-00 cohort (normalised with the other three; assumption).",
    )
    mix_post90: float = _p(
        0.25, lo=0.0, hi=1.0, group="population", doc="Weight of post-90s (assumption)."
    )
    mix_post80: float = _p(
        0.25, lo=0.0, hi=1.0, group="population", doc="Weight of post-80s (assumption)."
    )
    mix_pre80: float = _p(
        0.30, lo=0.0, hi=1.0, group="population", doc="Weight of pre-80s (assumption)."
    )
    initial_opinion: str = _p(
        "normal",
        choices=("normal", "uniform"),
        group="population",
        doc="Initial opinion distribution: N(0, 0.4) clipped, or U(-1, 1) (Deffuant et al. 2000).",
    )
    epsilon: float = _p(
        0.4,
        lo=0.001,
        hi=2.0,
        group="behaviour",
        doc="Confidence bound epsilon of bounded-confidence updating (Deffuant et al. 2000; opinions live in [-1, 1]).",
    )
    epsilon_sd: float = _p(
        0.05, lo=0.0, hi=1.0, group="behaviour", doc="Between-user spread of epsilon (assumption)."
    )
    trust_shift: float = _p(
        0.0,
        lo=-0.5,
        hi=0.5,
        group="population",
        doc="Added to every cohort's baseline institutional trust (assumption; swept in when_interactive_wins).",
    )

    # --- network -----------------------------------------------------------------------------
    acq_degree: int = _p(
        10,
        lo=0,
        hi=200,
        group="network",
        doc="Mean degree k of the acquaintance layer (Watts-Strogatz ring, k/2 ties each side, so an odd "
        "k acts as k-1; 0 switches the layer off).",
    )
    acq_rewire: float = _p(
        0.1,
        lo=0.0,
        hi=1.0,
        group="network",
        doc="Rewiring probability beta of the small world (Watts & Strogatz 1998).",
    )
    acq_homophily: float = _p(
        0.7,
        lo=0.0,
        hi=1.0,
        group="network",
        doc="Share of users placed among their own generation on the ring (generation homophily; assumption).",
    )
    follow_model: str = _p(
        "powerlaw",
        choices=("powerlaw", "erdos_renyi", "none"),
        group="network",
        doc="Follow layer: heavy-tailed in-degree (Chung-Lu fitness), Erdos-Renyi, or none.",
    )
    follow_degree: float = _p(
        15.0,
        lo=0.0,
        hi=500.0,
        group="network",
        doc="Mean follows drawn per user (out-degree c); repeated follows of hubs collapse, so small "
        "populations realise fewer.",
    )
    follow_exponent: float = _p(
        2.3,
        lo=1.5,
        hi=5.0,
        group="network",
        doc="Power-law exponent gamma of the follow in-degree.",
    )
    organic_reach: float = _p(
        0.5,
        lo=0.0,
        hi=1.0,
        group="network",
        doc="Probability that a forward or post is shown to each member of the sharer's audience (per tie).",
    )

    # --- content -----------------------------------------------------------------------------
    n_background: int = _p(
        3, lo=0, hi=20, group="content", doc="Number of background outlets competing for attention."
    )
    outlet_rate: float = _p(
        1.0,
        lo=0.0,
        hi=50.0,
        group="content",
        doc="Items the focal outlet publishes per step (Poisson mean).",
    )
    background_rate: float = _p(
        2.0,
        lo=0.0,
        hi=50.0,
        group="content",
        doc="Items each background outlet publishes per step.",
    )
    focal_follow_share: float = _p(
        0.3,
        lo=0.0,
        hi=1.0,
        group="content",
        doc="Share of users who follow the focal outlet at the start (scaled by each cohort's direct-channel use).",
    )
    focal_followers: int = _p(
        -1,
        lo=-1,
        hi=5_000_000,
        group="content",
        doc="Exactly this many random initial followers of the focal outlet (-1: use focal_follow_share).",
    )
    initial_items: int = _p(
        0,
        lo=0,
        hi=10_000,
        group="content",
        doc="Extra focal items published at the first step (a seed item for cascade experiments).",
    )
    background_follow_share: float = _p(
        0.5,
        lo=0.0,
        hi=1.0,
        group="content",
        doc="Probability a user follows each background outlet.",
    )
    user_post_prob: float = _p(
        0.02,
        lo=0.0,
        hi=1.0,
        group="content",
        doc="Probability mu that a session is spent posting an original item (Weng et al. 2012).",
    )
    stance_mean: float = _p(
        0.2, lo=-1.0, hi=1.0, group="content", doc="Mean stance of the focal outlet's items."
    )
    stance_sd: float = _p(
        0.3, lo=0.0, hi=2.0, group="content", doc="Spread of the focal outlet's stances."
    )
    intensity: float = _p(
        0.5,
        lo=0.0,
        hi=1.0,
        group="content",
        doc="Mean emotional intensity of the focal outlet's items.",
    )
    quality: float = _p(
        0.7, lo=0.0, hi=1.0, group="content", doc="Mean quality of the focal outlet's items."
    )
    fmt_text: float = _p(0.3, lo=0.0, hi=1.0, group="content", doc="Focal outlet's weight on text.")
    fmt_image: float = _p(
        0.3, lo=0.0, hi=1.0, group="content", doc="Focal outlet's weight on images."
    )
    fmt_short_video: float = _p(
        0.3, lo=0.0, hi=1.0, group="content", doc="Focal outlet's weight on short video."
    )
    fmt_long_video: float = _p(
        0.1, lo=0.0, hi=1.0, group="content", doc="Focal outlet's weight on long video."
    )

    # --- strategy ----------------------------------------------------------------------------
    strategy: Any = _p(
        "one_way",
        choices=tuple(STRATEGY_PRESETS),
        group="strategy",
        kind=object,
        doc="The focal outlet's strategy: a preset name or a model.Strategy (DESIGN section 4).",
    )

    # --- behaviour ---------------------------------------------------------------------------
    screen_size: int = _p(
        10, lo=1, hi=1000, group="behaviour", doc="Capacity of each FIFO screen (Weng et al. 2012)."
    )
    attention_scale: float = _p(
        1.0,
        lo=0.05,
        hi=20.0,
        group="behaviour",
        doc="Multiplier on every cohort's items viewed per session.",
    )
    unlimited_attention: bool = _p(
        False,
        group="behaviour",
        doc="A session views every unseen item on screen (independent cascade).",
    )
    activity_scale: float = _p(
        1.0,
        lo=0.0,
        hi=20.0,
        group="behaviour",
        doc="Multiplier on every cohort's session probability per step.",
    )
    stickiness: float = _p(
        1.0,
        lo=0.0,
        hi=10.0,
        group="behaviour",
        doc="How much belonging to the focal community raises session probability (stickiness).",
    )
    base_like: float = _p(
        0.15, lo=0.0, hi=1.0, group="behaviour", doc="Like probability at resonance 0.5."
    )
    base_comment: float = _p(
        0.05, lo=0.0, hi=1.0, group="behaviour", doc="Comment probability at resonance 0.5."
    )
    base_forward: float = _p(
        0.06,
        lo=0.0,
        hi=1.0,
        group="behaviour",
        doc="Forward probability at resonance 0.5 and emotional resonance 0.5, before friction.",
    )
    forward_model: str = _p(
        "resonance",
        choices=("resonance", "fixed"),
        group="behaviour",
        doc="Forward probability driven by resonance, or a fixed p (independent cascade, Kempe et al. 2003); "
        "either is multiplied by (1 - forward friction) of the item's outlet.",
    )
    forward_p: float = _p(
        0.1,
        lo=0.0,
        hi=1.0,
        group="behaviour",
        doc="Forward probability p when forward_model is 'fixed'.",
    )
    w_trust: float = _p(
        1.0, lo=0.0, hi=10.0, group="behaviour", doc="Weight of source trust in resonance."
    )
    w_emotion: float = _p(
        1.0, lo=0.0, hi=10.0, group="behaviour", doc="Weight of emotional match in resonance."
    )
    w_value: float = _p(
        1.0, lo=0.0, hi=10.0, group="behaviour", doc="Weight of value (opinion) match in resonance."
    )
    w_proof: float = _p(
        0.5, lo=0.0, hi=10.0, group="behaviour", doc="Weight of visible comments (social proof)."
    )
    recency_tau: float = _p(
        24.0,
        lo=0.1,
        hi=1e6,
        group="behaviour",
        doc="Time scale (steps) of the recency preference on screen.",
    )
    choice_weights: bool = _p(
        True,
        group="behaviour",
        doc="Choose what to view by format, recency, trust and social proof; off = uniformly at random.",
    )
    trending_prob: float = _p(
        1.0,
        lo=0.0,
        hi=1.0,
        group="behaviour",
        doc="Probability the platform tops up a short social feed with trending items (0 = never).",
    )
    mu_content: float = _p(
        0.05,
        lo=0.0,
        hi=0.5,
        group="behaviour",
        doc="Convergence rate of opinion toward viewed content.",
    )
    peer_prob: float = _p(
        0.1,
        lo=0.0,
        hi=1.0,
        group="behaviour",
        doc="Share of users who seek a peer each round; on the network, proposals that collide in the "
        "random matching are dropped, so fewer exchange.",
    )
    peer_rounds: int = _p(
        1, lo=0, hi=100, group="behaviour", doc="Peer-exchange rounds (random matchings) per step."
    )
    peer_mu: float = _p(
        0.3, lo=0.0, hi=0.5, group="behaviour", doc="Deffuant convergence parameter mu."
    )
    peer_mixing: str = _p(
        "network",
        choices=("network", "complete"),
        group="behaviour",
        doc="Peer partners: acquaintance neighbours, or anyone (complete mixing).",
    )
    trust_rate: float = _p(
        0.02,
        lo=0.0,
        hi=1.0,
        group="behaviour",
        doc="Rate eta at which trust moves toward interaction outcomes.",
    )
    emotion_relax: float = _p(
        0.1, lo=0.0, hi=1.0, group="behaviour", doc="Relaxation rate of emotion to baseline."
    )
    emotion_pull: float = _p(
        0.1, lo=0.0, hi=1.0, group="behaviour", doc="Pull of consumed content on emotion."
    )
    belonging_decay: float = _p(
        0.01, lo=0.0, hi=1.0, group="behaviour", doc="Per-step decay of belonging."
    )
    belonging_gain: float = _p(
        0.02,
        lo=0.0,
        hi=1.0,
        group="behaviour",
        doc="Belonging gained per resonant view of an outlet's item.",
    )
    reply_gain: float = _p(
        0.15,
        lo=0.0,
        hi=1.0,
        group="behaviour",
        doc="Trust and belonging gained by a user the outlet replies to.",
    )
    community_gain: float = _p(
        0.02,
        lo=0.0,
        hi=1.0,
        group="behaviour",
        doc="Belonging gained per step by active community members.",
    )
    community_fanout: int = _p(
        5, lo=0, hi=100, group="behaviour", doc="Community members who see each member's comment."
    )
    follow_up_threshold: int = _p(
        20,
        lo=1,
        hi=100_000,
        group="behaviour",
        doc="Comments on an item that trigger a follow-up item.",
    )
    follow_prob: float = _p(
        0.03,
        lo=0.0,
        hi=1.0,
        group="behaviour",
        doc="Probability an engaged non-follower starts following.",
    )
    churn_prob: float = _p(
        0.05,
        lo=0.0,
        hi=1.0,
        group="behaviour",
        doc="Maximum per-step unfollow hazard, reached at zero belonging and zero trust.",
    )
    churn_belonging: float = _p(
        0.15,
        lo=0.0,
        hi=1.0,
        group="behaviour",
        doc="Belonging above which a follower never churns.",
    )
    churn_trust: float = _p(
        0.6, lo=0.0, hi=1.0, group="behaviour", doc="Trust above which a follower never churns."
    )

    # --- run ---------------------------------------------------------------------------------
    steps: int = _p(
        168, lo=1, hi=1_000_000, group="run", doc="Horizon in steps (one step is one hour)."
    )
    stop_when: str = _p(
        "horizon",
        choices=("horizon", "converged", "extinct"),
        group="run",
        doc="Also stop early when opinions have converged, or when no item can spread any more.",
    )
    record_cascades: str = _p(
        "focal",
        choices=("focal", "all", "none"),
        group="run",
        doc="Which items' views are logged as cascade trees: the focal outlet's, all, or none "
        "(forwards are always logged).",
    )

    def __new__(cls, *args: Any, **kwargs: Any) -> Params:
        unknown = [k for k in kwargs if k not in _FIELD_NAMES]
        if unknown:
            raise TypeError(unknown_name_message(unknown[0], _FIELD_NAMES, "Params"))
        return super().__new__(cls)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "strategy":
                object.__setattr__(self, "strategy", _coerce_strategy(value))
                continue
            object.__setattr__(self, f.name, check_value(f.name, value, f.metadata))
        if self.focal_followers > self.n_users:
            raise ValueError(
                f"focal_followers={self.focal_followers} exceeds n_users={self.n_users}"
            )
        if self.mix_post00 + self.mix_post90 + self.mix_post80 + self.mix_pre80 <= 0:
            raise ValueError(
                "mix_post00 + mix_post90 + mix_post80 + mix_pre80 must be > 0 (got all 0)"
            )
        if self.fmt_text + self.fmt_image + self.fmt_short_video + self.fmt_long_video <= 0:
            raise ValueError("the focal outlet's format weights fmt_* must not all be 0")

    def replace(self, **changes: Any) -> Params:
        """A copy with some fields changed (validated like a new instance)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain values, with the strategy as its preset name or a dict of switches."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["strategy"] = self.strategy.label()
        return d

    @property
    def generation_mix(self) -> tuple[float, float, float, float]:
        """Normalised cohort shares (post00, post90, post80, pre80)."""
        w = (self.mix_post00, self.mix_post90, self.mix_post80, self.mix_pre80)
        s = sum(w)
        return tuple(x / s for x in w)  # type: ignore[return-value]

    @property
    def format_mix(self) -> tuple[float, float, float, float]:
        """Normalised focal format weights (text, image, short_video, long_video)."""
        w = (self.fmt_text, self.fmt_image, self.fmt_short_video, self.fmt_long_video)
        s = sum(w)
        return tuple(x / s for x in w)  # type: ignore[return-value]

    @classmethod
    def spec(cls) -> dict[str, dict[str, Any]]:
        """Metadata per field: default, lo, hi, choices, doc, group, kind."""
        return {f.name: {"default": f.default, **dict(f.metadata)} for f in dataclasses.fields(cls)}

    @classmethod
    def help(cls) -> str:
        """A plain-text table of every parameter, for ``--help``."""
        lines = []
        for name, m in cls.spec().items():
            allowed = (
                "one of " + ", ".join(map(str, m["choices"]))
                if m["choices"]
                else (f"[{m['lo']}, {m['hi']}]" if m["lo"] is not None else m["kind"].__name__)
            )
            lines.append(f"{name:22s} {m['default']!s:>10s}  {allowed:28s} {m['doc']}")
        return "\n".join(lines)


_FIELD_NAMES = tuple(f.name for f in dataclasses.fields(Params))


def unknown_name_message(name: str, valid: tuple[str, ...] | list[str], what: str) -> str:
    """'unknown parameter X for Y; did you mean Z?' with the closest valid names."""
    close = difflib.get_close_matches(name, valid, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown parameter {name!r} for {what}{hint} (valid names: {', '.join(valid)})"


def check_value(name: str, value: Any, meta: Any) -> Any:
    """Validate one value against its metadata and return it coerced to the field's type."""
    kind = meta["kind"]
    choices = meta["choices"]
    if choices is not None:
        if value not in choices:
            raise ValueError(
                f"{name}={value!r} is not allowed; choose one of {', '.join(map(repr, choices))}"
            )
        return value
    if kind is bool:
        if not isinstance(value, bool):
            raise TypeError(f"{name} must be true or false, got {value!r}")
        return value
    if kind in (int, float):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            and not _is_numpy_number(value)
        ):
            raise TypeError(
                f"{name} must be a number in [{meta['lo']}, {meta['hi']}], got {value!r}"
            )
        value = float(value) if kind is float else value
        if kind is float and not math.isfinite(value):
            raise ValueError(
                f"{name}={value!r} is not a finite number; allowed range [{meta['lo']}, {meta['hi']}]"
            )
        if kind is int:
            if (isinstance(value, float) or _is_numpy_float(value)) and (
                not math.isfinite(value) or value != int(value)
            ):
                raise ValueError(
                    f"{name}={value!r} must be a whole number in [{meta['lo']}, {meta['hi']}]"
                )
            value = int(value)
        lo, hi = meta["lo"], meta["hi"]
        if (lo is not None and value < lo) or (hi is not None and value > hi):
            raise ValueError(f"{name}={value!r} is out of range; allowed [{lo}, {hi}]")
        return value
    if kind is str and not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {value!r}")
    return value


def _is_numpy_number(value: Any) -> bool:
    import numpy as np

    return isinstance(value, np.integer | np.floating)


def _is_numpy_float(value: Any) -> bool:
    import numpy as np

    return isinstance(value, np.floating)


def _coerce_strategy(value: Any) -> Strategy:
    if isinstance(value, Strategy):
        return value
    if isinstance(value, str):
        return Strategy.preset(value)
    if isinstance(value, dict):
        return Strategy(**value)
    raise TypeError(
        f"strategy must be a preset name ({', '.join(STRATEGY_PRESETS)}) or a model.Strategy, got {value!r}"
    )
