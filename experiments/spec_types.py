"""The parts of a validated experiment spec (:class:`Arm`, :class:`Design`, :class:`Analysis`),
its constants, and :class:`SpecError`, the error every check raises; :mod:`experiments.spec`
holds :class:`~experiments.spec.ExperimentSpec` and builds them all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from model import Strategy
from model.measures import catalogue

#: Measures kept at the end of a run only (cascade summaries and run totals), from the catalogue.
CASCADE_MEASURES = catalogue.names(when="final", experiment=True)
#: Every metric a spec may name: step measures (overall and per generation) and cascade summaries.
ALL_METRICS = catalogue.names(experiment=True)
#: Agent-level attributes that ``agent_metrics`` may ask for (recorded at the end of each run).
AGENT_METRICS = (
    "generation",
    "opinion",
    "trust",
    "belonging",
    "valence",
    "arousal",
    "follows",
    "reached",
    "replies",
)
DESIGN_KINDS = ("factorial", "list", "lhs", "sobol", "saltelli", "morris")
#: Default tolerance of the horizon check: relative change over the last ``settle_window`` steps.
DEFAULT_SETTLE_TOLERANCE = 0.02
#: Default window of the horizon check: one simulated day of hourly steps.
DEFAULT_SETTLE_WINDOW = 24
#: Measures given a BCa bootstrap CI by default: skewed, heavy-tailed summaries.
DEFAULT_BOOTSTRAP = (
    "cascade_mean_size",
    "cascade_max_size",
    "cascade_mean_depth",
    "structural_virality",
    "replies",
)
DEFAULT_HEADLINE = ("reach", "secondary_share", "engagement", "trust", "retention", "belonging")
DEFAULT_MODEL = "model:OpinionEcology"


class SpecError(ValueError):
    """A spec that cannot run: names the key, the file and line where known, and what is allowed.

    Attributes:
        key: The dotted key path, e.g. ``factors.trust_shift``.
        file: The spec file, or None for a spec built from a dict.
        line: The 1-based line of the key in the file, or None when it cannot be found.
        allowed: What would be accepted, as text.
    """

    def __init__(
        self,
        message: str,
        *,
        key: str = "",
        file: str | None = None,
        line: int | None = None,
        allowed: str = "",
    ) -> None:
        self.key, self.file, self.line, self.allowed, self.reason = (
            key,
            file,
            line,
            allowed,
            message,
        )
        where = f"{file}:{line}: " if file and line else (f"{file}: " if file else "")
        what = f"{key}: " if key else ""
        said = allowed in message or "allowed" in message or "choose one of" in message
        tail = f" (allowed: {allowed})" if allowed and not said else ""
        super().__init__(f"{where}{what}{message}{tail}")


# ---------------------------------------------------------------------------------- dataclasses
@dataclass(frozen=True)
class Arm:
    """One strategy compared in the experiment.

    Attributes:
        name: The arm's label in tables and plots.
        preset: The strategy preset it starts from.
        switches: Switches changed from the preset.
        sweep: Whether ``strategy.<switch>`` keys of ``fixed`` and the design apply to this arm.
    """

    name: str
    preset: str
    switches: dict[str, Any] = field(default_factory=dict)
    sweep: bool = True

    def strategy(self, overrides: dict[str, Any] | None = None) -> Strategy:
        """The arm's strategy with the arm's own switches and, if it sweeps, ``overrides``."""
        # the arm's name is the spec's, whatever the switches (a preset's name changed by
        # Strategy.replace would otherwise be marked as changed)
        s = Strategy.preset(self.preset).replace(name=self.name, **self.switches)
        if self.sweep and overrides:
            s = s.replace(name=self.name, **overrides)
        return s


@dataclass(frozen=True)
class PosteriorDraws:
    """Parameter sets drawn from a calibration's posterior (:mod:`experiments.posterior`), and
    where they came from: what a run's provenance records and a resume compares.

    Attributes:
        path: The folder as the spec names it.
        resolved: Its absolute path when the spec was loaded.
        sha256: The SHA-256 of its ``posterior.parquet``.
        calibration: The calibration's name (``calibration.json``'s ``spec``).
        generation: The ABC-SMC generation the particles are from.
        epsilon: That generation's acceptance threshold.
        n_particles: The particles in the file.
        finished: Whether the calibration had finished when the file was written.
        parameters: The calibrated parameters (spec keys), in the file's order.
        particles: The ``particle`` id of each draw, in draw order.
        draws: Each draw's parameter values.
        fixed: The calibration's fixed values applied to every run.
        overridden: The calibration's fixed values the spec replaced, as
            key -> [calibration's value, the spec's value or where the spec sets it].
        calibration_steps: The run length the calibration simulated.
    """

    path: str
    resolved: str
    sha256: str
    calibration: str
    generation: int
    epsilon: float
    n_particles: int
    finished: bool
    parameters: tuple[str, ...]
    particles: tuple[int, ...]
    draws: tuple[dict[str, Any], ...]
    fixed: dict[str, Any] = field(default_factory=dict)
    overridden: dict[str, Any] = field(default_factory=dict)
    calibration_steps: int | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PosteriorDraws:
        """Rebuilt from :func:`dataclasses.asdict` (as a stored spec holds it)."""
        d = dict(d)
        for k in ("parameters", "particles"):
            d[k] = tuple(d[k])
        d["draws"] = tuple(dict(x) for x in d["draws"])
        return cls(**d)


@dataclass(frozen=True)
class Design:
    """How design points are generated.

    Attributes:
        kind: ``factorial``, ``list``, ``lhs`` or ``sobol``.
        factors: For ``factorial``: key -> levels (crossed).
        points: For ``list``: the points, each a dict key -> value.
        ranges: For ``lhs``/``sobol``: key -> (low, high).
        n: For ``lhs``/``sobol``: the number of points.
        seed: For ``lhs``/``sobol``: the sampler's seed.
        choices: For sampled kinds: key -> the choices a unit draw picks from (``[uncertainties]``).
        levels: For ``morris``: the number of grid levels.
        levers: Lever settings (``[levers]``), each a dict ``strategy.<switch>`` -> value; every
            setting is crossed with the same scenarios. Empty: one setting, no levers.
        posterior: Parameter sets drawn from a stored calibration posterior
            (``[uncertainties] posterior = "DIR"``), crossed with the other scenarios; None
            without one.
    """

    kind: str = "factorial"
    factors: dict[str, tuple] = field(default_factory=dict)
    points: tuple[dict[str, Any], ...] = ()
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    n: int = 0
    seed: int = 0
    choices: dict[str, tuple] = field(default_factory=dict)
    levels: int = 4
    levers: tuple[dict[str, Any], ...] = ()
    posterior: PosteriorDraws | None = None

    @property
    def lever_keys(self) -> tuple[str, ...]:
        """The lever keys (``strategy.<switch>``) that vary between lever settings."""
        return tuple(dict.fromkeys(k for p in self.levers for k in p))

    @property
    def uncertainty_keys(self) -> tuple[str, ...]:
        """The keys that vary between scenarios (everything but the levers): the posterior's
        parameters first, then the design's own."""
        drawn = self.posterior.parameters if self.posterior is not None else ()
        if self.kind == "factorial":
            return (*drawn, *self.factors)
        if self.kind == "list":
            return (*drawn, *dict.fromkeys(k for p in self.points for k in p))
        return (*drawn, *self.ranges, *self.choices)

    @property
    def keys(self) -> tuple[str, ...]:
        """The factor keys that vary between points: levers, then uncertainties."""
        return (*self.lever_keys, *self.uncertainty_keys)


@dataclass(frozen=True)
class Analysis:
    """How the report compares arms.

    Attributes:
        baseline: The arm every other arm is paired against.
        min_difference: Smallest difference that matters, per measure (base name).
        relative_min_difference: Otherwise, this fraction of the baseline's mean.
        bootstrap: Measures (base names) that also get a BCa bootstrap CI.
        n_resamples: Bootstrap resamples.
        confidence: Confidence level of every interval.
        headline: Measures shown in the report's headline table and figures.
        lower_is_better: Measures where the baseline "wins" with a higher value (scenario
            discovery flips their sign so that a positive difference always favours the arm).
    """

    baseline: str
    min_difference: dict[str, float] = field(default_factory=dict)
    relative_min_difference: float = 0.05
    bootstrap: tuple[str, ...] = DEFAULT_BOOTSTRAP
    n_resamples: int = 2000
    confidence: float = 0.95
    headline: tuple[str, ...] = DEFAULT_HEADLINE
    lower_is_better: tuple[str, ...] = ()


def metric_names(metrics: tuple[str, ...], step_only: bool = False) -> list[str]:
    """Column names of ``metrics``: step measures with their per-generation columns, then cascades."""
    return catalogue.columns(metrics, step_only=step_only)
