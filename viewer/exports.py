"""What a run hands on: its time series (CSV, Parquet), one user's state, and an experiment spec.

:func:`timeseries_frame` is the DataCollector's table of every step measure (one row per step,
one column per measure; a comparison adds an ``arm`` column); :func:`csv_bytes` and
:func:`parquet_bytes` encode it for download, with its :func:`provenance` (seed, parameters,
page address, code version, time written): comment lines at the top of the CSV (read it with
``pandas.read_csv(f, comment="#")``) and key-value metadata in the Parquet file.
:func:`export_name` names each file by what it holds and when (preset, seed, step). :func:`user_record` is one user's state and
recent views, for the page's inspector. :func:`spec_toml` writes the running setting as an
experiment spec (the format of experiments/specs/*.toml, read by ``experiments.load_spec``), so
a scenario found in the viewer can be run as a batch with replicates.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import json
import re
from collections.abc import Mapping
from typing import Any

import mesa
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model import STRATEGY_PRESETS, OpinionEcology, Params, Strategy
from model.measures import COHORTS
from viewer.arms import arms_of, build_kwargs
from viewer.settings import DEFAULTS_PRESET, is_preset, nearest_preset, query_of

#: Replicates and sampling interval of a spec written by :func:`spec_toml`.
SPEC_REPLICATES = 10
SPEC_MEASURE_EVERY = 6
#: Recent views listed by :func:`user_record`.
RECENT_VIEWS = 10
#: The Parquet metadata key that holds :func:`provenance` (JSON).
PROVENANCE_KEY = b"opinion_ecology.provenance"


@functools.cache
def code_version() -> dict[str, Any]:
    """The repository's HEAD commit and whether tracked files differ from it (None for both
    outside a git checkout): the results folders' record (experiments.store.git_commit), asked
    once per server."""
    from experiments.store import git_commit

    return git_commit()


def _plain(value: Any) -> Any:
    """A Params value as JSON writes it (numbers, strings, booleans; anything else as text)."""
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def provenance(model: mesa.Model, preset: str = DEFAULTS_PRESET) -> dict[str, Any]:
    """Where an export comes from: the viewer, the time it was written (UTC), the code
    version, the preset, seed and step, the arms, the page address that rebuilds the model,
    and every parameter (``Params.to_dict``; a custom strategy's switches in ``strategies``)."""
    kwargs = build_kwargs(model)
    arms = arms_of(model)
    return {
        "written_by": "Opinion Ecology viewer",
        "written_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "code_version": code_version(),
        "preset": preset,
        "seed": int(kwargs["seed"]),
        "step": int(model.steps),
        "arms": list(arms),
        "strategies": {k: m.params.strategy.switches() for k, m in arms.items()},
        "page_address": "?" + query_of(kwargs, preset),
        "params": {k: _plain(v) for k, v in kwargs["params"].to_dict().items()},
    }


def export_name(model: mesa.Model, what: str, ext: str, preset: str = DEFAULTS_PRESET) -> str:
    """A file name that says what and when: ``<preset>_seed<seed>_step<step>_<what>.<ext>``
    (``defaults`` for no preset; ``compare`` added for a comparison)."""
    scenario = "defaults" if preset == DEFAULTS_PRESET else preset
    if len(arms_of(model)) > 1:
        scenario += "_compare"
    seed = int(build_kwargs(model)["seed"])
    stem = f"{scenario}_seed{seed}_step{int(model.steps)}_{what}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", stem) + f".{ext}"


def timeseries_frame(model: mesa.Model) -> pd.DataFrame:
    """Every step measure per step (the DataCollector's model variables); ``arm`` per row."""
    frames = []
    arms = arms_of(model)
    for label, m in arms.items():
        df = m.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "step", np.arange(len(df)))
        if len(arms) > 1:
            df.insert(0, "arm", label)
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def csv_bytes(model: mesa.Model, preset: str = DEFAULTS_PRESET) -> bytes:
    """:func:`timeseries_frame` as CSV, after ``# key: value`` lines of :func:`provenance`
    (read it with ``pandas.read_csv(f, comment="#")``)."""
    head = "".join(
        f"# {k}: {json.dumps(v, sort_keys=True)}\n" for k, v in provenance(model, preset).items()
    )
    return (head + timeseries_frame(model).to_csv(index=False)).encode()


def parquet_bytes(model: mesa.Model, preset: str = DEFAULTS_PRESET) -> bytes:
    """:func:`timeseries_frame` as Parquet (pyarrow), :func:`provenance` as JSON under the
    file's key-value metadata :data:`PROVENANCE_KEY`."""
    table = pa.Table.from_pandas(timeseries_frame(model), preserve_index=False)
    meta = {**(table.schema.metadata or {}), PROVENANCE_KEY: json.dumps(provenance(model, preset))}
    buf = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buf)
    return buf.getvalue()


