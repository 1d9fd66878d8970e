"""Phase 1: sessions and publishing (docs/ODD.md 7.1, 7.2).

:func:`sessions` decides who opens the app and whether the session is spent posting or
browsing; :func:`publish` has outlets publish (Poisson counts at the publishing share of their
staff budget), releases the follow-ups queued at the last step (each takes the place of one of
the outlet's items drawn this step, if one was drawn: about half replace nothing at the
interactive default) and turns posters' sessions into posts, queued as shares for delivery. Items carry the outlet's
valence (pulled down by outrage) and outrage. While topics are on, items draw a topic and some
posts are derivative (:func:`post_topics`); posts carry their author's creator appeal
(docs/ODD.md 7.18).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from model import jit
from model.content import OUTLET, USER
from model.jit import njit
from model.sampling import bernoulli_subset
from model.step import creator, ride
from model.step.records import Sessions
from model.topics import best_items, draw_topics, topics_on

if TYPE_CHECKING:
    from model.world import World


def sessions(world: World, t: int) -> Sessions:
    """Who opens the app at step ``t`` (from ``streams["activity"]``), at a cost that follows
    activity: user i opens it with p_i = min(1, activity[gen] activity_scale (1 +
    activity_from_belonging B_i)), the belonging to the focal outlet. Candidates are drawn
    first with the bound q of every p_i (:func:`model.sampling.bernoulli_subset`), then each
    candidate is kept with p_i / q and posts with user_post_prob (thinning: each user still
    opens the app with p_i, independently; docs/ODD.md 7.1)."""
    p, s = world.params, world.state
    rng = world.streams["activity"]
    act = world.prof["activity"]
    # belonging is clipped to [0, 1] at the end of every step and activity_from_belonging >= 0
    bound = float(act.max()) * p.activity_scale * (1.0 + p.activity_from_belonging)
    q = min(1.0, bound)
    cand = bernoulli_subset(rng, world.n_users, q)
    # the keep uniforms, then the post uniforms (one call draws the same numbers as two)
    u = rng.random(2 * len(cand))
    active, post = _keep_sessions(
        cand, u, s.gen, s.belonging, act, p.activity_scale,
        p.activity_from_belonging, q, p.user_post_prob, s.last_active, t,
    )  # fmt: skip
    # the designated creator's scheduled posts (docs/ODD.md 7.18; nothing while off)
    active, post = creator.schedule(world, t, active, post)
    # who acts this step reads its emotion as it was at the end of the last step (a lazy
    # emotion rule brings these users up to date; docs/ODD.md 7.10)
    world.rules.emotion.settle(world, t - 1, active)
    return Sessions(posters=active[post], browsers=active[~post])


@njit
def _keep_sessions(
    cand, u, gen, belonging, act, scale, from_belonging, q, post_prob, last_active, t
):  # fmt: skip
    """The candidates kept (active: ``u[j] * q < p_act``, p_act computed as numpy did,
    min(1, act[gen] scale (1 + from_belonging B))) and whether each posts (``u[m + j] <
    post_prob`` for the m candidates); marks them active at step t. Returns (active users,
    posts?) in the candidates' order."""
    m = cand.shape[0]
    active = np.empty(m, np.int64)
    post = np.empty(m, np.bool_)
    k = 0
    for j in range(m):
        i = cand[j]
        p_act = min(1.0, act[gen[i]] * scale * (1.0 + from_belonging * np.float64(belonging[i, 0])))
        if u[j] * q < p_act:
            active[k] = i
            post[k] = u[m + j] < post_prob
            last_active[i] = t
            k += 1
    return active[:k], post[:k]


def poisson_inverse(u: np.ndarray, lam: np.ndarray) -> np.ndarray:
    """Poisson(lam) counts by inversion of one uniform each (monotone in lam for a fixed u).

    The count is the number of k in 0..top whose cumulative probability (summed in order of k)
    is below u, with top = max(lam) + 10 sqrt(max(lam)) + 20 for the whole batch.
    """
    lam = np.asarray(lam, dtype=np.float64)
    top = int(np.max(lam, initial=0.0) + 10.0 * np.sqrt(np.max(lam, initial=0.0)) + 20)
    return _poisson_counts(np.asarray(u, dtype=np.float64), lam, top)


@njit
def _poisson_counts(u, lam, top):
    """Inversion of each u against its cumulative Poisson(lam) probabilities over 0..top."""
    log_fact = np.empty(top + 1)
    acc = 0.0
    for k in range(top + 1):
        acc += jit.log(float(max(k, 1)))
        log_fact[k] = acc
    out = np.zeros(u.shape[0], dtype=np.int64)
    for i in range(u.shape[0]):
        loglam = jit.log(max(lam[i], 1e-300))
        cdf = 0.0
        for k in range(top + 1):
            cdf += jit.exp(k * loglam - lam[i] - log_fact[k])
            # the partial sums never decrease, so u exceeds none of the later ones either
            if not u[i] > cdf:
                break
            out[i] += 1
    return out


