"""Topics, the trending list of topics, derivative posts and creator appeal (docs/ODD.md 7.18).

Hand-computed cases for each piece (the Zipf draw, the topic scores and ranks, the list's entry
steps, the per-topic best items, the topic-restricted trending pool, the appeal's odds
multiplier, the measures), the defaults' neutrality (nothing drawn, every item topic 0) and the
invariants of a run with every topic mechanism on.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from model import OpinionEcology, Params
from model.content import OUTLET, USER, ContentStore, top_engaged, top_engaged_on
from model.measures import catalogue
from model.measures import topics as tm
from model.population import init_appeal
from model.step.publish import post_topics
from model.step.react import _appeal, _forwards
from model.topics import (
    Topics,
    best_items,
    draw_topics,
    rank_topics,
    topic_scores,
    topics_on,
    zipf_cdf,
)

ON = dict(n_topics=8, trending_size=3, derivative_share=0.3, trending_by="topics")


def _i(*x):
    return np.array(x, dtype=np.int64)


# ------------------------------------------------------------------------------ the topic draw
def test_zipf_by_hand():
    # s = 1 over 3 topics: weights 1, 1/2, 1/3, sum 11/6 -> cdf 6/11, 9/11, 1
    cdf = zipf_cdf(3, 1.0)
    assert cdf == pytest.approx([6 / 11, 9 / 11, 1.0])
    # inversion: the number of cdf entries at or below u
    got = draw_topics(cdf, np.array([0.0, 0.5, 0.546, 0.6, 0.85, 0.999999]))
    assert got.tolist() == [0, 0, 1, 1, 2, 2]
    assert zipf_cdf(4, 0.0) == pytest.approx([0.25, 0.5, 0.75, 1.0])  # s = 0: uniform


def test_zipf_draw_frequencies():
    """The draw's frequencies match the law: 20,000 draws over 5 topics at s = 1.5; each
    share within 5 binomial standard errors (a false alarm about once in 10^6 runs)."""
    cdf = zipf_cdf(5, 1.5)
    p = np.diff(np.concatenate([[0.0], cdf]))
    n = 20_000
    got = np.bincount(draw_topics(cdf, np.random.default_rng(1).random(n)), minlength=5) / n
    assert np.abs(got - p).max() < 5 * np.sqrt(p * (1 - p) / n).max()


# ------------------------------------------------------------------------- the trending list
def test_topic_scores_and_rank_by_hand():
    """Five items: the first, created at step 2, is outside the window (since = 4).

    weights views 1, comments 5, forwards 5:
    topic 0: item 1 (10 views, 1 comment) = 15
    topic 1: item 2 (4 views, 3 forwards) = 19
    topic 2: item 3 (15 views) = 15; item 0 (100 views, created at 2) does not count
    topic 3: item 4 (no engagement) = 0
    rank: 1 (19), then 0 and 2 tie at 15 -> the lower index first; topic 3 never (score 0).
    """
    topic = np.array([2, 0, 1, 2, 3], np.int32)
    created = np.array([2, 4, 5, 6, 6], np.int32)
    views = _i(100, 10, 4, 15, 0)
    comments = _i(0, 1, 0, 0, 0)
    forwards = _i(0, 0, 3, 0, 0)
    score = topic_scores(topic, created, views, comments, forwards, 4, 5, 1.0, 5.0, 5.0)
    assert score.tolist() == [15.0, 19.0, 15.0, 0.0, 0.0]
    assert rank_topics(score, 2).tolist() == [1, 0]
    assert rank_topics(score, 10).tolist() == [1, 0, 2]


def test_the_list_remembers_when_each_topic_entered():
    tp = Topics(Params(n_topics=4))
    assert tp.listed.tolist() == [] and (tp.since == -1).all()
    tp.set_list(_i(1, 0), 5)
    assert tp.rank.tolist() == [1, 0, -1, -1] and tp.since.tolist() == [5, 5, -1, -1]
    # topic 1 stays (entered at 5), topic 0 leaves, topic 2 enters at 6
    tp.set_list(_i(2, 1), 6)
    assert tp.rank.tolist() == [-1, 1, 0, -1] and tp.since.tolist() == [-1, 5, 6, -1]
    assert tp.ever.tolist() == [True, True, True, False] and tp.updated == 6
    assert tp.trending_since(_i(1, 3)).tolist() == [5, -1]
    # a topic that left and comes back starts a new spell
    tp.set_list(_i(0), 9)
    assert tp.since.tolist() == [9, -1, -1, -1]


def test_update_ranks_the_store_over_the_window():
    c = ContentStore()
    c.add(source=_i(0, 0, 0), source_kind=OUTLET, created=np.array([1, 8, 9]), topic=_i(0, 1, 2))
    c.views[:] = [50, 3, 2]
    c.comments[:] = [0, 0, 1]
    tp = Topics(Params(n_topics=3, trending_size=2))
    # window 24 from step 10: all three count (0: 50, 1: 3, 2: 2 + 5)
    tp.update(c, Params(n_topics=3, trending_size=2), 10)
    assert tp.listed.tolist() == [0, 2]
    # window 5 from step 10 (since 5): item 0 drops out; 2 (7) before 1 (3)
    tp.update(c, Params(n_topics=3, trending_size=2, trending_window=5), 10)
    assert tp.listed.tolist() == [2, 1] and tp.since.tolist() == [-1, 10, 10]


def test_best_items_by_hand():
    # topic 0: items 0 (2 likes) and 2 (1 comment + 1 forward): a tie, the earlier wins;
    # topic 1: item 1 (3 forwards); topic 2: item 3, not engaged -> -1; item 4 outside
    topic = np.array([0, 1, 0, 2, 1], np.int32)
    created = np.array([5, 5, 6, 6, 1], np.int32)[[4, 0, 1, 2, 3]]  # sorted: 1, 5, 5, 6, 6
    topic = topic[[4, 0, 1, 2, 3]]
    likes, comments, forwards = _i(9, 2, 0, 0, 0), _i(0, 0, 0, 1, 0), _i(0, 0, 3, 1, 0)
    got = best_items(topic, created, likes, comments, forwards, 2, 3)
    assert got.tolist() == [1, 2, -1]


def test_trending_pool_of_listed_topics_by_hand():
    created = np.array([0, 0, 1, 1, 1], np.int32)
    likes, comments, forwards = _i(5, 1, 2, 0, 9), _i(0, 0, 1, 0, 0), _i(0, 0, 0, 0, 0)
    topic = np.array([1, 0, 1, 1, 2], np.int32)
    on = np.array([False, True, False])
    # topic 1's engaged items, most first: item 0 (5), item 2 (3); item 3 has none
    assert top_engaged_on(created, likes, comments, forwards, 0, 5, topic, on).tolist() == [0, 2]
    assert top_engaged_on(created, likes, comments, forwards, 0, 1, topic, on).tolist() == [0]
    # every topic on: the same as top_engaged
    every = np.ones(3, bool)
    assert (
        top_engaged_on(created, likes, comments, forwards, 0, 5, topic, every).tolist()
        == top_engaged(created, likes, comments, forwards, 0, 5).tolist()
    )


def test_trending_channel_by_topics_shows_the_listed_topics_items():
    m = OpinionEcology(n_users=50, n_topics=3, trending_by="topics", seed=0, n_background=0)
    c = m.content
    t = 3
    ids = c.add(source=_i(0, 0, 0), source_kind=OUTLET, created=np.full(3, t), topic=_i(0, 1, 1))
    c.likes[ids] = [10, 2, 4]
    m.topics.set_list(_i(1), t)
    assert m.trending_items(t, top=5).tolist() == [ids[2], ids[1]]
    m.topics.set_list(_i(0), t)
    assert m.trending_items(t, top=5).tolist() == [ids[0]]
    # the items channel ignores the list
    assert m.params.replace(trending_by="items").trending_by == "items"


# ----------------------------------------------------------------------- content and parents
def test_follow_ups_and_comments_keep_their_parents_topic():
    c = ContentStore()
    c.add(source=_i(0, 1), source_kind=OUTLET, created=0, topic=_i(4, 7))
    kids = c.add(source=_i(0, 1, 2), source_kind=USER, created=1, parent=_i(1, 0, -1))
    assert c.topic[kids].tolist() == [7, 4, 0]
    assert (c.derived == -1).all() and (c.appeal == 0).all()
    # a topic given explicitly wins
    own = c.add(source=_i(0), source_kind=USER, created=1, parent=_i(1), topic=_i(2))
    assert c.topic[own].tolist() == [2]


def test_derivative_posts_take_a_listed_topic_and_its_best_item():
    m = OpinionEcology(n_users=50, seed=0, n_topics=4, derivative_share=1.0)
    c = m.content
    t = 2
    ids = c.add(source=_i(0, 0, 0), source_kind=OUTLET, created=np.full(3, t), topic=_i(3, 3, 1))
    c.likes[ids] = [1, 6, 2]
    m.topics.set_list(_i(3), t)
    got = post_topics(m, t, 5)
    # share 1: every post is derivative, on topic 3, derived from its best item
    assert got["topic"].tolist() == [3] * 5 and got["derived"].tolist() == [ids[1]] * 5
    # share 0 with topics: Zipf draws, no derivation
    m2 = OpinionEcology(n_users=50, seed=0, n_topics=4)
    m2.topics.set_list(_i(3), t)
    got = post_topics(m2, t, 200)
    assert (got["derived"] == -1).all() and set(got["topic"].tolist()) <= {0, 1, 2, 3}
    assert np.bincount(got["topic"])[0] > np.bincount(got["topic"], minlength=4)[3]


# ------------------------------------------------------------------------------ the defaults
def _fresh_streams(seed: int) -> dict:
    return {
        k: g.bit_generator.state for k, g in OpinionEcology(n_users=60, seed=seed).streams.items()
    }


def test_the_defaults_draw_nothing_and_keep_every_item_on_topic_zero():
    m = OpinionEcology(n_users=300, seed=4, strategy="interactive").run(30)
    fresh = _fresh_streams(4)
    for name in ("topics", "creators"):
        assert m.streams[name].bit_generator.state == fresh[name], name
    c = m.content
    assert len(c) > 0 and (c.topic == 0).all() and (c.derived == -1).all()
    assert (c.appeal == 0).all() and (m.state.appeal == 0).all()
    assert not topics_on(m.params) and m.topics.listed.tolist() == []
    assert m.topics.views_by.sum() == 0  # no tally kept


# ------------------------------------------------------------------------ a run with topics on
@pytest.fixture(scope="module")
def on_run():
    return OpinionEcology(n_users=400, seed=2, strategy="interactive", **ON).run(60)


def test_a_run_with_topics_keeps_its_invariants(on_run):
    m = on_run
    c, tp = m.content, m.topics
    # the tallies count every view and comment, each under its item's topic
    assert tp.views_by.sum() == c.views.sum() > 0
    assert tp.comments_by.sum() == c.comments.sum() > 0
    assert (tp.views_by.sum(axis=0) == np.bincount(c.topic, c.views, tp.n)).all()
    # a follow-up or a community comment has its parent's topic
    kids = np.flatnonzero(c.parent >= 0)
    assert (c.topic[kids] == c.topic[c.parent[kids]]).all()
    # a derivative post is a user's post on its source item's topic, created after it
    d = np.flatnonzero(c.derived >= 0)
    assert len(d) > 0 and (c.source_kind[d] == USER).all()
    assert (c.topic[d] == c.topic[c.derived[d]]).all() and (
        c.created[c.derived[d]] <= c.created[d]
    ).all()
    # the list: at most trending_size topics, each entered at or before now
    assert 0 < len(tp.listed) <= 3 and tp.updated == m.steps
    assert (tp.since[tp.listed] >= 0).all() and (tp.since[tp.listed] <= tp.updated).all()
    assert ((tp.rank >= 0) == (tp.since >= 0)).all()
    assert m.topic_trending_since(tp.listed).tolist() == tp.since[tp.listed].tolist()


def test_measures_by_hand():
    m = OpinionEcology(n_users=50, seed=0, n_topics=3)
    tp = m.topics
    # views: topic 1 leads (3 + 4 + 0 + 1 = 8 against 5 and 2); comments: topic 2 (6)
    tp.views_by[:] = [[1, 3, 0], [2, 4, 1], [1, 0, 1], [1, 1, 0]]
    tp.comments_by[:] = [[0, 1, 2], [0, 0, 4], [1, 0, 0], [0, 0, 0]]
    tp.set_list(_i(2, 0), 4)
    tp.set_list(_i(1), 5)
    assert tm.views_per_topic(m).tolist() == [5, 8, 2]
    assert tm.views_per_topic(m, by="generation")["post90"].tolist() == [2, 4, 1]
    assert catalogue.measure("topic_views").compute(m) == 8.0
    by = catalogue.measure("topic_views").compute(m, by="generation")
    assert by == {"post00": 3.0, "post90": 4.0, "post80": 0.0, "pre80": 1.0}
    assert catalogue.measure("topic_discussions").compute(m) == 6.0
    assert catalogue.measure("topic_discussions").compute(m, by="generation")["post90"] == 4.0
    # topics 2, 0 and then 1 were on the list: three ever; the list now is [1]
    assert catalogue.measure("trending_topics").compute(m) == 3.0
    assert tm.trending_list(m).tolist() == [1]
    assert catalogue.measure("topic_views").when == "query"  # not in the step snapshot


def test_measures_with_topics_off_read_the_store_and_the_cohort_tallies():
    m = OpinionEcology(n_users=200, seed=1).run(10)
    assert tm.views_per_topic(m).tolist() == [int(m.content.views.sum())]
    per = tm.views_per_topic(m, by="generation")
    assert sum(int(v[0]) for v in per.values()) == int(m.content.views.sum())
    assert tm.discussions_per_topic(m).tolist() == [int(m.content.comments.sum())]
    assert all(
        math.isnan(v)
        for v in catalogue.measure("topic_discussions").compute(m, "generation").values()
    )
    assert catalogue.measure("trending_topics").compute(m) == 0.0


# ---------------------------------------------------------------------------- creator appeal
def test_appeal_by_hand():
    """Two views: an outlet item (untouched) and a user's post of appeal a = 3.

    like: q = min(1, 2 x 0.1 x 0.5) = 0.1, odds 1/9 x 3 = 1/3 -> q' = 0.25: draw 0.2 likes,
    draw 0.3 would not; forward: p = 0.2, odds 0.25 x 3 = 0.75 -> 3/7 = 0.4286."""
    it = _i(0, 1)
    kind = np.array([OUTLET, USER], np.int8)
    appeal = np.array([0.0, math.log(3.0)], np.float32)
    res = np.array([0.5, 0.5])
    like = np.array([False, False])
    mult = np.ones(2)
    _appeal(it, kind, appeal, res, np.array([0.0, 0.2]), 0.2, like, mult)
    assert like.tolist() == [False, True] and mult[1] == pytest.approx(3.0) and mult[0] == 1.0
    like2 = np.array([True, True])
    _appeal(it, kind, appeal, res, np.array([0.0, 0.3]), 0.2, like2, np.ones(2))
    assert like2.tolist() == [True, False]  # the outlet's like stays as judged
    p_fwd, keep, outlet = np.array([0.2, 0.2]), np.ones(2), np.array([False, False])
    fwd = _forwards(p_fwd, np.array([0.42, 0.43]), outlet, np.array([3.0, 3.0]), keep)
    assert fwd.tolist() == [True, False]  # 3/7 = 0.4286
    # a neutral post (mult 1) keeps p: 0.19 < 0.2
    assert _forwards(p_fwd[:1], np.array([0.19]), outlet[:1], np.ones(1), keep[:1])[0]


def test_init_appeal():
    a = np.zeros(5, np.float32)
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    init_appeal(Params(n_users=5), rng, a)
    assert (a == 0).all() and rng.bit_generator.state == before  # off: nothing drawn
    init_appeal(Params(n_users=5, creator=2, creator_appeal=50.0), rng, a)
    assert a[2] == np.float32(math.log(50.0)) and (a[[0, 1, 3, 4]] == 0).all()


def test_appeal_is_lognormal_with_median_one():
    """ln a_i = sigma z_i: over 20,000 users at sigma = 1 the median of a is 1 and the share
    above e (z > 1) is 1 - Phi(1) = 0.1587, both within 0.02 (more than 5 standard errors of a
    share, 0.0026)."""
    a = np.zeros(20_000, np.float32)
    init_appeal(Params(n_users=20_000, creator_sigma=1.0), np.random.default_rng(3), a)
    assert abs(np.median(np.exp(a)) - 1.0) < 0.02
    assert abs((a > 1.0).mean() - 0.1587) < 0.02


def test_creator_refused_outside_the_population():
    with pytest.raises(ValueError, match=r"creator=10 exceeds n_users=10 - 1.*0\.\.9"):
        Params(n_users=10, creator=10)


def test_an_appealing_creator_outgrows_every_outlet():
    """A seeded small model: the designated creator (the user with most followers) with appeal
    1000 posts an item that more users view than any outlet's item; with appeal 1 (neutral)
    no post of theirs does."""
    base = OpinionEcology(n_users=400, seed=11)
    hub = int(np.argmax(base.networks.followers.degree))
    kw = dict(n_users=400, seed=11, user_post_prob=0.2, steps=48, creator=hub)
    for appeal, outgrows in ((1000.0, True), (1.0, False)):
        m = OpinionEcology(**kw, creator_appeal=appeal).run()
        c = m.content
        mine = (c.source_kind == USER) & (c.source == hub)
        assert mine.any()
        best_outlet = c.views[c.source_kind == OUTLET].max()
        assert (c.views[mine].max() > best_outlet) == outgrows, appeal


def test_a_branch_may_switch_derivative_posts_and_the_channel_but_not_the_topics():
    from model.snapshot import BranchError

    m = OpinionEcology(n_users=100, seed=3, n_topics=4).run(5)
    b = m.branch(derivative_share=0.5, trending_by="topics", trending_size=2)
    b.run(20)
    assert (b.content.derived >= 0).any() and not (m.content.derived >= 0).any()
    with pytest.raises(BranchError, match="n_topics"):
        m.branch(n_topics=8)
