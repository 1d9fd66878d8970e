"""The catalogue of measures: each measure declared once, and the one format of its columns.

A :class:`Measure` says what a measure is (kind, when it is reported, whether it has a column
per cohort, whether it accumulates over the run, its unit and range, a one-line doc for tables
and tooltips) and how it is computed. The step snapshot, the final measures, the DataCollector's
reporters, the experiment specs' ``metrics`` and the report's tables all read this catalogue;
docs/ODD.md section 7.13 defines each measure exactly.

Columns: a measure ``reach`` is reported overall as ``reach`` and, per cohort, as
``reach[post00]``. :func:`column` builds that name and :func:`parse_column` splits it; nothing
else writes or parses the format.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from agents.generations import GENERATIONS
from model.measures import (
    calibration,
    cascades,
    follow_network,
    opinion,
    population,
    ride,
    topics,
)

#: The cohorts of the per-cohort columns, in column order.
COHORTS: tuple[str, ...] = GENERATIONS
#: The label tables and long result frames give the overall value (the column without a cohort).
OVERALL = "all"

Kind = Literal["population", "opinion", "cascade", "run"]
When = Literal["step", "final", "query"]


class UnknownMeasureError(ValueError):
    """A measure or cohort name the catalogue does not hold; the message names the closest."""


@dataclass(frozen=True)
class Measure:
    """One measure.

    Attributes:
        name: The snapshot key and column name.
        kind: What it describes: ``population`` (reach, loyalty, trust, emotion), ``opinion``
            (the opinion climate), ``cascade`` (the recorded items' trees) or ``run`` (totals
            and timing of the run).
        when: ``step`` measures are in every step's snapshot, the DataCollector and the final
            measures; ``final`` measures only in :func:`~model.measures.final_measures`.
        doc: One line for tables and tooltips.
        unit: What one unit is.
        lo: Smallest possible value (None: unbounded).
        hi: Largest possible value (None: unbounded or set by the run, e.g. its length).
        compute: ``compute(model, by=None)`` for a per-cohort measure, else ``compute(model)``.
        per_cohort: Reported per cohort as well (``name[cohort]``).
        cumulative: Counts everything since step 0 rather than the current state.
        joint: Optional ``joint(model) -> (overall, {cohort: value})`` in one pass, which the
            snapshot uses instead of two calls of ``compute``.
        experiment: An experiment spec may name it in ``metrics`` (and ``"all"`` keeps it).
        opinion_only: Its value depends on the opinions alone (cohorts and ties are fixed), so
            the snapshot may reuse it while no opinion has moved.
    """

    name: str
    kind: Kind
    when: When
    doc: str
    unit: str
    lo: float | None
    hi: float | None
    compute: Callable[..., Any]
    per_cohort: bool = True
    cumulative: bool = False
    joint: Callable[[Any], tuple[Any, dict[str, Any]]] | None = None
    experiment: bool = True
    opinion_only: bool = False

    @property
    def title(self) -> str:
        """The name as a table row or panel title: ``secondary_share`` -> ``Secondary share``."""
        return self.name.replace("_", " ").capitalize()

    @property
    def range(self) -> tuple[float | None, float | None]:
        """(lo, hi), None for an open end."""
        return self.lo, self.hi

    @property
    def columns(self) -> tuple[str, ...]:
        """Its columns: the overall one, then one per cohort if it has them."""
        if not self.per_cohort:
            return (self.name,)
        return (self.name, *(_join(self.name, g) for g in COHORTS))


def _join(name: str, cohort: str) -> str:
    """The one place the per-cohort column format is written (:func:`parse_column` reads it)."""
    return f"{name}[{cohort}]"


_SHARE = "share of users"
#: One row per measure: Measure(name, kind, when, doc, unit, lo, hi, compute, ...).
_DECLARED = (
    # ---------------------------------------------------------------- every step, per cohort
    Measure("reach", "population", "step", "Share of users who viewed at least one focal item",
        _SHARE, 0.0, 1.0, population.reach, cumulative=True),
    Measure("reach_non_followers", "population", "step",
        "Share of users who never followed the focal outlet that viewed a focal item", _SHARE,
        0.0, 1.0, population.reach_non_followers, cumulative=True),
    Measure("daily_focal_viewers", "population", "step",
        "Share of users who viewed at least one focal item in the last day", _SHARE, 0.0, 1.0,
        population.daily_focal_viewers),
    Measure("secondary_share", "population", "step",
        "Share of focal views that came through a forward", "share of focal views", 0.0, 1.0,
        population.secondary_share, cumulative=True),
    Measure("primary_share", "population", "step",
        "Share of focal views the outlet delivered (followers' direct screens, targeting)",
        "share of focal views", 0.0, 1.0, population.primary_share, cumulative=True),
    Measure("platform_share", "population", "step",
        "Share of focal views the platform's trending top-up delivered", "share of focal views",
        0.0, 1.0, population.platform_share, cumulative=True),
    Measure("forwards", "population", "step",
        "Forwards of focal items (per cohort: by the cohort's users)", "forwards", 0.0, None,
        population.forwards, cumulative=True),
    Measure("forwarded_views", "population", "step",
        "Views of focal items that came through a forward (per cohort: the cohort's views)",
        "views", 0.0, None, population.forwarded_views, cumulative=True),
    Measure("forwards_per_item", "population", "step",
        "Forwards of focal items per focal item published (per cohort: by the cohort's users)",
        "forwards per item", 0.0, None, population.forwards_per_item, cumulative=True),
    Measure("social_channel_share", "population", "step",
        "Share of all views taken from the social screen (social, recommended, trending)",
        "share of views", 0.0, 1.0, population.social_channel_share, cumulative=True),
    Measure("engagement", "population", "step",
        "Likes, comments and forwards of focal items per focal view", "reactions per view",
        0.0, 3.0, population.engagement, cumulative=True),
    Measure("community_members", "population", "step",
        "Share of users who are members of the focal outlet's community", _SHARE, 0.0, 1.0,
        population.community_members),
    Measure("stickiness", "population", "step",
        "Followers who engaged with a focal item in the last day, per follower",
        "share of followers", 0.0, 1.0, population.stickiness),
    Measure("retention", "population", "step",
        "Share of the focal outlet's initial followers who never unfollowed it",
        "share of initial followers", 0.0, 1.0, population.retention),
    Measure("followers", "population", "step", "Share of users who follow the focal outlet",
        _SHARE, 0.0, 1.0, population.follower_share),
    Measure("trust", "population", "step", "Mean trust in the focal outlet", "trust T", 0.0, 1.0,
        population.mean_trust),
    Measure("valence", "population", "step", "Mean emotional valence", "valence", -1.0, 1.0,
        population.mean_valence),
    Measure("arousal", "population", "step", "Mean emotional arousal", "arousal", 0.0, 1.0,
        population.mean_arousal),
    Measure("belonging", "population", "step", "Mean belonging to the focal outlet's community",
        "belonging B", 0.0, 1.0, population.belonging),
    Measure("opinion_variance", "opinion", "step", "Variance of opinions", "opinion^2", 0.0, 1.0,
        opinion.opinion_variance, opinion_only=True),
    Measure("bimodality", "opinion", "step",
        "Sarle's bimodality coefficient of opinions (above 5/9 suggests two modes)",
        "coefficient", 0.0, 1.0, opinion.bimodality, opinion_only=True),
    Measure("opinion_clusters", "opinion", "step",
        "Opinion clusters holding at least 5% of users", "clusters", 0.0, 20.0,
        opinion.opinion_clusters, joint=opinion.clusters_joint, opinion_only=True),
    Measure("echo_chamber", "opinion", "step",
        "Correlation of opinions across acquaintance ties", "Pearson r", -1.0, 1.0,
        opinion.echo_chamber_index, joint=opinion.echo_joint, opinion_only=True),
    Measure("exposure_distance", "opinion", "step",
        "Mean opinion distance of the items each user viewed (exposure-based echo chamber)",
        "|opinion - stance|", 0.0, 2.0, opinion.exposure_distance, cumulative=True),
    # ---------------------------------------------------------------- at the end of a run
    # reach speed: in steps not (yet) in the experiments' result columns (docs/experiments.md);
    # in days (days_to_reach_50) it is, beside the run mean of the daily focal viewers
    Measure("steps_to_reach_50", "run", "final", "First step at which reach was at least 50%",
        "steps", 0.0, None, partial(population.steps_to_reach, share=0.5), per_cohort=False,
        experiment=False),
    Measure("steps_to_reach_90", "run", "final", "First step at which reach was at least 90%",
        "steps", 0.0, None, partial(population.steps_to_reach, share=0.9), per_cohort=False,
        experiment=False),
    Measure("days_to_reach_50", "run", "final",
        "Time until reach was first at least 50%, in days (steps / 24)", "days", 0.0, None,
        partial(population.days_to_reach, share=0.5), per_cohort=False),
    Measure("daily_focal_viewers_mean", "population", "final",
        "Mean over the run's steps of the daily focal viewers", _SHARE, 0.0, 1.0,
        population.mean_daily_focal_viewers, per_cohort=False),
    Measure("cascade_mean_size", "cascade", "final", "Mean users reached per recorded item",
        "users", 0.0, None, cascades.mean_cascade_size, per_cohort=False, cumulative=True),
    Measure("cascade_max_size", "cascade", "final", "Most users reached by one recorded item",
        "users", 0.0, None, cascades.max_cascade_size, per_cohort=False, cumulative=True),
    Measure("cascade_mean_depth", "cascade", "final", "Mean depth of the recorded cascade trees",
        "hops", 0.0, None, cascades.mean_cascade_depth, per_cohort=False, cumulative=True),
    Measure("structural_virality", "cascade", "final",
        "Mean pairwise distance in the recorded cascade trees (Goel et al. 2016)", "hops",
        1.0, None, cascades.mean_structural_virality, per_cohort=False, cumulative=True),
    Measure("replies", "run", "final", "Replies the focal outlet sent", "replies", 0.0, None,
        population.reply_count, per_cohort=False, cumulative=True),
    Measure("staff_hours", "run", "final",
        "Staff-hours the focal outlet spent (items, follow-ups, replies, reviews, community)",
        "staff-hours", 0.0, None, population.staff_hours, per_cohort=False, cumulative=True),
    Measure("published", "run", "final", "Focal items published (follow-ups included)",
        "items", 0.0, None, population.published, per_cohort=False, cumulative=True),
    Measure("items", "run", "final", "Items created (every outlet and user)", "items", 0.0, None,
        population.item_count, per_cohort=False, cumulative=True),
    # ---------------------------------------------------------------- on request
    Measure("adopted_share", "population", "query",
        "Share of users who forwarded (adopted) at least one item", _SHARE, 0.0, 1.0,
        population.adopted_share, per_cohort=False, cumulative=True, experiment=False),
    # the user follow layer (docs/ODD.md 7.19): O(ties), so on request
    Measure("follow_discordant_share", "opinion", "query",
        "Share of user follow ties whose follower is outside its bound of the account's opinion",
        "share of ties", 0.0, 1.0, follow_network.discordant_share, per_cohort=False,
        experiment=False),
    Measure("follow_cross_share", "opinion", "query",
        "Share of user follow ties between users on opposite sides of opinion 0",
        "share of ties", 0.0, 1.0, follow_network.cross_share, per_cohort=False,
        experiment=False),
    Measure("follow_modularity", "opinion", "query",
        "Directed modularity of the split by opinion sign over the user follow ties",
        "modularity Q", -0.5, 1.0, follow_network.modularity, per_cohort=False,
        experiment=False),
    Measure("user_follow_changes", "population", "query",
        "Follows plus unfollows of user accounts in the last step", "ties", 0.0, None,
        follow_network.follow_changes, per_cohort=False, experiment=False),
    # ---------------------------------------------------------------- calibration targets
    # on request, at the end of a run (experiments/targets.py; docs/evidence.md, "Calibration
    # targets"): the snapshot and the experiments' columns do not carry them
    Measure("weekly_commenters", "population", "query",
        "Share of users who commented on a news (outlet) item in the last week", _SHARE, 0.0,
        1.0, calibration.weekly_commenters, experiment=False),
    Measure("top10_contribution_share", "population", "query",
        "Share of posts, forwards and news comments made by the most active 10% of users",
        "share of contributions", 0.0, 1.0, calibration.top10_contribution_share,
        per_cohort=False, cumulative=True, experiment=False),
    Measure("incivility_share", "population", "query",
        "Uncivil share of user comments on outlet items", "share of comments", 0.0, 1.0,
        calibration.incivility_share, per_cohort=False, cumulative=True, experiment=False),
    Measure("focal_incivility_share", "population", "query",
        "Uncivil share of user comments on the focal outlet's items", "share of comments", 0.0,
        1.0, calibration.focal_incivility_share, per_cohort=False, cumulative=True,
        experiment=False),
    Measure("unfollow_rate", "population", "query",
        "Daily unfollow hazard of the focal outlet's initial followers implied by retention",
        "per follower per day", 0.0, 1.0, calibration.unfollow_rate, experiment=False),
    Measure("ties_broken_51d", "population", "query",
        "Share of initial followers the run's daily unfollow hazard breaks in 51 days",
        "share of initial followers", 0.0, 1.0, calibration.ties_broken_51d, experiment=False),
    Measure("weekly_reach", "population", "query",
        "Share of users who viewed a focal item in the last week", _SHARE, 0.0, 1.0,
        calibration.weekly_reach, experiment=False),
    Measure("engagement_per_impression", "population", "query",
        "Likes, comments and forwards of focal items per delivery of one to a screen",
        "reactions per impression", 0.0, 3.0, calibration.engagement_per_impression,
        per_cohort=False, cumulative=True, experiment=False),
    Measure("never_forwarded_share", "cascade", "query",
        "Share of outlet items nobody forwarded", "share of items", 0.0, 1.0,
        calibration.never_forwarded_share, per_cohort=False, cumulative=True, experiment=False),
    Measure("commenter_return", "population", "query",
        "Share of focal commenters who commented on a focal item again in a later step",
        "share of commenters", 0.0, 1.0, calibration.commenter_return, cumulative=True,
        experiment=False),
    # ---------------------------------------------------------------- topics (docs/ODD.md 7.18)
    # on request: per topic, model.measures.topics gives the arrays these summarise
    Measure("topic_views", "population", "query",
        "Views of the most viewed topic's items (per cohort: the cohort's views of that topic)",
        "views", 0.0, None, topics.topic_views, cumulative=True, experiment=False),
    Measure("topic_discussions", "population", "query",
        "Comments on the most discussed topic's items (per cohort: the cohort's comments on it)",
        "comments", 0.0, None, topics.topic_discussions, cumulative=True, experiment=False),
    Measure("trending_topics", "run", "query",
        "Topics that were on the platform's trending list at some step", "topics", 0.0, None,
        topics.trending_topics, per_cohort=False, cumulative=True, experiment=False),
    # ----------------------------------------- outlets that ride a trend (docs/ODD.md 7.20)
    Measure("follower_gain", "population", "query",
        "The focal outlet's followers gained since it first rode a trending topic (NaN: never)",
        "followers", None, None, ride.follower_gain, per_cohort=False, cumulative=True,
        experiment=False),
    Measure("topic_view_share", "population", "query",
        "The focal outlet's items' share of the views of the topics it rode (NaN: none)",
        "share of views", 0.0, 1.0, ride.topic_view_share, per_cohort=False, cumulative=True,
        experiment=False),
)  # fmt: skip

#: Every measure by name, in report order: the step measures, then the final ones.
CATALOGUE: dict[str, Measure] = {m.name: m for m in _DECLARED}


def _closest(name: str, valid: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(valid), n=3, cutoff=0.5)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def measure(name: str) -> Measure:
    """The declaration of ``name``; an unknown name raises naming the closest ones."""
    try:
        return CATALOGUE[name]
    except (KeyError, TypeError):
        raise UnknownMeasureError(
            f"unknown measure {name!r}{_closest(str(name), CATALOGUE)} "
            f"(measures: {', '.join(CATALOGUE)})"
        ) from None


def measures(
    when: When | None = None, kind: Kind | None = None, experiment: bool | None = None
) -> tuple[Measure, ...]:
    """The declarations, in catalogue order, optionally only those reported ``when``, of
    ``kind`` or (not) allowed in experiment specs; without ``when``, the step and final ones
    (``query`` measures only when asked for by name or by ``when="query"``)."""
    return tuple(
        m
        for m in _DECLARED
        if (m.when != "query" if when is None else m.when == when)
        and (kind is None or m.kind == kind)
        and (experiment is None or m.experiment == experiment)
    )


def names(
    when: When | None = None, kind: Kind | None = None, experiment: bool | None = None
) -> tuple[str, ...]:
    """The names of :func:`measures`."""
    return tuple(m.name for m in measures(when, kind, experiment))


def check_cohort(cohort: str) -> str:
    """``cohort`` if it is one of :data:`COHORTS`; else raise naming the closest."""
    if cohort not in COHORTS:
        raise UnknownMeasureError(
            f"unknown cohort {cohort!r}{_closest(str(cohort), COHORTS)} "
            f"(cohorts: {', '.join(COHORTS)})"
        )
    return cohort


def column(name: str, cohort: str | None = None) -> str:
    """The column of measure ``name`` overall (``cohort=None``) or for one cohort.

    ``column("reach", "post00") == "reach[post00]"``. Raises for an unknown measure or cohort
    and for a cohort of a measure reported overall only.
    """
    m = measure(name)
    if cohort is None:
        return m.name
    check_cohort(cohort)
    if not m.per_cohort:
        raise UnknownMeasureError(f"measure {name!r} has no per-cohort columns")
    return _join(m.name, cohort)


def parse_column(col: str, strict: bool = True) -> tuple[str, str | None]:
    """Split a column into (measure, cohort or None): ``"reach[post00]" -> ("reach", "post00")``.

    Args:
        col: A column name.
        strict: Also require the measure to be in the catalogue (with a per-cohort column if
            one is named). With ``strict=False`` any name is accepted, e.g. a column of a
            user-supplied table; the cohort, if any, must still be one of :data:`COHORTS`.
    """
    name, bracket, rest = col.partition("[")
    cohort = None
    if bracket:
        if not rest.endswith("]") or "[" in rest or not name:
            raise UnknownMeasureError(f"column {col!r} is neither 'measure' nor 'measure[cohort]'")
        cohort = check_cohort(rest[:-1])
    if strict:
        column(name, cohort)
    return name, cohort


def columns(measure_names: Iterable[str] | None = None, step_only: bool = False) -> list[str]:
    """Every column of the given measures (default: all), in order; with ``step_only``, only
    those of the step measures (the time series)."""
    chosen = names() if measure_names is None else measure_names
    return [
        c for n in chosen if not step_only or measure(n).when == "step" for c in measure(n).columns
    ]


def cohort_label(cohort: str | None) -> str:
    """The cohort as tables label it: the cohort, or :data:`OVERALL` for None."""
    return OVERALL if cohort is None else cohort
