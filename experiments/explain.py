"""``explain``: attribute each arm's difference from the baseline to its strategy switches and
to the model's mechanisms, by paired knock-outs.

For every arm ``A`` other than the baseline ``B`` (``analysis.baseline``), the *switches* are the
:class:`model.Strategy` fields whose value differs between ``A`` and ``B`` (at any design point).
With ``m`` a measure and every difference taken replicate by replicate (common random numbers:
every derived arm runs with the replicate seeds of the spec):

* ``total`` = m(A) - m(B);
* ``add_one(s)`` = m(B with s set to A's value) - m(B): the switch alone;
* ``leave_one_out(s)`` = m(A) - m(A with s set back to B's value): the switch last;
* ``knock_out(k)`` = total - total with mechanism ``k`` off in both arms, for every mechanism the
  spec's ``[explain]`` table names as parameter overrides (``trending = {trending_prob = 0.0}``);
* ``interaction``: total - the sum of the add_one (or leave_one_out) deltas; its interval
  excluding 0 means the switches' effects do not add up.

Each delta has the paired t interval of :func:`experiments.stats.t_intervals` over the
(design point, replicate) pairs; ``share_of_total`` = delta / mean total, left blank where the
total's interval includes 0 (a share of a difference that may be zero has no meaning).

The derived arms (``one_way+community``, ``interactive-community``, ``interactive[no trending]``)
run through :func:`experiments.run.run` as arms of one derived spec whose plan holds their
parameters, so the store, ``--resume``, the executors and ``status`` work as for ``run``.

This file is about 500 lines because the ``[explain]`` table, the derived arms, the
statistics and the command all read one :class:`Explanation`; the files it writes are in
:mod:`experiments.explain_report`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.explain_report import EXPLAIN_FILE, terminal_table, write_attribution
from experiments.spec import ExperimentSpec, SpecError, load_spec, read_text
from experiments.spec_runs import resolved_runs
from experiments.spec_tables import Ctx
from experiments.spec_types import Arm
from experiments.stats import t_intervals

__all__ = [
    "ATTRIBUTION_COLUMNS",
    "EXPLAIN_FILE",
    "Explanation",
    "ExplainSummary",
    "attribution",
    "command",
    "explain",
    "mechanisms_of",
    "plan_explanation",
]

#: The columns of ``attribution.csv``; ``arm`` names the arm explained (against the baseline).
ATTRIBUTION_COLUMNS = (
    "arm",
    "component",
    "measure",
    "method",
    "delta",
    "ci_low",
    "ci_high",
    "share_of_total",
    "n",
)
METHODS = ("add_one", "leave_one_out", "knock_out")
#: Params keys a mechanism may not override: the strategy is what the arms compare, and the
#: run length is the spec's.
NOT_MECHANISM = ("strategy", "steps")


@dataclass
class Explanation:
    """The derived arms of an explanation and what each one stands for.

    Attributes:
        spec: The spec explained.
        derived: The spec that runs: the spec's arms, then the derived arms; its plan holds the
            derived arms' parameters.
        baseline: The baseline arm.
        arms: The arms explained (every arm but the baseline, unless chosen).
        switches: Per arm, the strategy switches that differ from the baseline, in field order.
        mechanisms: Mechanism name -> the parameter overrides that switch it off.
        add_one: (arm, switch) -> the name of the baseline arm with that switch set to the arm's.
        leave_one_out: (arm, switch) -> the name of the arm with that switch set to the baseline's.
        knock_out: (arm or baseline, mechanism) -> the name of that arm with the mechanism off.
    """

    spec: ExperimentSpec
    derived: ExperimentSpec
    baseline: str
    arms: tuple[str, ...]
    switches: dict[str, tuple[str, ...]]
    mechanisms: dict[str, dict[str, Any]]
    add_one: dict[tuple[str, str], str] = field(default_factory=dict)
    leave_one_out: dict[tuple[str, str], str] = field(default_factory=dict)
    knock_out: dict[tuple[str, str], str] = field(default_factory=dict)

    def __repr__(self) -> str:
        # short: the two specs it holds would print every run's parameters
        switches = "; ".join(
            f"{a}: {', '.join(self.switches.get(a, ())) or '-'}" for a in self.arms
        )
        return (
            f"Explanation({self.comparison()}: switches {switches}; "
            f"{_count(len(self.mechanisms), 'mechanism')})"
        )

    def comparison(self) -> str:
        """``"a, b vs baseline in 'spec'"``: what is explained."""
        return f"{', '.join(self.arms)} vs {self.baseline} in {self.spec.name!r}"

    @property
    def n_derived(self) -> int:
        """The derived arms (add-one, leave-one-out and knock-out arms), each counted once."""
        kept = {self.baseline, *self.arms}
        return sum(a.name not in kept for a in self.derived.arms)


# ---------------------------------------------------------------------------------- the table
def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{following = {churn_prob = 0}}`` (how TOML reads an unquoted dotted key) as
    ``{"following.churn_prob": 0}``, the address ``Params`` takes."""
    out: dict[str, Any] = {}
    for k, v in table.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def mechanisms_of(spec: ExperimentSpec) -> dict[str, dict[str, Any]]:
    """The ``[explain]`` table: mechanism name -> ``Params`` overrides that switch it off.

    Keys are checked against ``Params.spec()`` here; values when the runs are built.

    Raises:
        SpecError: The table is not a table of tables, a mechanism name is not a plain name, or
            an override names no parameter (the message lists the allowed ones).
    """
    from model import Params

    table = spec.raw.get("explain", {})
    text = read_text(spec.source) if spec.source and Path(spec.source).is_file() else None
    ctx = Ctx(spec.source, text)
    if not isinstance(table, dict):
        raise ctx.error(
            ("explain",),
            f"explain must be a table of mechanism = {{parameter = value, ...}}, got {table!r}",
            "e.g. trending = {trending_prob = 0.0}",
        )
    allowed = [k for k in Params.spec() if k not in NOT_MECHANISM]
    out: dict[str, dict[str, Any]] = {}
    for name, overrides in table.items():
        if not name.replace("_", "").isalnum():
            raise ctx.error(
                ("explain", name), f"mechanism name {name!r} must be letters, digits or _"
            )
        if not isinstance(overrides, dict) or not overrides:
            raise ctx.error(
                ("explain", name),
                f"mechanism {name!r} must be a non-empty table of parameter = value that "
                f"switches it off, got {overrides!r}",
                "e.g. trending = {trending_prob = 0.0}",
            )
        flat = _flatten(overrides)
        for key in flat:
            if key not in allowed:
                raise ctx.unknown(
                    ("explain", name, key), key, allowed, f"explain.{name} (a model.Params key)"
                )
        out[name] = flat
    return out


