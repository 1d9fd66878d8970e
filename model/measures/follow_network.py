"""Measures of the user follow layer (docs/ODD.md 7.13, 7.19): its segregation by opinion and
how much it changed.

* ``follow_discordant_share``: the share of user follow ties whose follower's opinion differs
  from the followed account's by at least the follower's confidence bound (a tie that carries
  items the follower would reject: Sasahara et al. 2021's discordant messages, as ties);
* ``follow_cross_share``: the share of ties between users on opposite sides of 0 (the
  cross-cutting ties of a two-group split by opinion sign);
* ``follow_modularity``: the directed modularity of that two-group split over the follow ties,
  Q = sum over groups g of (e_gg / m - (out_g / m) (in_g / m)), with m ties, e_gg the ties
  inside g, out_g and in_g the ties leaving and entering g's members (Newman 2006; Leicht &
  Newman 2008 for the directed form): 0 for ties blind to opinion, up to 1 - sum_g (share
  of ties)^2 for a layer split into the two sides;
* ``user_follow_changes``: follows plus unfollows of the last step (the rule's tally).

The first three read every tie (O(ties)): they are on request (``when="query"``), not in
the step's snapshot. The last is O(1).
"""

from __future__ import annotations

import numpy as np

from model.world import World


def _ties(model: World) -> tuple[np.ndarray, np.ndarray]:
    """(account, follower) of every user follow tie as it is now."""
    fol = model.networks.followers
    csr = fol.csr() if hasattr(fol, "csr") else fol
    return csr.row_owner(), csr.indices


def discordant_share(model: World) -> float:
    """Share of follow ties with |x_follower - x_account| >= epsilon_follower (0 without ties)."""
    acc, fol = _ties(model)
    if len(acc) == 0:
        return 0.0
    x, eps = model.state.opinion, model.state.epsilon
    return float(np.mean(np.abs(x[fol] - x[acc]) >= eps[fol]))


def cross_share(model: World) -> float:
    """Share of follow ties whose two users are on opposite sides of opinion 0 (0 at 0 counts
    as the positive side); 0 without ties."""
    acc, fol = _ties(model)
    if len(acc) == 0:
        return 0.0
    side = model.state.opinion >= 0
    return float(np.mean(side[acc] != side[fol]))


def modularity(model: World) -> float:
    """Directed modularity of the split by opinion sign over the follow ties (0 without ties).

    A tie runs follower -> account (the follower reads the account): out counts at followers,
    in at accounts.
    """
    acc, fol = _ties(model)
    m = len(acc)
    if m == 0:
        return 0.0
    side = model.state.opinion >= 0
    q = 0.0
    for g in (False, True):
        inside = np.count_nonzero((side[fol] == g) & (side[acc] == g))
        out_g = np.count_nonzero(side[fol] == g)
        in_g = np.count_nonzero(side[acc] == g)
        q += inside / m - (out_g / m) * (in_g / m)
    return float(q)


def follow_changes(model: World) -> float:
    """Follows plus unfollows of user accounts in the last step."""
    follows, unfollows = model.rules.user_follow.changes()
    return float(follows + unfollows)
