"""validation's report and runs: the template is filled, verdicts follow the tolerances, and the
grouped results do not depend on how many processes ran them.

The report test feeds hand-made runs (a few per check, shaped like validation.runs' output) to
write_report, so a field the template names but the code does not compute, or a figure that
breaks, fails here in seconds instead of at the end of a minute-long ``python -m validation``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from model.measures import fit_power_law
from tests.validation.test_sasahara import fake_rows as sasahara_rows
from validation import runs
from validation.report import cascade_summary, write_report
from validation.theory import chain_virality, star_virality


def _results(large_share: float = 0.8) -> dict[str, list[dict]]:
    rng = np.random.default_rng(0)
    deffuant = [
        {"eps": e, "seed": s, "clusters": c, "drift": 1e-17, "steps": 40, "stopped": True}
        for e, cs in ((0.1, (5, 4, 5)), (0.2, (2, 2, 3)))
        for s, c in enumerate(cs)
    ]
    cascade = [
        {"p": p, "seed": s, "share": x, "steps": 20, "stopped": True}
        for p, xs in ((0.05, (2e-4, 1e-4, 3e-4)), (0.2, (large_share, 0.0003, large_share)))
        for s, x in enumerate(xs)
    ]
    attention = []
    for follow in ("powerlaw", "erdos_renyi"):
        pop = np.minimum(rng.zipf(1.7, 3000), 10_000)
        attention.append(
            {"mu": 0.05, "seed": 0, "follow": follow, "pop": pop, **fit_power_law(pop)}
        )
    star = np.array([star_virality(n) for n in (300, 280, 310)])
    broadcast = [
        {"forward_p": 0.0, "seed": 0, "virality": star, "star_exact": True, "stopped": True},
        {
            "forward_p": 0.05,
            "seed": 0,
            "virality": star + 1.0,
            "star_exact": False,
            "stopped": True,
        },
    ]
    pairs = np.array([[4, chain_virality(4), chain_virality(4)], [5, 1.6, 1.6]])
    trees = [
        {
            "seed": 0,
            "n_trees": 10,
            "pairs": pairs,
            "chains": [(4, chain_virality(4))],
            "stars": [(5, star_virality(5))],
            "others": 0,
        }
    ]
    results = {
        "attention": attention,
        "trees": trees,
        "deffuant": deffuant,
        "cascade": cascade,
        "broadcast": broadcast,
        **_spread_results(),
    }
    for rows in results.values():
        for r in rows:
            r["seconds"] = 0.1
    return results


def _spread_results():
    """Made-up runs of the spreading, emotion and following checks (validation/spread_rules.py)."""
    from validation import spread_rules as sr

    pc = round(sr.critical_independence(sr.QV_Q) - sr.QV_MARGIN, 4)
    pc_hi = round(sr.critical_independence(sr.QV_Q) + sr.QV_MARGIN, 4)
    hist = np.ones(40, dtype=np.int64)
    watts = [
        {"z": z, "seed": 0, "share": 0.9 if 1 < z < 5.8 else 0.001, "steps": 9} for z in sr.WATTS_Z
    ]
    watts += [{"broken": b, "adopters": 1 if b else 100, "steps": 101} for b in (False, True)]
    emotions = [
        {"ratio": r, "seed": 0, "bc": 0.9 if r > 1 else 0.3, "hist": hist} for r in sr.EMO_RATIOS
    ]
    emotions[0]["exp_error"] = 1e-8
    return {
        "watts": watts,
        "rumour": [{"seed": s, "theta": 0.2 + 0.001 * s, "steps": 20} for s in range(3)],
        "emotions": emotions,
        "voter": [
            {"rho0": r, "seed": s, "all": s < 5 * r, "steps": 50}
            for r in sr.VOTER_RHO
            for s in range(5)
        ],
        "qvoter": [
            {"p": p, "seed": 0, "m": 0.7 if p < 0.27 else 0.03} for p in (*sr.QV_P, pc, pc_hi)
        ],
        "sasahara": sasahara_rows(),
    }


def test_write_report_fills_every_field_and_draws_every_figure(tmp_path):
    out = tmp_path / "docs" / "validation.md"
    verdicts = write_report(_results(), 0.0, 2, out)
    text = out.read_text()
    assert len(verdicts) == 8 + 7 + 1
    assert all(v.endswith(("PASS", "FAIL")) for v in verdicts)
    for v in verdicts:
        assert f"- {v}" in text
    for n in range(1, 6):
        assert re.search(rf"^## {n}\. ", text, re.MULTILINE)
    assert "{" not in text and "}" not in text
    assert "python -m validation" in text
    spread = ("threshold", "rumour", "collective_emotions", "voter", "qvoter", "sasahara")
    for name in ("deffuant", "cascade", "popularity", "virality", "trees", *spread):
        assert (tmp_path / "docs" / "figures" / f"validation_{name}.png").stat().st_size > 1000
        assert f"figures/validation_{name}.png" in text


@pytest.mark.parametrize(("share", "verdict"), [(0.80, "PASS"), (0.85, "FAIL")])
def test_cascade_verdict_follows_its_tolerance(share, verdict):
    """S(c p = 2) = 0.7968: large outbreaks at 0.80 are within +-0.02, at 0.85 they are not."""
    fields, verdicts = cascade_summary(_results(share)["cascade"])
    assert verdicts[0].endswith(verdict)
    assert fields["n_big"] == 2 and fields["n_hi"] == 3


@pytest.mark.slow
def test_run_all_groups_in_task_order_whatever_the_processes(monkeypatch):
    """Serial and a two-process pool give the same grouped results, in task order."""
    todo = [("deffuant", runs.deffuant_run, (eps, s)) for eps in (0.3, 0.4) for s in range(3)]
    todo.insert(2, ("broadcast", runs.broadcast_run, (0.0, 0)))
    monkeypatch.setattr(runs, "tasks", lambda: todo)

    def strip(results):
        return {
            k: [{x: v for x, v in r.items() if x != "seconds"} for r in rows]
            for k, rows in results.items()
        }

    serial, pooled = runs.run_all(1), runs.run_all(2)
    assert list(serial) == list(pooled) == ["deffuant", "broadcast"]
    assert [(r["eps"], r["seed"]) for r in pooled["deffuant"]] == [
        (e, s) for e in (0.3, 0.4) for s in range(3)
    ]
    a, b = strip(serial), strip(pooled)
    assert a["deffuant"] == b["deffuant"]
    assert np.array_equal(a["broadcast"][0].pop("virality"), b["broadcast"][0].pop("virality"))
    assert a["broadcast"] == b["broadcast"]
