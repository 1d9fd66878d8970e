"""The measures table: the current step's measures, overall and per generation, as HTML."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from model import OpinionEcology
from model.measures import COHORTS, OVERALL, measure

#: Rows of the measures table, in this order (names in ``model.measures.CATALOGUE``).
TABLE_MEASURES = (
    "reach",
    "secondary_share",
    "engagement",
    "stickiness",
    "retention",
    "followers",
    "trust",
    "belonging",
    "valence",
    "arousal",
    "social_channel_share",
    "opinion_variance",
    "bimodality",
    "opinion_clusters",
    "echo_chamber",
)

#: What the table shows, above it on the page (HTML; definitions from model/measures.py).
TABLE_CAPTION = (
    "Rows are measures, columns the whole population (<i>all</i>) and each generation. "
    "<b>Cumulative since the start</b>: <i>reach</i> (share of users who viewed at least one focal "
    "item), <i>secondary_share</i> (share of focal views that came through a forward), "
    "<i>engagement</i> (likes + comments + forwards per focal view), <i>social_channel_share</i> "
    "(share of all views from the social screen). <i>retention</i>: share of the initial "
    "followers who still follow. <i>stickiness</i>: followers active on focal items in the last "
    "day (24 steps), per follower. The rest are the state now: <i>followers</i> (share following "
    "the focal outlet), mean <i>trust</i> in it and <i>belonging</i> to its community, mean <i>valence</i> "
    "and <i>arousal</i>, and the opinion climate (<i>opinion_variance</i>, Sarle's <i>bimodality</i> "
    "coefficient, above 5/9 suggests two modes, <i>opinion_clusters</i>, <i>echo_chamber</i>: "
    "correlation of opinions across acquaintance ties). Shares and means lie in [0, 1] "
    "(valence, opinions in [-1, 1]). In a comparison, B - A is arm B minus arm A."
)


def measures_table(arms: Mapping[str, OpinionEcology]) -> pd.DataFrame:
    """Current measures (rows) overall and per generation (columns), from each model's snapshot.

    With two arms the columns are (cohort, arm) plus ``B - A`` per cohort.
    """
    cohorts = (OVERALL, *COHORTS)

    def one(m: OpinionEcology) -> pd.DataFrame:
        snap = m.last_snapshot
        rows = {k: [snap[c] for c in measure(k).columns] for k in TABLE_MEASURES}
        return pd.DataFrame.from_dict(rows, orient="index", columns=list(cohorts))

    tables = {label: one(m) for label, m in arms.items()}
    if len(tables) == 1:
        return next(iter(tables.values()))
    (la, ta), (lb, tb) = tables.items()
    parts = {}
    for c in cohorts:
        parts[(c, la)] = ta[c]
        parts[(c, lb)] = tb[c]
        parts[(c, "B - A")] = tb[c] - ta[c]
    return pd.DataFrame(parts)


def table_html(table: pd.DataFrame) -> str:
    """The measures table as HTML (no JavaScript needed)."""
    html = table.to_html(
        float_format=lambda v: f"{v:.3f}", na_rep="-", classes="oe-table", border=0
    )
    style = (
        "<style>.oe-table{border-collapse:collapse;font-size:12px;font-family:sans-serif}"
        ".oe-table th,.oe-table td{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}"
        ".oe-table tbody th{text-align:left}"
        # the row labels stay in view while a wide comparison scrolls sideways in its box
        ".oe-table tbody th,.oe-table thead th:first-child{position:sticky;left:0;"
        "background:#fff;z-index:1}</style>"
    )
    return style + html
