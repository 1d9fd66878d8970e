"""Run each distinct run once: identical tasks of a sweep share one execution.

A run's output depends only on what its task tells the worker to build and record (model,
parameters, seed, steps, recorded columns); its ids and factor values only label the row. A
design with levers that reach one arm only (experiments/specs/when_interactive_wins.toml: the
one-way arm at every lever setting) repeats such runs: 515 of its 1,280 tasks are identical to
an earlier one. :func:`run_distinct` sends only the first task of each group of identical tasks
to the executor and records its output under every task of the group (each row with its own
ids and factors), so the tables are those of running every task; only ``seconds``, which
each copy takes from the run it reuses, is not measured again.

Copies are yielded right after the run they reuse, so they land in the same flush; if a sweep
is interrupted between them, the resume runs the missing copies again (they are identical).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

#: Task fields that label a run's row but do not change what the run computes.
LABELS = frozenset({"run_id", "index", "point_id", "replicate", "factors"})


def run_key(task: Any) -> str:
    """What a task computes: every field but its labels (:data:`LABELS`), as canonical JSON.

    The arm's name stays in the key: runs of different arms are never shared, even when their
    parameters coincide.
    """
    fields = {f.name: getattr(task, f.name) for f in dataclasses.fields(task)}
    what = {k: v for k, v in fields.items() if k not in LABELS}
    # repr of floats round-trips exactly, so equal keys mean equal parameters
    return json.dumps(what, sort_keys=True, default=repr)


def reuse_output(output: Any, task: Any) -> Any:
    """``output`` recorded under ``task`` (a task identical to the one that produced it)."""
    return dataclasses.replace(output, task=task)


def run_distinct(
    run_tasks: Callable[[list[Any]], Iterable[Any]],
    tasks: list[Any],
    key: Callable[[Any], str] = run_key,
    reuse: Callable[[Any, Any], Any] = reuse_output,
) -> Iterator[Any]:
    """The outputs of every task, computing each distinct task once.

    Args:
        run_tasks: Runs a list of tasks and yields their outputs (in any order), each output
            holding its task as ``.task`` (e.g. :func:`experiments.executors.bounded_map`
            over :func:`experiments.run.run_one`).
        tasks: The tasks to run.
        key: What a task computes (:func:`run_key`); tasks with equal keys share one run.
        reuse: Makes the output of one task of a group the output of another.

    Yields:
        One output per task: each distinct task's as it finishes, then its copies.
    """
    groups: dict[str, list[Any]] = {}
    for task in tasks:
        groups.setdefault(key(task), []).append(task)
    firsts = [group[0] for group in groups.values()]
    # keyed by what the task computes, not by identity: a worker returns a copy of its task
    copies = {k: group[1:] for k, group in groups.items()}
    for output in run_tasks(firsts):
        yield output
        for task in copies.pop(key(output.task), []):
            yield reuse(output, task)
