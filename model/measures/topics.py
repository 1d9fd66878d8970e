"""Topic measures: views and discussions per topic and per cohort, and the trending list
(docs/ODD.md 7.18).

The per-topic arrays (:func:`views_per_topic`, :func:`discussions_per_topic`) read the
tallies the attend and react phases keep per (cohort, topic) while a topic mechanism is on
(``model.topics.topics_on``; O(views) and O(comments) a step, nothing when off). With
topics off every item is topic 0: its views are every view (the cohort tallies of
``views_by`` give them per cohort) and its discussions every comment, which no tally splits by
cohort then (NaN per cohort).

The catalogue's scalar measures (on request, ``when="query"``): ``topic_views`` and
``topic_discussions`` are those of the leading topic (most views, resp. most comments; ties to
the lower index), per cohort the cohort's share of that same topic; ``trending_topics`` is the
number of topics that were on the trending list at some step.
"""

from __future__ import annotations

import numpy as np

from agents.generations import GENERATIONS
from model.measures._cohort import By, check_by
from model.measures._world import World
from model.topics import topics_on


def _split(by_topic: np.ndarray, per_cohort: np.ndarray, by: By):
    """``by_topic`` overall, or ``per_cohort`` (cohort x topic) as a dict keyed by cohort."""
    check_by(by)
    if by is None:
        return by_topic
    return {name: per_cohort[i] for i, name in enumerate(GENERATIONS)}


def views_per_topic(model: World, by: By = None):
    """Views of each topic's items (an array over topics), overall or per viewer cohort."""
    tp = model.topics
    if topics_on(model.params):
        return _split(tp.views_by.sum(axis=0), tp.views_by, by)
    c = model.content
    overall = np.bincount(c.topic, weights=c.views, minlength=tp.n).astype(np.int64)
    per = np.zeros((4, tp.n), dtype=np.int64)
    per[:, 0] = model.views_by.sum(axis=(1, 2))
    return _split(overall, per, by)


def discussions_per_topic(model: World, by: By = None):
    """Comments on each topic's items (an array over topics), overall or per commenter cohort
    (NaN per cohort while topics are off: no tally splits comments by cohort then)."""
    tp = model.topics
    if topics_on(model.params):
        return _split(tp.comments_by.sum(axis=0), tp.comments_by, by)
    c = model.content
    overall = np.bincount(c.topic, weights=c.comments, minlength=tp.n).astype(np.int64)
    return _split(overall, np.full((4, tp.n), np.nan), by)


def trending_list(model: World) -> np.ndarray:
    """The trending list of topics, best first (empty before the first update or when off)."""
    return model.topics.listed.copy()


def _lead(per_topic, overall: np.ndarray, by: By):
    """The leading topic's value (most of ``overall``, ties to the lower index), overall or
    per cohort; NaN without topics."""
    if len(overall) == 0:
        return float("nan") if by is None else dict.fromkeys(per_topic, float("nan"))
    k = int(np.argmax(overall))
    if by is None:
        return float(overall[k])
    return {name: float(v[k]) for name, v in per_topic.items()}


def topic_views(model: World, by: By = None):
    """Views of the most viewed topic's items; per cohort, the cohort's views of that topic."""
    overall = views_per_topic(model)
    return _lead(views_per_topic(model, by) if by else None, overall, by)


def topic_discussions(model: World, by: By = None):
    """Comments on the most discussed topic's items; per cohort, the cohort's comments on it."""
    overall = discussions_per_topic(model)
    return _lead(discussions_per_topic(model, by) if by else None, overall, by)


def trending_topics(model: World) -> float:
    """Number of topics that have been on the trending list at some step."""
    return float(model.topics.ever.sum())
