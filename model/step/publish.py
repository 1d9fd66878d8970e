"""Phase 1: sessions and publishing (docs/ODD.md 7.1, 7.2).

:func:`sessions` decides who opens the app and whether the session is spent posting or
browsing; :func:`publish` has outlets publish (Poisson counts at the publishing share of their
staff budget), releases the follow-ups queued at the last step (each takes the place of one of
the outlet's items drawn this step, if one was drawn: about half replace nothing at the
interactive default) and turns posters' sessions into posts, queued as shares for delivery. Items carry the outlet's
valence (pulled down by outrage) and outrage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model import portable
from model.content import OUTLET, USER
from model.step.records import Sessions

if TYPE_CHECKING:
    from model.world import World


def sessions(world: World, t: int) -> Sessions:
    """Who opens the app at step ``t``: 2N uniforms from ``streams["activity"]``."""
    p, s = world.params, world.state
    rng = world.streams["activity"]
    u_act, u_post = rng.random(world.n_users), rng.random(world.n_users)
    p_act = np.minimum(
        1.0,
        world.prof["activity"][s.gen]
        * p.activity_scale
        * (1.0 + p.activity_from_belonging * s.belonging[:, 0]),
    )
    active = u_act < p_act
    s.last_active[active] = t
    post = active & (u_post < p.user_post_prob)
    return Sessions(posters=np.flatnonzero(post), browsers=np.flatnonzero(active & ~post))


def poisson_inverse(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson(lam) counts by inversion of one uniform each (monotone in lam for a fixed u)."""
    lam = np.asarray(lam, dtype=np.float64)
    top = int(np.max(lam, initial=0.0) + 10.0 * np.sqrt(np.max(lam, initial=0.0)) + 20)
    k = np.arange(top + 1)
    log_fact = np.cumsum(portable.log(np.maximum(k, 1)))
    logpmf = k[None, :] * portable.log(np.maximum(lam, 1e-300))[:, None] - lam[:, None] - log_fact
    cdf = np.cumsum(portable.exp(logpmf), axis=1)
    return (u[:, None] > cdf).sum(axis=1).astype(np.int64)


def _outlet_items(world: World, k: int, m: int, t: int) -> np.ndarray:
    """``m`` new items of outlet ``k`` at step ``t``, drawn from the outlet's own stream."""
    o, rng = world.outlets[k], world.rng_outlet[k]
    fmt = rng.choice(4, size=m, p=np.array(o.format_mix)).astype(np.int8)
    outrage = world.outlet["outrage"][k]
    valence = world.outlet["valence_mean"][k] - world.params.outrage_valence * outrage
    return world.content.add(
        source_kind=np.full(m, OUTLET),
        source=np.full(m, k),
        format=fmt,
        stance=np.clip(o.stance_mean + o.stance_sd * rng.standard_normal(m), -1, 1),
        valence=np.clip(valence + rng.normal(0.0, 0.4, m), -1, 1),
        intensity=np.clip(o.intensity + 0.15 * rng.standard_normal(m), 0, 1),
        quality=np.clip(o.quality + 0.1 * rng.standard_normal(m), 0, 1),
        created=np.full(m, t),
        outrage=np.clip(outrage + 0.1 * rng.standard_normal(m), 0, 1),
    )


def publishing_hours(
    balance: np.ndarray, staff: np.ndarray, conversation_share: np.ndarray, follow_up_hours
) -> np.ndarray:
    """Staff-hours left for new items this step, after this step's pay arrives (``balance`` +
    ``staff``), the conversation's share of it is set aside and the follow-ups are paid; may be
    negative (a debt the next steps pay)."""
    return balance + staff - conversation_share * staff - follow_up_hours


def publish(world: World, t: int, sess: Sessions) -> None:
    """Outlets' items of step ``t`` go to ``world.outbox.new_items``; posts are queued as shares."""
    p, s, rng = world.params, world.state, world.rng_outlets
    box = world.outbox
    o = world.outlet
    # one staff budget (docs/ODD.md 7.12): each step pays ``staff`` hours into the outlet's
    # balance; the conversation's share is set aside for the respond phase (its unused hours
    # stay in the balance for the next step's publishing), the follow-ups released now are
    # paid at item_hours each, and the rest buys Poisson(hours / item_hours) new items
    fu = np.zeros(world.n_outlets, dtype=np.int64)
    if len(box.outlet_items):
        fu = np.bincount(world.content.source[box.outlet_items], minlength=world.n_outlets)
    hours = publishing_hours(
        world.staff_balance, o["staff"], o["conversation_share"], fu * p.item_hours
    )
    counts = poisson_inverse(rng.random(world.n_outlets), np.maximum(hours, 0.0) / p.item_hours)
    spent = (counts + fu) * p.item_hours
    world.staff_balance += o["staff"] - spent
    world.staff_spent += spent
    if t == 1:
        counts[0] += p.initial_items
    world.published += counts
    # each outlet draws its items from its own stream, so one outlet's rate (a strategy choice)
    # never shifts another's items (common random numbers)
    parts = [_outlet_items(world, k, int(n), t) for k, n in enumerate(counts) if n > 0]
    new = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    box.new_items = np.concatenate([box.outlet_items, new])
    box.outlet_items = np.zeros(0, dtype=np.int64)
    world.focal_items += int(np.count_nonzero(world.content.source[box.new_items] == 0))
    posters = sess.posters
    if len(posters):
        r = world.rng_posts
        k = len(posters)
        g = s.gen[posters]
        cdf = np.cumsum(world.fmt_pref[g], axis=1)
        pfmt = (r.random(k)[:, None] > cdf).sum(axis=1).clip(0, 3)
        items = world.content.add(
            source_kind=np.full(k, USER),
            source=posters,
            format=pfmt,
            stance=np.clip(s.opinion[posters] + 0.1 * r.standard_normal(k), -1, 1),
            valence=s.valence[posters],
            intensity=s.arousal[posters],
            quality=np.clip(0.5 + 0.15 * r.standard_normal(k), 0, 1),
            created=np.full(k, t),
        )
        box.queue_shares(posters, items)
