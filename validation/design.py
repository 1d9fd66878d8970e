"""The fixed design of the validation: grids, populations and replicates of every check.

Seeds are ``range(replicates)``, so every run of ``python -m validation`` gives the same
numbers; only the timings change. The slow tests in ``tests/validation/`` use these seeds or
a subset of them.
"""

from __future__ import annotations

#: Classic confidence bounds (opinions on [0, 1]) of the Deffuant sweep, and replicates.
DEFFUANT_EPS = tuple(round(0.05 + 0.025 * i, 3) for i in range(19))
DEFFUANT_SEEDS = 7
#: The two bounds the tests check, with more replicates (the same seeds as the tests).
DEFFUANT_TESTED = {0.1: 11, 0.2: 11}
#: Independent cascade: mean degree, population, transmission probabilities, replicates.
IC_DEGREE, IC_USERS = 10.0, 10_000
IC_P = tuple(round(0.025 * i, 3) for i in range(17))
IC_SEEDS = 10
IC_TESTED = {0.2: 40, 0.05: 20}
#: An outbreak reaching more than this share of users is "large" (the size distribution is
#: bimodal: small outbreaks die within tens of users, large ones reach a share near S).
LARGE = 0.1
#: Limited attention: the posting probabilities shown, replicates of the tested mu, and the
#: creation window of the items measured (leaving out start-up and items still spreading).
LA_MU = (0.01, 0.05, 0.2)
LA_TESTED_MU, LA_SEEDS = 0.05, 3
LA_BORN = (51, 150)
#: Broadcast: forward probabilities (0 = pure broadcast) and replicates.
BC_FORWARD = (0.0, 0.01, 0.02, 0.05, 0.08)
BC_SEEDS = 3
BC_USERS = 10_000
#: Trees of a real run checked against brute force: a limited-attention run with every
#: cascade recorded; trees up to this many nodes are checked pair by pair.
TREE_CHECK_NODES = 100
