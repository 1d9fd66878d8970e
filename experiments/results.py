"""The results in an output directory, loaded for analysis: :func:`load_results`.

Loading checks the folder first: every part must be readable and have its table's columns, and
every recorded run must be a run of the stored plan (:mod:`experiments.plan`); the spec, the
design points and the scenario sample come from the stored plan, never from today's code.

A folder written before some ``Params`` fields existed loads with those ``param.*`` columns
filled with today's defaults, in the plan and in the runs, and one
:class:`~experiments.parts.OlderResultsWarning` saying so (:attr:`Results.older`; the report
repeats it): a field is added neutral at its default, so those runs ran as at it.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.analysis import compare, point_effects, summarize
from experiments.parts import (
    OlderParts,
    OlderResultsWarning,
    check_readable,
    expected_schemas,
    fill_plan,
    older_parts,
    read_table,
)
from experiments.plan import (
    Plan,
    check_recorded,
    has_plan,
    load_plan,
    make_plan,
    spec_from_dict,
)
from experiments.spec import ExperimentSpec, metric_names, parse_spec
from experiments.store import read_manifest


@dataclass
class Results:
    """The results in an output directory, loaded for analysis.

    Attributes:
        out: The directory.
        manifest: The manifest (resolved spec, environment, history).
        runs: One row per recorded run (ok and failed), in run order.
        older: The parts an older version wrote and the columns filled, if any.
    """

    out: Path
    manifest: dict[str, Any]
    runs: pd.DataFrame
    older: OlderParts | None = None
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @cached_property
    def plan(self) -> Plan:
        """The stored plan the runs were made from (``plan.parquet``; nothing re-sampled).

        A folder written before plans were stored gets one built from its manifest's spec; a
        plan stored before some ``Params`` fields existed gets their defaults
        (:func:`~experiments.parts.fill_plan`).
        """
        return self.plan_of(self.out, self.manifest)

    @staticmethod
    def plan_of(out: Path, manifest: dict[str, Any]) -> Plan:
        """:attr:`plan` of a folder without loading its runs (what ``status`` needs)."""
        if has_plan(out):
            return fill_plan(load_plan(out))
        return make_plan(parse_spec(manifest["raw_spec"], source=None))

    @cached_property
    def spec(self) -> ExperimentSpec:
        """The spec the results were produced with, as stored with the plan.

        Its description and [analysis] table are the manifest's: a resume may change them
        (they change no run), and the report follows the latest.
        """
        stored = self.manifest.get("spec") or {}
        if "analysis" not in stored:
            return self.plan.spec
        latest = spec_from_dict(stored)
        return dataclasses.replace(
            self.plan.spec, analysis=latest.analysis, description=latest.description
        )

    @property
    def ok(self) -> pd.DataFrame:
        """Finished runs only."""
        return self.runs[self.runs["status"] == "ok"]

    @property
    def failed(self) -> pd.DataFrame:
        """Failed runs with their errors."""
        return self.runs[self.runs["status"] != "ok"]

    @property
    def measures(self) -> list[str]:
        """Final-measure columns."""
        return [c for c in metric_names(self.spec.metrics) if c in self.runs.columns]

    @property
    def factors(self) -> list[str]:
        """Design factor keys."""
        return list(self.spec.design.keys)

    def timeseries(self, columns: list[str] | None = None) -> pd.DataFrame:
        """The time series (read on first use)."""
        key = f"ts:{columns}"
        if key not in self._cache:
            cols = (
                None
                if columns is None
                else ["run_id", "point_id", "arm", "replicate", "step", *columns]
            )
            self._cache[key] = read_table(self.out, "timeseries", columns=cols)
        return self._cache[key]

    def cascades(self) -> pd.DataFrame:
        """Per-item cascade sizes of every run."""
        if "cascades" not in self._cache:
            self._cache["cascades"] = read_table(self.out, "cascades")
        return self._cache["cascades"]

    def agents(self) -> pd.DataFrame:
        """Agent attributes at the end of each run (when ``agent_metrics`` asked for them)."""
        return read_table(self.out, "agents")

    def summary(self) -> pd.DataFrame:
        """:func:`summarize` with the spec's confidence level."""
        return summarize(self.runs, self.measures, self.spec.analysis.confidence)

    def compare(self, baseline: str | None = None) -> pd.DataFrame:
        """:func:`compare` every arm with the baseline, as the spec's [analysis] asks."""
        a = self.spec.analysis
        return compare(
            self.runs,
            self.measures,
            baseline or a.baseline,
            confidence=a.confidence,
            bootstrap=a.bootstrap,
            n_resamples=a.n_resamples,
            min_difference=a.min_difference,
            relative_min_difference=a.relative_min_difference,
            seed=self.spec.root_seed,
        )

    def effects(self, measures: list[str] | None = None) -> pd.DataFrame:
        """:func:`point_effects` for the headline measures (or ``measures``)."""
        return point_effects(
            self.runs,
            self.factors,
            measures or list(self.spec.analysis.headline),
            self.spec.analysis.baseline,
        )


#: The older-version warnings given in this process (each is said once).
_SAID: set[str] = set()


def load_results(out: str | Path) -> Results:
    """Load an output directory written by :func:`experiments.run`.

    Args:
        out: The directory.

    Returns:
        The results; ``runs`` holds every recorded run, latest attempt per run, and the other
        tables only rows of those attempts.

    Raises:
        experiments.store.StoreError: ``out`` has no readable manifest.
        experiments.store.CorruptPartError: A part file cannot be read or has the wrong columns
            (named in the message).
        experiments.plan.PlanError: A recorded row is not a run of the stored plan.
    """
    out = Path(out)
    manifest = read_manifest(out)
    res = Results(out=out, manifest=manifest, runs=pd.DataFrame())
    schemas = expected_schemas(res.spec, res.plan)
    check_readable(out, schemas)
    check_recorded(res.plan, out)
    res.older = older_parts(out, schemas)
    if res.older is not None and (said := res.older.message(out)) not in _SAID:
        # once a process: `report` loads the folder twice (the command and write_report)
        _SAID.add(said)
        warnings.warn(said, OlderResultsWarning, stacklevel=2)
    with warnings.catch_warnings():  # said once, above
        warnings.simplefilter("ignore", OlderResultsWarning)
        res.runs = read_table(out, "runs")
    return res
