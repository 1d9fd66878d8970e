"""Users and outlets are Mesa agents whose attributes are views of the model's arrays."""

from __future__ import annotations

import numpy as np

from agents import GENERATIONS, MediaOutlet, User
from model import OpinionEcology


def test_agents_are_views_of_rows():
    m = OpinionEcology(n_users=50, seed=1)
    u = m.users[7]
    assert u.generation == GENERATIONS[m.state.gen[7]]
    u.opinion = 0.42
    assert m.state.opinion[7] == 0.42
    u.trust_media[0] = 0.9  # a row view: writes reach the model
    assert m.state.trust_media[7, 0] == np.float32(0.9)
    m.state.valence[7] = -0.25
    assert u.valence == -0.25
    assert isinstance(u.follows[0], np.bool_) and u.belonging.shape == (m.n_outlets,)
    assert all(isinstance(v, User) for v in u.neighbors)


def test_mesa_agentset_tools_work():
    m = OpinionEcology(n_users=120, seed=2)
    users = m.agents.select(agent_type=User)
    assert len(users) == 120
    outlets = m.agents.select(agent_type=MediaOutlet)
    assert len(outlets) == 1 + m.params.n_background and m.focal.focal
    counts = users.groupby("generation").count()
    assert sum(counts.values()) == 120 and set(counts) <= set(GENERATIONS)
    assert counts.get("pre80", 0) == int((m.state.gen == 3).sum())
    assert m.focal.followers == int(m.state.follows[:, 0].sum())


def test_agents_import_nothing_from_model():
    """agents/ sits below model/: its files type against agents/protocol.py instead."""
    import ast
    from pathlib import Path

    import agents

    for path in Path(agents.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any(n == "model" or n.startswith("model.") for n in names), path.name
