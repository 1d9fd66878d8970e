"""Generation (cohort) profiles as data: one row per cohort, every value with its source.

Only ``social_share`` is data: the share of news taken through social media in the seed's
survey (ages 18-29: 47%, 30-49: 42%, 50+: 23%), mapped onto cohorts as post00 0.47, post90 0.45
(the 18-29/30-49 boundary runs through the post-90s, so it sits between), post80 0.42,
pre80 0.23. The mapping is an *assumption*. Everything else is an *assumption* chosen to
express the brief's qualitative claims (younger cohorts live on social channels and short
video, react more strongly and trust institutions less). Activity, attention and media trust
are sweepable through ``activity_scale``, ``attention_scale`` and ``trust_shift`` of
:class:`model.Params`; format preference, reactivity, peer trust and arousal are fixed data
here (edit the table to change them). docs/ODD.md lists each value with its source.
"""

from __future__ import annotations

import numpy as np

GENERATIONS: tuple[str, ...] = ("post00", "post90", "post80", "pre80")
FORMATS: tuple[str, ...] = ("text", "image", "short_video", "long_video")

#: One dict per cohort. Keys: social_share (data), format_pref (text, image, short_video,
#: long_video; sums to 1), activity (session probability per hourly step), attention (mean
#: items viewed per session), reactivity (emotional reactivity in [0, 1]), trust_media
#: (baseline institutional trust), trust_peers (interpersonal trust), arousal (baseline).
PROFILES: dict[str, dict] = {
    "post00": {
        "social_share": 0.47,  # data: survey 18-29
        "format_pref": (0.10, 0.25, 0.50, 0.15),  # assumption: short video first
        "activity": 0.30,  # assumption
        "attention": 6.0,  # assumption
        "reactivity": 0.80,  # assumption
        "trust_media": 0.45,  # assumption
        "trust_peers": 0.62,  # assumption
        "arousal": 0.45,  # assumption
    },
    "post90": {
        "social_share": 0.45,  # data: survey 18-29 / 30-49, mapped (assumption)
        "format_pref": (0.15, 0.25, 0.42, 0.18),
        "activity": 0.26,
        "attention": 5.0,
        "reactivity": 0.70,
        "trust_media": 0.50,
        "trust_peers": 0.60,
        "arousal": 0.40,
    },
    "post80": {
        "social_share": 0.42,  # data: survey 30-49
        "format_pref": (0.28, 0.27, 0.25, 0.20),
        "activity": 0.20,
        "attention": 4.5,
        "reactivity": 0.55,
        "trust_media": 0.56,
        "trust_peers": 0.57,
        "arousal": 0.35,
    },
    "pre80": {
        "social_share": 0.23,  # data: survey 50+
        "format_pref": (0.40, 0.25, 0.10, 0.25),
        "activity": 0.14,
        "attention": 4.0,
        "reactivity": 0.45,
        "trust_media": 0.62,
        "trust_peers": 0.55,
        "arousal": 0.30,
    },
}

#: Which values are data and which are assumptions (docs/ODD.md prints this table).
SOURCES: dict[str, str] = {
    "social_share": "data (survey: 18-29 47%, 30-49 42%, 50+ 23%); cohort mapping is an assumption",
    "format_pref": "assumption (younger cohorts prefer short video); not a parameter: the outlet's "
    "fmt_* mix is swept against it",
    "activity": "assumption; swept via activity_scale",
    "attention": "assumption; swept via attention_scale",
    "reactivity": "assumption",
    "trust_media": "assumption; swept via trust_shift",
    "trust_peers": "assumption",
    "arousal": "assumption",
}


def profile_arrays() -> dict[str, np.ndarray]:
    """The profiles as arrays indexed by generation code (0 = post00 ... 3 = pre80)."""
    keys = PROFILES[GENERATIONS[0]].keys()
    return {k: np.array([PROFILES[g][k] for g in GENERATIONS], dtype=np.float64) for k in keys}
