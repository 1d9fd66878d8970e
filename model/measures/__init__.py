"""Measures: pure functions of a model, shared by data collection, the viewer and the experiments.

docs/ODD.md section 7.13 defines each measure; :mod:`model.measures.catalogue` declares each one
once (kind, when it is reported, cohorts, unit, range, a one-line doc) and owns the column format
``name[cohort]``. Every population measure takes ``by=None`` (one number) or ``by="generation"``
(a dict keyed by cohort). They read the model's arrays and cumulative tallies and never change
the model (two caches aside).

Modules: :mod:`~model.measures.population` (reach, dissemination, engagement, loyalty, trust,
emotion, belonging), :mod:`~model.measures.opinion` (variance, bimodality, clusters, echo
chambers), :mod:`~model.measures.cascades` (cascade trees and structural virality, Goel et al.
2016), :mod:`~model.measures.popularity` (popularity and its power-law tail, Weng et al. 2012;
Clauset, Shalizi & Newman 2009), :mod:`~model.measures.collect` (snapshot, final measures,
DataCollector). They type the model against :class:`~model.measures._world.World` and never
import the engine.
"""

from model.measures._cohort import By
from model.measures._world import World
from model.measures.cascades import (
    _compute_tree_stats,
    _ReachIndex,
    _tree_stats,
    cascade_depths,
    cascade_sizes,
    cascade_trees,
    max_cascade_size,
    mean_cascade_depth,
    mean_cascade_size,
    mean_structural_virality,
    structural_virality,
    tree_virality,
)
from model.measures.catalogue import (
    CATALOGUE,
    COHORTS,
    OVERALL,
    Measure,
    UnknownMeasureError,
    column,
    columns,
    measure,
    parse_column,
)
from model.measures.collect import STEP_MEASURES, build_datacollector, final_measures, snapshot
from model.measures.opinion import (
    _bimodality,
    _clusters,
    bimodality,
    echo_chamber_index,
    exposure_distance,
    opinion_clusters,
    opinion_variance,
)
from model.measures.popularity import MIN_TAIL, fit_power_law, popularity, popularity_tail
from model.measures.population import (
    adopted_share,
    belonging,
    daily_focal_viewers,
    days_to_reach,
    emotion_climate,
    engagement,
    follower_share,
    forwarded_views,
    forwards,
    forwards_per_item,
    mean_arousal,
    mean_daily_focal_viewers,
    mean_trust,
    mean_valence,
    platform_share,
    primary_share,
    reach,
    reach_non_followers,
    retention,
    secondary_share,
    social_channel_share,
    steps_to_reach,
    stickiness,
)

__all__ = [
    "CATALOGUE",
    "COHORTS",
    "MIN_TAIL",
    "OVERALL",
    "STEP_MEASURES",
    "By",
    "Measure",
    "UnknownMeasureError",
    "World",
    "_ReachIndex",
    "_bimodality",
    "_clusters",
    "_compute_tree_stats",
    "_tree_stats",
    "adopted_share",
    "belonging",
    "bimodality",
    "build_datacollector",
    "cascade_depths",
    "cascade_sizes",
    "cascade_trees",
    "column",
    "columns",
    "daily_focal_viewers",
    "days_to_reach",
    "echo_chamber_index",
    "emotion_climate",
    "engagement",
    "exposure_distance",
    "final_measures",
    "fit_power_law",
    "follower_share",
    "forwarded_views",
    "forwards",
    "forwards_per_item",
    "max_cascade_size",
    "mean_arousal",
    "mean_cascade_depth",
    "mean_cascade_size",
    "mean_daily_focal_viewers",
    "mean_structural_virality",
    "mean_trust",
    "mean_valence",
    "measure",
    "opinion_clusters",
    "opinion_variance",
    "parse_column",
    "platform_share",
    "popularity",
    "popularity_tail",
    "primary_share",
    "reach",
    "reach_non_followers",
    "retention",
    "secondary_share",
    "snapshot",
    "social_channel_share",
    "steps_to_reach",
    "stickiness",
    "structural_virality",
    "tree_virality",
]
