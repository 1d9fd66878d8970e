"""Phase 1: sessions and publishing (docs/ODD.md 7.1, 7.2).

:func:`sessions` decides who opens the app and whether the session is spent posting or
browsing; :func:`publish` has outlets publish (Poisson counts), releases the follow-ups queued
at the last step and turns posters' sessions into posts, queued as shares for delivery.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

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
        world.prof["activity"][s.gen] * p.activity_scale * (1.0 + p.stickiness * s.belonging[:, 0]),
    )
    active = u_act < p_act
    s.last_active[active] = t
    post = active & (u_post < p.user_post_prob)
    return Sessions(posters=np.flatnonzero(post), browsers=np.flatnonzero(active & ~post))


def publish(world: World, t: int, sess: Sessions) -> None:
    """Outlets' items of step ``t`` go to ``world.outbox.new_items``; posts are queued as shares."""
    p, s, rng = world.params, world.state, world.rng_outlets
    outlets, box = world.outlets, world.outbox
    counts = rng.poisson([o.rate for o in outlets])
    if t == 1:
        counts[0] += p.initial_items
    src = np.repeat(np.arange(world.n_outlets), counts)
    m = len(src)
    fmt = np.array([rng.choice(4, p=np.array(outlets[k].format_mix)) for k in src], dtype=np.int8)
    stance_mu = np.array([o.stance_mean for o in outlets])[src]
    stance_sd = np.array([o.stance_sd for o in outlets])[src]
    intensity = np.array([o.intensity for o in outlets])[src]
    quality = np.array([o.quality for o in outlets])[src]
    new = world.content.add(
        source_kind=np.full(m, OUTLET),
        source=src,
        format=fmt,
        stance=np.clip(stance_mu + stance_sd * rng.standard_normal(m), -1, 1),
        valence=np.clip(rng.normal(0.0, 0.4, m), -1, 1),
        intensity=np.clip(intensity + 0.15 * rng.standard_normal(m), 0, 1),
        quality=np.clip(quality + 0.1 * rng.standard_normal(m), 0, 1),
        created=np.full(m, t),
    )
    box.new_items = np.concatenate([box.outlet_items, new])
    box.outlet_items = np.zeros(0, dtype=np.int64)
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
