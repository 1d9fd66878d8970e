"""Paths in a spec are read from the spec file's folder, not from the directory you run in.

Two kinds of spec value name files:

* ``[uncertainties] posterior = "DIR"``: a calibration's output folder
  (:mod:`experiments.posterior`);
* the edge lists ``acquaintance_edges`` and ``follow_edges`` (model/edgelists.py), wherever a
  :class:`model.Params` key may stand: ``[fixed]``, ``[factors]``, ``[[points]]``,
  ``[uncertainties]`` choices and ``[explain]`` overrides.

A relative path is joined to the folder of the spec file (``experiments/specs/x.toml`` with
``posterior = "../calibrated"`` reads ``experiments/calibrated``, from any directory); a spec
built from a dict without a file reads from the current directory. :func:`resolve_paths`
replaces each such value with its absolute path before anything else is checked, so the spec's
``fixed`` table, its plan and every run's ``Params`` hold the file the spec meant, a worker in
another directory reads the same file, and a spec re-validated from its stored ``raw`` table
(a resume's ``--set``, ``optimize``'s generations) needs no folder to read it from. A path that
does not exist is refused here with the path as written and as resolved.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from experiments.spec_tables import Ctx

#: Params fields whose value is a file the runs read ('' reads none).
FILE_KEYS = ("acquaintance_edges", "follow_edges")
#: ``[uncertainties]`` keys whose value is a folder.
FOLDER_KEYS = ("posterior",)


def spec_folder(source: str | None) -> Path:
    """The folder a spec's relative paths are read from: its file's, else the current one."""
    if source is not None and Path(source).is_file():
        return Path(source).resolve().parent
    return Path.cwd()


def resolve_paths(ctx: Ctx, raw: dict[str, Any], folder: Path) -> dict[str, Any]:
    """A copy of ``raw`` with every path-valued key's relative path joined to ``folder``.

    Values that are not strings are left for the tables' own checks to name; ``''`` (no file)
    is kept.

    Raises:
        SpecError: A path that does not exist (an edge list that is no file, a posterior
            that is no folder), naming the key, the line, the path as written and as resolved.
    """
    from_file = ctx.source is not None and Path(ctx.source).is_file()
    where = f"the spec file's folder, {folder}" if from_file else f"the current directory, {folder}"
    out = copy.deepcopy(raw)
    unc = out.get("uncertainties")
    if isinstance(unc, dict):
        for key in FOLDER_KEYS:
            if isinstance(unc.get(key), str) and unc[key].strip():
                unc[key] = _resolve(ctx, ("uncertainties", key), unc[key], (folder, where), True)
    _walk(ctx, out, (), (folder, where))
    return out


def _walk(ctx: Ctx, node: Any, path: tuple, base: tuple[Path, str]) -> None:
    """Resolve the strings under every :data:`FILE_KEYS` key of ``node``, in place."""
    items: Any = node.items() if isinstance(node, dict) else enumerate(node)
    for k, v in list(items):
        if k in FILE_KEYS and isinstance(node, dict):
            node[k] = _files(ctx, (*path, k), v, base)
        elif isinstance(v, dict | list):
            _walk(ctx, v, (*path, k), base)


def _files(ctx: Ctx, path: tuple, value: Any, base: tuple[Path, str]) -> Any:
    """``value`` (a path, or a list or ``{choices = [...]}`` of paths) resolved."""
    if isinstance(value, str):
        return _resolve(ctx, path, value, base, False) if value else value
    if isinstance(value, list):
        return [_files(ctx, path, v, base) for v in value]
    if isinstance(value, dict):
        return {k: _files(ctx, path, v, base) for k, v in value.items()}
    return value


def _resolve(ctx: Ctx, path: tuple, value: str, base: tuple[Path, str], folder: bool) -> str:
    """``value`` joined to the base folder (an absolute value stays itself), checked to exist."""
    resolved = (base[0] / value).resolve()
    if folder and not resolved.is_dir():
        raise ctx.error(
            path,
            f"posterior folder {value!r} does not exist (looked for {resolved}"
            f"{_relative(value, base)}): run `python -m experiments calibrate SPEC --out DIR` "
            "first, or name the folder it wrote",
            "an existing folder",
        )
    if not folder and not resolved.is_file():
        raise ctx.error(
            path,
            f"edge list {value!r} is not a file (looked for {resolved}{_relative(value, base)})",
            "an existing CSV or Parquet file, or '' for none",
        )
    return str(resolved)


def _relative(value: str, base: tuple[Path, str]) -> str:
    return "" if Path(value).is_absolute() else f"; a relative path is read from {base[1]}"
