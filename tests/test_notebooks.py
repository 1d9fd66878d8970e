"""The tutorials in notebooks/ run from the first cell to the last, as a researcher runs them.

Each tutorial is kept as a jupytext percent-format ``.py`` file (reviewed as code; no .ipynb
is committed). The test converts it to a notebook in a temporary folder and executes it with
nbmake's runner (nbclient, a fresh ipykernel whose working directory is that folder), so a cell
that raises fails ``make test``. The kernel imports the tree under test (``PYTHONPATH``), as
pytest's own ``pythonpath`` does, and draws figures with the inline backend a researcher sees
(CI's ``MPLBACKEND=Agg`` is removed for it). Each notebook must end with a figure or a table,
write nothing into the repository, and finish in about two minutes on 2 cores (the timings are
in README's Tutorials list; ``--durations`` shows them). Every test that starts a kernel is
marked slow: ``make test`` runs them, ``make test-fast`` does not.
"""

import os
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from nbmake.nb_run import NotebookRun

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
# per cell: the longest cells (an experiment's runs; the first model built on an empty numba
# cache, which compiles the kernels) took about two minutes on the loaded 2-core machine
CELL_TIMEOUT = 600


def _git_status() -> str | None:
    """The repository's changed and untracked files, or None where git is not available."""
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout


def _execute(source: Path, folder: Path, monkeypatch: pytest.MonkeyPatch) -> nbformat.NotebookNode:
    """Convert ``source`` to a notebook in ``folder``, run every cell; fail on the first error."""
    path = folder / f"{source.stem}.ipynb"
    nbformat.write(jupytext.read(source), path)
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(paths))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    # the venv's kernelspec before a user-level one of the same name that may name another python
    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")
    result = NotebookRun(path, default_timeout=CELL_TIMEOUT).execute()
    if result.error is not None:
        pytest.fail(f"{source.name}: {result.error.summary}\n{result.error.trace}", pytrace=False)
    return result.nb


def _ends_with_a_figure_or_a_table(nb: nbformat.NotebookNode) -> bool:
    """Whether the last code cell of an executed notebook shows an image or an HTML table."""
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    shown = {kind for out in last.outputs for kind in out.get("data", {})}
    return bool(shown & {"image/png", "text/html"})


def test_every_notebook_is_found_and_kept_as_percent_format_text():
    assert [p.name for p in NOTEBOOKS][:1] == ["01_first_model.py"], NOTEBOOKS
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(1, len(NOTEBOOKS) + 1)), f"a tutorial is missing: {numbers}"
    assert not list((ROOT / "notebooks").glob("*.ipynb")), "commit the .py, not the .ipynb"
    for source in NOTEBOOKS:
        text = source.read_text()
        assert "format_name: percent" in text, f"{source.name} is not jupytext percent format"
        assert "# %% [markdown]" in text, f"{source.name} explains nothing in markdown"


def test_readme_links_every_notebook():
    readme = (ROOT / "README.md").read_text()
    missing = [p.name for p in NOTEBOOKS if f"(notebooks/{p.name})" not in readme]
    assert not missing, f"README's Tutorials table does not link {missing}"


@pytest.mark.slow
def test_the_kernel_runs_this_python_and_imports_this_tree(tmp_path, monkeypatch):
    probe = tmp_path / "probe.py"
    probe.write_text(
        "# %%\nimport sys\n\nimport model\n\nprint(sys.prefix)\nprint(model.__file__)\n"
    )
    nb = _execute(probe, tmp_path, monkeypatch)
    prefix, model_file = nb.cells[0].outputs[0]["text"].split()
    assert Path(prefix).resolve() == Path(sys.prefix).resolve()
    assert Path(model_file).resolve() == (ROOT / "model" / "__init__.py").resolve()


@pytest.mark.slow
def test_a_cell_that_raises_fails_the_run(tmp_path, monkeypatch):
    broken = tmp_path / "broken.py"
    broken.write_text("# %%\nx = 1\n\n# %%\nraise RuntimeError('cell two fails')\n")
    with pytest.raises(pytest.fail.Exception, match="cell two fails"):
        _execute(broken, tmp_path, monkeypatch)


@pytest.mark.slow
def test_a_notebook_must_end_with_a_figure_or_a_table(tmp_path, monkeypatch):
    probe = tmp_path / "probe.py"
    probe.write_text("# %%\nimport pandas as pd\n\n# %%\npd.DataFrame({'a': [1, 2]})\n")
    nb = _execute(probe, tmp_path, monkeypatch)
    assert _ends_with_a_figure_or_a_table(nb)
    nb.cells = nb.cells[:1]  # ends with the import: shows nothing
    assert not _ends_with_a_figure_or_a_table(nb)


@pytest.mark.slow
@pytest.mark.parametrize("source", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_ends_with_a_figure_or_a_table(source, tmp_path, monkeypatch):
    before = _git_status()
    nb = _execute(source, tmp_path, monkeypatch)
    assert _ends_with_a_figure_or_a_table(nb), f"{source.name} must end with a figure or a table"
    if before is not None:
        assert _git_status() == before, f"{source.name} wrote into the repository"