def _outlet_items(world: World, counts: np.ndarray, t: int) -> np.ndarray:
    """``counts[k]`` new items of each outlet ``k`` at step ``t``, outlet by outlet, each
    outlet's drawn from its own stream (so one outlet's rate, a strategy choice, never shifts
    another's items: common random numbers)."""
    per = counts.tolist()
    ks = [k for k, m in enumerate(per) if m]
    if not ks:
        return np.zeros(0, dtype=np.int64)
    # per publishing outlet: stance mean and sd, intensity, quality and the format mix
    base = np.array(
        [
            (o.stance_mean, o.stance_sd, o.intensity, o.quality, *o.format_mix)
            for o in map(world.outlets.__getitem__, ks)
        ],
        dtype=np.float64,
    )
    us, zs = [], []
    for k in ks:
        m = per[k]
        rng = world.rng_outlet[k]
        # the outlet's draws, as rng.choice(4, m, p=format_mix) and then the normals of stance,
        # valence (sd 0.4), intensity, quality and outrage took them: one uniform per item for
        # the format, then 5 m standard normals in that order (drawn into new arrays and
        # joined: numpy's ``out=`` into a slice costs twice the draw at these sizes)
        us.append(rng.random(m))
        zs.append(rng.standard_normal(5 * m))
    u, z = np.concatenate(us), np.concatenate(zs)
    o = world.outlet
    source, fmt, cols = _outlet_columns(
        counts,
        base,
        o["valence_mean"],
        o["outrage"],
        float(world.params.outrage_valence),
        u,
        z,
    )
    return world.content.add(
        source=source,
        source_kind=OUTLET,
        format=fmt,
        stance=cols[0],
        valence=cols[1],
        intensity=cols[2],
        quality=cols[3],
        created=t,
        outrage=cols[4],
    )


@njit
def _outlet_columns(counts, base, valence_mean, outrage, outrage_valence, u, z):
    """Source, format and (stance, valence, intensity, quality, outrage) of outlets' new items,
    ``counts[k]`` of outlet k, from the ``base`` values of the outlets with items, in order
    (stance mean and sd, intensity, quality, format mix),
    valence (pulled down by outrage) and outrage, the format uniforms ``u`` and the normals
    ``z``.

    The format is numpy's ``Generator.choice`` with probabilities: the mix's cumulative sums,
    divided by the last, and the number of them at or below u. The valence draw is numpy's
    ``normal(0.0, 0.4)``: 0.0 + 0.4 z. Each value is clipped to its range."""
    total = u.shape[0]
    source = np.empty(total, dtype=np.int64)
    fmt = np.empty(total, dtype=np.int64)
    cols = np.empty((5, total))
    cdf = np.empty(4)
    at = 0
    j = -1
    for k in range(counts.shape[0]):
        m = counts[k]
        if m == 0:
            continue
        j += 1
        sm, ssd, inten, qual = base[j, 0], base[j, 1], base[j, 2], base[j, 3]
        outr = outrage[k]
        val = valence_mean[k] - outrage_valence * outr
        acc = 0.0
        for f in range(4):
            acc += base[j, 4 + f]
            cdf[f] = acc
        for f in range(4):
            cdf[f] = cdf[f] / acc
        zs = z[5 * at :]
        for i in range(m):
            q = at + i
            source[q] = k
            f = 0
            for c in range(4):
                if cdf[c] <= u[q]:
                    f += 1
            fmt[q] = f
            cols[0, q] = min(max(sm + ssd * zs[i], -1.0), 1.0)
            cols[1, q] = min(max(val + (0.0 + 0.4 * zs[m + i]), -1.0), 1.0)
            cols[2, q] = min(max(inten + 0.15 * zs[2 * m + i], 0.0), 1.0)
            cols[3, q] = min(max(qual + 0.1 * zs[3 * m + i], 0.0), 1.0)
            cols[4, q] = min(max(outr + 0.1 * zs[4 * m + i], 0.0), 1.0)
        at += m
    return source, fmt, cols


@njit
def _post_columns(u, z, gen, fmt_pref, opinion, valence, arousal, posters):
    """Format (by inversion of ``u`` on the cohort's cumulative preferences), stance, valence,
    intensity and quality of posters' new posts; ``z`` holds the stance normals, then the
    quality normals."""
    k = posters.shape[0]
    fmt = np.empty(k, dtype=np.int64)
    stance = np.empty(k)
    quality = np.empty(k)
    val = np.empty(k, dtype=valence.dtype)
    inten = np.empty(k, dtype=arousal.dtype)
    for i in range(k):
        who = posters[i]
        g = gen[who]
        cdf = 0.0
        f = 0
        for j in range(fmt_pref.shape[1]):
            cdf += fmt_pref[g, j]
            if u[i] > cdf:
                f += 1
        fmt[i] = min(f, 3)
        stance[i] = min(max(opinion[who] + 0.1 * z[i], -1.0), 1.0)
        quality[i] = min(max(0.5 + 0.15 * z[k + i], 0.0), 1.0)
        val[i] = valence[who]
        inten[i] = arousal[who]
    return fmt, stance, val, inten, quality