# ---------------------------------------------------------------------------------- the plan
def _params(plain: dict[str, Any], strategy: dict[str, Any], overrides: dict[str, Any]) -> Any:
    """Validated ``model.Params`` of plain keywords with a strategy and overrides."""
    from model import Params, Strategy

    return Params(**{**plain, "strategy": Strategy(**strategy), **overrides})


def plan_explanation(spec: ExperimentSpec, arms: list[str] | None = None) -> Explanation:
    """The derived arms of ``spec`` and their parameters, validated before anything runs.

    Args:
        spec: A validated spec.
        arms: The arms to explain (default: every arm but the baseline).

    Returns:
        The explanation; ``derived`` is the spec to run (its plan is :func:`make_plan` of it).

    Raises:
        SpecError: An unknown arm, a bad ``[explain]`` table, or a derived arm whose parameters
            are invalid (named with the override or switch at fault).
    """
    from experiments.points import plain_params
    from model import Strategy

    base = spec.analysis.baseline
    others = [a for a in spec.arm_names if a != base]
    chosen = list(arms) if arms else others
    for a in chosen:
        if a not in others:
            raise SpecError(
                f"--arm {a!r} is not an arm to explain", allowed=", ".join(others) or "none"
            )
    if not chosen:
        raise SpecError(
            f"the spec has only the baseline arm {base!r}; explain needs another arm to explain"
        )
    mechanisms = mechanisms_of(spec)
    points, unit, params = resolved_runs(spec)
    fields = [f for f in Strategy.spec() if f != "name"]
    switches: dict[str, tuple[str, ...]] = {}
    for a in chosen:
        differ = {
            s
            for i in range(len(points))
            for s in fields
            if params[(i, a)]["strategy"][s] != params[(i, base)]["strategy"][s]
        }
        switches[a] = tuple(s for s in fields if s in differ)

    by_arm = {arm.name: arm for arm in spec.arms}
    # the arms not explained do not run
    kept = (base, *chosen)
    new_arms: list[Arm] = [arm for arm in spec.arms if arm.name in kept]
    new_params = {k: v for k, v in params.items() if k[1] in kept}
    ex = Explanation(spec, spec, base, tuple(chosen), switches, mechanisms)

    def add(name: str, source: str, strategy_from: dict[int, dict], overrides: dict) -> str:
        built = {}
        for i in range(len(points)):
            strategy = {**strategy_from[i], "name": name}
            try:
                built[(i, name)] = plain_params(_params(params[(i, source)], strategy, overrides))
            except (TypeError, ValueError) as e:
                raise SpecError(f"derived arm {name!r} at design point {i}: {e}") from None
        if any(a.name == name for a in new_arms):  # the same arm asked for twice
            same = all(new_params[k] == v for k, v in built.items())
            if same:
                return name
            raise SpecError(f"two derived arms would both be named {name!r}")
        new_params.update(built)
        strategy = built[(0, name)]["strategy"]
        preset = Strategy.preset(by_arm[source].preset)
        switched = {s: strategy[s] for s in fields if strategy[s] != getattr(preset, s)}
        new_arms.append(
            Arm(name=name, preset=by_arm[source].preset, switches=switched, sweep=False)
        )
        return name

    def strategy_of(arm: str, i: int) -> dict[str, Any]:
        return dict(params[(i, arm)]["strategy"])

    for a in chosen:
        for s in switches[a]:
            plus = {
                i: {**strategy_of(base, i), s: strategy_of(a, i)[s]} for i in range(len(points))
            }
            name = f"{base}+{s}"
            if any(x.name == name for x in new_arms) and any(
                new_params[(i, name)]["strategy"][s] != plus[i][s] for i in range(len(points))
            ):
                name = f"{base}+{s}@{a}"  # another arm sets this switch to another value
            ex.add_one[(a, s)] = add(name, base, plus, {})
    for a in chosen:
        for s in switches[a]:
            minus = {
                i: {**strategy_of(a, i), s: strategy_of(base, i)[s]} for i in range(len(points))
            }
            ex.leave_one_out[(a, s)] = add(f"{a}-{s}", a, minus, {})
    for k, overrides in mechanisms.items():
        for a in (base, *chosen):
            own = {i: strategy_of(a, i) for i in range(len(points))}
            try:
                ex.knock_out[(a, k)] = add(f"{a}[no {k}]", a, own, overrides)
            except SpecError as e:
                raise _override_error(spec, k, overrides, e) from None

    derived = dataclasses.replace(spec, name=f"{spec.name}-explain", arms=tuple(new_arms))
    # the plan of the derived spec (experiments.design.make_plan) reads what validation built
    object.__setattr__(derived, "_resolved", (points, unit, new_params))
    ex.derived = derived
    return ex


