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
#: Upper bound of ``n_users`` (and of the user indices ``creator`` and ``focal_followers``):
#: 10^7 users built in 231 s and ran a simulated day in 417 s with a peak of 9.9 GB (954 bytes
#: per user) on the project's 2-core, 24 GiB machine (docs/performance.md, issue 18's targets).
MAX_USERS = 10_000_000
