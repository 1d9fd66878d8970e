"""Batch experiments: declarative TOML specs, paired seeds, executors, Parquet results, statistics.

The Python API mirrors the command line (``python -m experiments``)::

    import experiments
    spec = experiments.load_spec("experiments/specs/interactive_vs_one_way.toml")
    experiments.run(spec, "results/flagship", executor="process", workers=2)
    res = experiments.load_results("results/flagship")
    res.runs            # one row per run
    res.compare()       # paired differences against the baseline arm
    experiments.explain(spec, "results/explain")   # attribution to switches and mechanisms
"""

from experiments.explain import explain
from experiments.results import Results, load_results
from experiments.run import run
from experiments.spec import ExperimentSpec, SpecError, load_spec

__all__ = ["ExperimentSpec", "Results", "SpecError", "explain", "load_results", "load_spec", "run"]