def _override_error(
    spec: ExperimentSpec, name: str, overrides: dict[str, Any], e: SpecError
) -> SpecError:
    """A derived arm's invalid parameters, blamed on the ``[explain]`` override it names."""
    from model import Params

    text = read_text(spec.source) if spec.source and Path(spec.source).is_file() else None
    ctx = Ctx(spec.source, text)
    addresses = Params.spec()
    for key in overrides:
        if key in str(e):
            allowed = addresses[key].get("allowed", "") if isinstance(addresses[key], dict) else ""
            return ctx.error(("explain", name, key), e.reason, allowed)
    return ctx.error(("explain", name), e.reason)


# ---------------------------------------------------------------------------------- statistics
def _pairs(runs: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Finished runs as a (point, replicate) x arm table of ``measure``."""
    ok = runs[runs["status"] == "ok"]
    return ok.pivot_table(
        index=["point_id", "replicate"], columns="arm", values=measure, aggfunc="first"
    )


def attribution(
    runs: pd.DataFrame, ex: Explanation, measures: list[str], confidence: float = 0.95
) -> pd.DataFrame:
    """The attribution table (:data:`ATTRIBUTION_COLUMNS`) of the runs of ``ex.derived``.

    Per explained arm and measure: the ``total`` row, one ``add_one`` and one ``leave_one_out``
    row per switch, one ``knock_out`` row per mechanism, and an ``interaction`` row per method
    (total minus the sum of that method's deltas). Pairs with a failed run are left out of the
    deltas that read it.

    Args:
        runs: The runs table (``experiments.load_results(out).runs``).
        ex: The explanation the runs were made for.
        measures: Final-measure columns to explain.
        confidence: Level of the paired t intervals.
    """
    rows: list[dict[str, Any]] = []
    for measure in measures:
        wide = _pairs(runs, measure)

        def col(arm: str, wide: pd.DataFrame = wide) -> pd.Series:
            return wide[arm] if arm in wide else pd.Series(np.nan, index=wide.index)

        base = col(ex.baseline)
        for a in ex.arms:
            total = col(a) - base
            diffs: list[tuple[str, str, pd.Series]] = []
            for s in ex.switches[a]:
                diffs.append((s, "add_one", col(ex.add_one[(a, s)]) - base))
            for s in ex.switches[a]:
                diffs.append((s, "leave_one_out", col(a) - col(ex.leave_one_out[(a, s)])))
            for k in ex.mechanisms:
                off = col(ex.knock_out[(a, k)]) - col(ex.knock_out[(ex.baseline, k)])
                diffs.append((k, "knock_out", total - off))
            for method in ("add_one", "leave_one_out"):
                parts = [d for _, m, d in diffs if m == method]
                if parts:
                    # sum per pair: a pair missing any part has no residual (NaN)
                    summed = pd.concat(parts, axis=1).sum(axis=1, min_count=len(parts))
                    diffs.append(("interaction", method, total - summed))
            series = [("total", "total", total), *diffs]
            x = pd.concat([d for _, _, d in series], axis=1).to_numpy(float)
            n, mean, _, lo, hi = t_intervals(x, confidence)
            t_mean, t_lo, t_hi = mean[0], lo[0], hi[0]
            # a share of a total that may be 0 has no meaning: blank
            defined = np.isfinite(t_lo) and (t_lo > 0 or t_hi < 0)
            for j, (component, method, _) in enumerate(series):
                rows.append(
                    {
                        "arm": a,
                        "component": component,
                        "measure": measure,
                        "method": method,
                        "delta": mean[j],
                        "ci_low": lo[j],
                        "ci_high": hi[j],
                        "share_of_total": mean[j] / t_mean if defined else math.nan,
                        "n": int(n[j]),
                    }
                )
    return pd.DataFrame(rows, columns=list(ATTRIBUTION_COLUMNS))


# ---------------------------------------------------------------------------------- the command
@dataclass
class ExplainSummary:
    """What :func:`explain` did.

    Attributes:
        out: The output directory.
        planned: Runs in the derived experiment.
        skipped: Runs already recorded (``resume``).
        ran: Runs executed now.
        failed: Of those, how many failed.
        seconds: Wall time of the runs.
        files: Name -> path of every result file written.
        explanation: The derived arms.
        measures: The measures attributed (the spec's headline measures the runs recorded).
    """

    out: Path
    planned: int
    skipped: int
    ran: int
    failed: int
    seconds: float
    files: dict[str, Path]
    explanation: Explanation
    measures: tuple[str, ...] = ()

    def __repr__(self) -> str:
        # short: the comparison, the measures and the sizes, not the specs the explanation holds
        ex = self.explanation
        shown = ", ".join(self.measures[:MEASURES_SHOWN]) or "none"
        if len(self.measures) > MEASURES_SHOWN:
            shown += f" and {len(self.measures) - MEASURES_SHOWN} more"
        return (
            f"ExplainSummary({ex.comparison()}: measures {shown}; "
            f"{_count(ex.n_derived, 'derived arm')}, {_count(len(ex.mechanisms), 'mechanism')}; "
            f"{self.planned} runs planned, {self.ran} ran, {self.skipped} already done, "
            f"{self.failed} failed, {self.seconds:.1f} s; out={self.out})"
        )


#: Measures an :class:`ExplainSummary`'s repr names before it counts the rest.
MEASURES_SHOWN = 6


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def explain(
    spec: ExperimentSpec | str | Path,
    out: str | Path,
    *,
    arms: list[str] | None = None,
    figures: bool = True,
    overrides: dict[str, Any] | None = None,
    **run_options: Any,
) -> ExplainSummary:
    """Run the paired knock-outs of ``spec`` into ``out`` and write the attribution.

    Args:
        spec: A spec or the path of a TOML spec.
        out: Output directory: the runs as :func:`experiments.run` writes them, then
            ``attribution.csv``, ``report.md`` and ``figures/attribution_<arm>.png``.
        arms: The arms to explain (default: every arm but the baseline).
        figures: Also draw the figure.
        overrides: Top-level keys or fixed parameters to change in the spec.
        **run_options: Passed to :func:`experiments.run` (``executor``, ``workers``,
            ``address``, ``resume``, ``overwrite``, ``retry_failed``, ``progress``, ...).

    Returns:
        The counts of :func:`experiments.run` and the files written.

    Raises:
        SpecError: The spec, its ``[explain]`` table or ``arms`` are invalid (before any run).
        experiments.store.StoreError: As :func:`experiments.run`.
    """
    from experiments.results import load_results
    from experiments.run import run

    if not isinstance(spec, ExperimentSpec):
        spec = load_spec(spec)
    if overrides:
        spec = spec.with_overrides(overrides)
    ex = plan_explanation(spec, arms)
    s = run(ex.derived, out, **run_options)
    res = load_results(out)
    measures = [m for m in spec.analysis.headline if m in res.runs.columns]
    table = attribution(res.runs, ex, measures, spec.analysis.confidence)
    files = write_attribution(out, ex, table, spec.analysis.confidence, figures=figures)
    return ExplainSummary(
        out=Path(out),
        planned=s.planned,
        skipped=s.skipped,
        ran=s.ran,
        failed=s.failed,
        seconds=s.seconds,
        files=files,
        explanation=ex,
        measures=tuple(measures),
    )


def command(a: Any, spec: Any, options: dict[str, Any]) -> int:
    """``python -m experiments explain`` once the command line has checked its options and
    loaded ``spec``: runs (with ``run``'s ``options``), then prints the attribution and the
    files written."""
    from experiments.stats import confidence_label

    s = explain(spec, a.out, arms=a.arm, figures=not a.no_figures, **options)
    att = pd.read_csv(s.files[EXPLAIN_FILE])
    conf = spec.analysis.confidence
    print(
        f"{spec.name}: {s.ran} runs in {s.seconds:.1f} s ({s.failed} failed), {s.skipped} already "
        f"done; differences vs {spec.analysis.baseline}, paired {confidence_label(conf)} CI"
    )
    print(terminal_table(att, conf))
    print("\nwrote " + ", ".join(str(p.relative_to(Path(a.out))) for p in s.files.values()))
    return 1 if s.failed and a.strict else 0