@njit
def _budget(
    balance, spent_total, published, staff, conversation, follow_src, item_hours, u, initial,
    ride_hours,
):  # fmt: skip
    """One step of the staff budget (docs/ODD.md 7.12), in :func:`publishing_hours`' and
    :func:`poisson_inverse`'s arithmetic: the new items per outlet (``initial`` more for the
    focal outlet), with the balance, hours spent and items published updated in place; returns
    them and the follow-ups per outlet. ``ride_hours`` are the hours each outlet's riding
    engagements take this step (docs/ODD.md 7.20; 0.0 when it does not ride, which leaves
    every sum the same bits)."""
    n = balance.shape[0]
    fu = np.zeros(n, dtype=np.int64)
    for i in range(follow_src.shape[0]):
        fu[follow_src[i]] += 1
    lam = np.empty(n)
    for k in range(n):
        hours = balance[k] + staff[k] - conversation[k] * staff[k] - fu[k] * item_hours
        hours -= ride_hours[k]
        lam[k] = max(hours, 0.0) / item_hours
    hi = 0.0
    for k in range(n):
        hi = max(hi, lam[k])
    counts = _poisson_counts(u, lam, int(hi + 10.0 * np.sqrt(hi) + 20))
    for k in range(n):
        spent = (counts[k] + fu[k]) * item_hours
        balance[k] += staff[k] - spent
        balance[k] -= ride_hours[k]
        spent_total[k] += spent
        spent_total[k] += ride_hours[k]
    counts[0] += initial
    for k in range(n):
        published[k] += counts[k]
    return counts, fu


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
    # outlets that ride users' trends (docs/ODD.md 7.20): what they engage this step is
    # decided first, so that its hours come out of this step's publishing time
    pl = ride.plan(world, t)
    ride_hours = pl.hours(p.reply_hours) if pl is not None else np.zeros(world.n_outlets)
    counts, fu = _budget(
        world.staff_balance,
        world.staff_spent,
        world.published,
        o["staff"],
        o["conversation_share"],
        world.content.source[box.outlet_items],
        float(p.item_hours),
        rng.random(world.n_outlets),
        p.initial_items if t == 1 else 0,
        ride_hours,
    )
    new = _outlet_items(world, counts, t)
    if world.topics.n > 1 and len(new):
        # the topics' own stream, after every other draw of the items (docs/ODD.md 7.18)
        world.content.topic[new] = draw_topics(
            world.topics.cdf, world.streams["topics"].random(len(new))
        )
    if pl is not None:
        ride.apply(world, t, pl, new)
    box.new_items = np.concatenate([box.outlet_items, new]) if len(box.outlet_items) else new
    box.outlet_items = np.zeros(0, dtype=np.int64)
    world.focal_items += int(fu[0] + counts[0])
    posters = sess.posters
    if len(posters):
        r = world.rng_posts
        k = len(posters)
        # the draws in their historical order: format, then the stance and quality normals
        u = r.random(k)
        z = r.standard_normal(2 * k)
        pfmt, stance, valence, intensity, quality = _post_columns(
            u, z, s.gen, world.fmt_pref, s.opinion, s.valence, s.arousal, posters
        )
        extra = post_topics(world, t, k) if topics_on(world.params) else {}
        items = world.content.add(
            source=posters,
            source_kind=USER,
            format=pfmt,
            stance=stance,
            valence=valence,
            intensity=intensity,
            quality=quality,
            created=t,
            appeal=s.appeal[posters],
            **extra,
        )
        box.queue_shares(posters, items)
        ride.co_publish(world, posters, items)


def post_topics(world: World, t: int, k: int) -> dict[str, np.ndarray]:
    """Topics of ``k`` new posts at step ``t`` and the items they derive from (docs/ODD.md 7.18).

    From the topics' stream: each post is derivative with probability ``derivative_share``
    (one uniform each, drawn only when the trending list is not empty and the share is
    positive) and then takes a topic drawn uniformly from the trending list (one integer per
    derivative post) and derives from that topic's most engaging item of the window (-1 if none
    was engaged with); every other post draws its topic from the Zipf law (one uniform each,
    only when there is more than one topic).
    """
    p, tp, c = world.params, world.topics, world.content
    rng = world.streams["topics"]
    topic = np.zeros(k, dtype=np.int32)
    derived = np.full(k, -1, dtype=np.int32)
    deriv = np.zeros(k, dtype=np.bool_)
    if p.derivative_share > 0 and len(tp.listed):
        deriv = rng.random(k) < p.derivative_share
        pick = tp.listed[rng.integers(0, len(tp.listed), size=int(deriv.sum()))]
        best = best_items(
            c.topic, c.created, c.likes, c.comments, c.forwards,
            int(t) - int(p.trending_window), tp.n,
        )  # fmt: skip
        topic[deriv] = pick
        derived[deriv] = best[pick]
    if tp.n > 1:
        rest = ~deriv
        topic[rest] = draw_topics(tp.cdf, rng.random(int(rest.sum())))
    return {"topic": topic, "derived": derived}