def user_record(m: OpinionEcology, user: int) -> dict[str, Any]:
    """One user's state, and its last :data:`RECENT_VIEWS` recorded views (``model.view_log``).

    Raises:
        ValueError: ``user`` is not an id of the model's users.
    """
    n = len(m.state.opinion)
    if isinstance(user, bool) or not isinstance(user, int | np.integer) or not 0 <= user < n:
        raise ValueError(f"user {user!r} is not allowed; ids run from 0 to {n - 1}")
    s = m.state
    record: dict[str, Any] = {
        "id": int(user),
        "generation": COHORTS[int(s.gen[user])],
        "opinion": float(s.opinion[user]),
        "trust in the focal outlet": float(s.trust_media[user, 0]),
        "valence": float(s.valence[user]),
        "arousal": float(s.arousal[user]),
        "belonging to the focal community": float(s.belonging[user, 0]),
        "follows the focal outlet": bool(s.follows[user, 0]),
        "member of the focal community": bool(s.community[user, 0]),
        "replies received": int(s.replies[user]) if np.ndim(s.replies) == 1 else None,
    }
    log = m.view_log.to_frame()
    mine = log[log["user"] == user].tail(RECENT_VIEWS)
    record["recent views"] = [
        {
            "step": int(r.step),
            "item": int(r.item),
            "via": "outlet" if r.parent < 0 else int(r.parent),
        }
        for r in mine.itertuples()
    ]
    return record


def _toml(value: Any) -> str:
    """One TOML value (strings, booleans, numbers)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


def arm_table(strategy: Any) -> tuple[str, dict[str, Any]]:
    """An arm of a spec: its name and table (the nearest preset plus the switches that differ)."""
    s = strategy if isinstance(strategy, Strategy) else Strategy.preset(strategy)
    if is_preset(s):
        return s.label(), {"strategy": s.label()}
    base = nearest_preset(s)
    preset = STRATEGY_PRESETS[base].switches()
    return "custom", {"strategy": base, **{k: v for k, v in s.switches().items() if v != preset[k]}}


def spec_text(
    header: str,
    name: str,
    description: str,
    params: Params,
    seed: int,
    replicates: int,
    measure_every: int,
    arms: Mapping[str, Mapping[str, Any]],
    baseline: str | None = None,
) -> str:
    """An experiment spec in TOML: ``[fixed]`` holds every Params field of ``params`` that
    differs from the defaults, then one table per arm, then ``[analysis]`` when a baseline is
    named. ``header`` is its comment lines (each starting with ``#``)."""
    defaults = Params()
    lines = [
        *header.splitlines(),
        f"name = {_toml(name)}",
        f"description = {_toml(description)}",
        f"replicates = {replicates}",
        f"root_seed = {int(seed)}",
        f"steps = {params.steps}",
        f"measure_every = {measure_every}",
        "",
        "[fixed]",
    ]
    for field in Params.spec():
        if field in ("strategy", "steps"):
            continue
        value = getattr(params, field)
        if value != getattr(defaults, field):
            lines.append(f"{field} = {_toml(value)}")
    for arm, table in arms.items():
        lines += ["", f"[arms.{arm}]"]
        lines += [f"{k} = {_toml(v)}" for k, v in table.items()]
    if baseline is not None:
        lines += ["", "[analysis]", f"baseline = {_toml(baseline)}"]
    return "\n".join(lines) + "\n"


def spec_toml(kwargs: Mapping[str, Any], name: str = "viewer_scenario") -> str:
    """The setting of ``kwargs`` (what builds the running model) as an experiment spec.

    ``[fixed]`` holds every Params field that differs from the defaults, ``root_seed`` is the
    model's seed and the arms are its strategy (or the comparison's two). Load it with
    ``experiments.load_spec`` and run it with ``python -m experiments run``.
    """
    params: Params = kwargs["params"]
    strategies = kwargs.get("strategies") or (params.strategy,)
    arms: dict[str, dict[str, Any]] = {}
    for i, s in enumerate(strategies):
        arm, table = arm_table(s)
        arms[arm if arm not in arms else f"{arm}_{'ab'[i]}"] = table
    header = (
        "# Written by the Opinion Ecology viewer: the setting of the running model.\n"
        "# Run it with: python -m experiments run <this file> --out results/<name>"
    )
    return spec_text(
        header,
        name,
        "A scenario set up in the viewer.",
        params,
        kwargs["seed"],
        SPEC_REPLICATES,
        SPEC_MEASURE_EVERY,
        arms,
    )
