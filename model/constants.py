"""Fixed constants of the model that are not parameters (docs/ODD.md lists each with its reason).

They live here, below the engine and the measures, so that both can read them without importing
each other.
"""

#: Share of non-followers a targeted (recommended) focal item is offered to.
RECOMMEND_SHARE = 0.05
#: Size of the platform's trending pool and the window (steps) over which engagement counts.
TRENDING_POOL, TRENDING_WINDOW = 50, 24
#: Window (steps) for "daily active" in stickiness: one simulated day of hourly steps.
DAY = 24
#: Opinions closer than this form one cluster (docs/validation.md, Deffuant clusters).
CLUSTER_TOL = 1e-3
