"""Model parameters: one frozen dataclass, the only place a parameter is declared.

Every field is declared with :func:`model.schema.field`: its default, its constraint
(:class:`~model.schema.Interval` or :class:`~model.schema.Options`), a group (for the viewer's
controls), the symbol of the paper it comes from and a doc string. The same declaration
validates constructor calls, presets and TOML sweeps, builds the viewer's sliders and prints
``--help`` (:meth:`Params.spec`, :meth:`Params.help`; docs/ODD.md, Appendix A, is generated
from it).

Each rule field (``forwarding``, ``opinion``, ``emotion``, ``following``, ...) holds the chosen
rule with its parameters: the rules declare their own (model/rules/, ``Settings``), addressed
as ``opinion.contacts`` in Python (``params.opinion.contacts``, ``Params(**{"opinion.contacts":
5})``), in specs, in the viewer and on the command line; a parameter of a rule that is not the
chosen one has no effect and warns (:class:`UnusedParameterWarning`), as does a field that only
some rules read (``peer_choice``, ``peer_mixing``, ``forward_p``: each rule declares them in
its ``uses``) set while none of them is chosen. The groups follow the
step: population, network, outlets, strategy, platform, then behaviour by phase (attention,
reactions, trust, emotion, belonging and churn, peer exchange), and the run.

This file is long because every field carries its doc string here, once; splitting the fields
over files would split the one declaration.

Each field also says where its default comes from (``basis``: data, calibrated or assumption,
with a note and the range to sweep; docs/ODD.md, Calibration notes, "Basis of every parameter").
Values marked *assumption* are defaults to be swept, not facts.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

from model import schema
from model.constants import MAX_USERS
from model.rules import registry as rules
from model.rules.base import Chosen
from model.schema import Interval, Options, field, posterior, unknown_name_message
from model.strategies import STRATEGY_PRESETS, Strategy

__all__ = ["ALIASES", "CALIBRATED", "Params", "UnusedParameterWarning", "unknown_name_message"]

#: The addresses whose defaults are a particle of the calibration's posterior (generation 3 of
#: experiments/specs/calibration.toml's ABC-SMC run): exactly the fields declared with
#: ``basis="calibrated"`` (tests/unit/test_odd_parameters.py checks both ways), so that a field
#: is not called calibrated without a calibration that fitted it.
CALIBRATED: tuple[str, ...] = (
    "base_comment",
    "base_like",
    "following.churn_prob",
    "following.churn_belonging",
    "belonging_decay",
    "belonging_gain",
    "community_gain",
    "activity_scale",
    "attention.attention_scale",
    "user_post_prob",
    "w_emotion",
    "w_value",
)


class UnusedParameterWarning(UserWarning):
    """A rule's parameter was set but that rule is not the chosen one: the value has no effect."""


#: Old flat names of rule parameters and rule fields, still accepted, -> their address.
ALIASES: dict[str, str] = {
    **{
        name: f"{key}.{name}"
        for key, names in {
            "forwarding": ("base_forward", "threshold_phi", "threshold_kind", "threshold_dist"),
            "feed_choice": ("recency_tau",),
            "attention": ("attention_scale",),
            "opinion": (
                "peer_mu",
                "susceptibility",
                "peer_weights",
                "controversy",
                "social_coupling",
                "contact_homophily",
                "contacts",
                "activity_exponent",
                "activity_min",
                "reciprocity",
                "opinion_dt",
            ),
            "peer_choice": ("peer_bias",),
            "feed_ranking": ("ranking_bias",),
            "emotion": ("emotion_relax", "emotion_pull"),
            "following": (
                "churn_prob",
                "churn_belonging",
                "churn_trust",
                "churn_overload",
                "voter_q",
                "voter_p",
                "voter_rounds",
            ),
        }.items()
        for name in names
    },
    # the user follow layer (docs/ODD.md 7.19): the names the issue gave them
    "user_follow_prob": "user_follow.like_follow_prob",
    "user_unfollow_prob": "user_follow.unfollow_prob",
    "user_follow_cap": "user_follow.cap",
    "user_rewire": "user_follow.rewire",
    **{
        f"emo_{name}": f"emotion.{name}"
        for name in (
            "gamma_v",
            "gamma_a",
            "drive",
            "noise_v",
            "noise_a",
            "threshold",
            "gamma_h",
            "field_gain",
            "coupling_v",
            "coupling_a",
        )
    },
}

#: Rule fields renamed to their registry's name (the prefix of their parameters).
RENAMED_RULES = {
    "forward_model": "forwarding",
    "opinion_rule": "opinion",
    "emotion_rule": "emotion",
    "follow_rule": "following",
}


def _rule_parameters() -> dict[str, tuple[schema.Field, tuple[str, ...]]]:
    """``"<rule field>.<parameter>"`` -> (its declaration with the rules that use it named in
    ``rules``, those rules), over every registry, as registered now (a rule registered after
    the first Params, such as a plug-in, gets its addresses too)."""
    return _rule_parameters_at(rules.generation)


@cache
def _rule_parameters_at(generation: int) -> dict[str, tuple[schema.Field, tuple[str, ...]]]:
    """:func:`_rule_parameters` at registry ``generation`` (the cache key)."""
    out = {}
    for reg in rules.REGISTRIES.values():
        for name, (f, users) in reg.parameters().items():
            out[name] = (dataclasses.replace(f, rules=users), users)
    return out


def _fold(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Keywords with old names translated and rule parameters put into their chosen rules.

    A parameter of a rule that is not the chosen one is checked, then dropped: silently at its
    default (``to_dict`` lists every rule's parameters), with an :class:`UnusedParameterWarning`
    naming the rule that would use it otherwise.
    """
    out: dict[str, Any] = {}
    params: dict[str, dict[str, Any]] = {}
    for name, value in kwargs.items():
        name = RENAMED_RULES.get(name, ALIASES.get(name, name))
        if name in _rule_parameters():
            key, par = name.split(".", 1)
            params.setdefault(key, {})[par] = value
        else:
            out[name] = value
    defaults = schema.schema_of(Params).fields
    for key, values in params.items():
        reg = rules.REGISTRIES[key]
        chosen = reg.chosen(out.get(key, defaults[key].default))
        mine = {k: v for k, v in values.items() if hasattr(chosen.settings, k)}
        for k, v in values.items():
            if k in mine:
                continue
            address = f"{key}.{k}"
            f, users = _rule_parameters()[address]
            if f.check(address, v) != f.default:
                warnings.warn(
                    f"{address}={v!r} has no effect: it is a parameter of the {key} rule "
                    f"{' or '.join(map(repr, users))}, and {key} is {str(chosen)!r}",
                    UnusedParameterWarning,
                    stacklevel=4,
                )
        out[key] = chosen.with_settings(**mine) if mine else chosen
    _warn_unread(out)
    return out


def _shown(value: Any) -> str:
    """A value as a warning names it: a rule as its name and its parameters."""
    if isinstance(value, Chosen):
        args = ", ".join(f"{k}={v!r}" for k, v in value.settings.values().items())
        return f"{str(value)!r}{f' ({args})' if args else ''}"
    return repr(value)


def _warn_unread(out: dict[str, Any]) -> None:
    """Warn (:class:`UnusedParameterWarning`) for each field that only some rules read
    (``peer_choice``, ``peer_mixing``, ``forward_p``: :func:`model.rules.registry.readers`) set
    off its default while none of those rules is chosen, naming the rules that read it."""
    defaults = schema.schema_of(Params).fields
    chosen = {key: out.get(key, defaults[key].default) for key in rules.REGISTRIES}
    chosen = {key: rules.REGISTRIES[key].chosen(v) for key, v in chosen.items()}
    used = rules.fields_in_use(chosen)
    for name, readers in rules.readers().items():
        if name in used or name not in out:
            continue
        f = defaults[name]
        if name in rules.REGISTRIES:
            value, default = chosen[name], rules.REGISTRIES[name].chosen(f.default)
        else:
            value, default = f.check(name, out[name]), f.default
        if value == default:
            continue
        by_key: dict[str, list[str]] = {}
        for key, rule in readers:
            by_key.setdefault(key, []).append(repr(rule))
        who = ", ".join(
            f"the {key} rule{'s' if len(r) > 1 else ''} {' or '.join(r)}"
            for key, r in by_key.items()
        )
        now = ", ".join(
            f"{key} is {str(chosen[key])!r}"
            if rules.in_use(key, chosen)
            else f"{key} is not in use"
            for key in by_key
        )
        verb = "reads" if len(readers) == 1 else "read"
        warnings.warn(
            f"{name}={_shown(value)} has no effect: only {who} {verb} it, and {now}",
            UnusedParameterWarning,
            stacklevel=5,
        )


def _coerce_strategy(value: Any) -> Strategy:
    """A preset name, a dict of switches or a Strategy, as a Strategy."""
    if isinstance(value, Strategy):
        return value
    if isinstance(value, str):
        return Strategy.preset(value)
    if isinstance(value, dict):
        return Strategy(**value)
    raise TypeError(
        f"strategy must be a preset name ({', '.join(STRATEGY_PRESETS)}) or a model.Strategy, "
        f"got {value!r}"
    )


@dataclass(frozen=True)
class Params(schema.Declared):
    """All parameters of :class:`model.OpinionEcology`.

    Construct with keywords; a wrong value raises ``ValueError`` naming the field, the value and
    what is allowed; an unknown name raises ``TypeError`` suggesting the closest valid name.
    """

    # --- population: who the users are ------------------------------------------------------------
    n_users: int = field(
        2000,
        Interval(int, 2, MAX_USERS),
        group="population",
        symbol="N",
        label="Number of users N",
        unit="users",
        doc="Number of users N.",
    )
    mix_post00: float = field(
        0.20,
        Interval(float, 0.0, 1.0),
        group="population",
        label="Weight of post-00s",
        unit="",
        doc="Population weight of the post-00 cohort (normalised with the other three; assumption).",
    )
    mix_post90: float = field(
        0.25,
        Interval(float, 0.0, 1.0),
        group="population",
        label="Weight of post-90s",
        unit="",
        doc="Weight of post-90s (assumption).",
    )
    mix_post80: float = field(
        0.25,
        Interval(float, 0.0, 1.0),
        group="population",
        label="Weight of post-80s",
        unit="",
        doc="Weight of post-80s (assumption).",
    )
    mix_pre80: float = field(
        0.30,
        Interval(float, 0.0, 1.0),
        group="population",
        label="Weight of pre-80s",
        unit="",
        doc="Weight of pre-80s (assumption).",
    )
    initial_opinion: Chosen = field(
        "normal",
        Options.of(rules.INITIAL_OPINION),
        coerce=rules.INITIAL_OPINION.chosen,
        value_kind=str,
        group="population",
        label="Initial opinions",
        unit="",
        doc="Initial opinion distribution: N(0, 0.4) clipped, or U(-1, 1) (Deffuant et al. 2000).",
    )
    epsilon: float = field(
        0.4,
        Interval(float, 0.001, 2.0),
        group="population",
        symbol="ε",
        label="Confidence bound ε",
        unit="opinion scale",
        doc="Confidence bound epsilon of bounded-confidence updating (Deffuant et al. 2000; opinions live in [-1, 1]).",
    )
    epsilon_sd: float = field(
        0.05,
        Interval(float, 0.0, 1.0),
        group="population",
        label="Spread of ε between users",
        unit="opinion scale",
        doc="Between-user spread of epsilon (assumption).",
    )
    trust_shift: float = field(
        0.0,
        Interval(float, -0.5, 0.5),
        group="population",
        label="Trust shift, all cohorts",
        unit="scale 0-1",
        doc="Added to every cohort's baseline institutional trust (assumption; swept in when_interactive_wins).",
        sweep=(-0.3, 0.3),
    )

    # --- network: who knows and follows whom ------------------------------------------------------
    acq_degree: int = field(
        10,
        Interval(int, 0, 200),
        group="network",
        symbol="k",
        label="Acquaintance degree k",
        unit="ties",
        doc="Mean degree k of the acquaintance layer (Watts-Strogatz ring, k/2 ties each side, so an odd "
        "k acts as k-1; 0 switches the layer off).",
    )
    acq_rewire: float = field(
        0.1,
        Interval(float, 0.0, 1.0),
        group="network",
        symbol="β",
        label="Small-world rewiring β",
        unit="probability",
        doc="Rewiring probability beta of the small world (Watts & Strogatz 1998).",
    )
    acq_homophily: float = field(
        0.7,
        Interval(float, 0.0, 1.0),
        group="network",
        label="Generation homophily",
        unit="share 0-1",
        doc="Share of users placed among their own generation on the ring (generation homophily; assumption).",
    )
    follow_model: str = field(
        "powerlaw",
        Options("powerlaw", "erdos_renyi", "none", "erdos_renyi_undirected", "complete"),
        group="network",
        label="Follow layer",
        unit="",
        doc="Follow layer: heavy-tailed in-degree (Chung-Lu fitness), Erdos-Renyi, or none; "
        "'erdos_renyi_undirected' makes every tie mutual (mean degree z = follow_degree; Watts "
        "2002), 'complete' has everyone follow everyone (complete mixing; Granovetter 1978).",
    )
    follow_degree: float = field(
        15.0,
        Interval(float, 0.0, 500.0),
        group="network",
        symbol="c",
        label="Follows per user c",
        unit="accounts",
        doc="Mean follows drawn per user (out-degree c); repeated follows of hubs collapse, so small "
        "populations realise fewer.",
    )
    follow_exponent: float = field(
        2.3,
        Interval(float, 1.5, 5.0),
        group="network",
        symbol="γ",
        label="Follow in-degree γ",
        unit="",
        doc="Power-law exponent gamma of the follow in-degree.",
    )
    # a real network replaces a generated layer (model/edgelists.py, docs/networks.md): a path
    # is data, not a quantity, so it has no range to sweep; its basis is the file itself
    acquaintance_edges: str = field(
        "",
        group="network",
        label="Acquaintance edge list",
        unit="file",
        doc="Edge list (CSV or Parquet, columns source,target; undirected) read as the "
        "acquaintance layer instead of the small world; '' draws the small world. n_users "
        "must equal its users.",
    )
    follow_edges: str = field(
        "",
        group="network",
        label="Follow edge list",
        unit="file",
        doc="Edge list (CSV or Parquet, columns source,target: source follows target) read as "
        "the follow layer instead of follow_model; '' draws follow_model. n_users must equal "
        "its users.",
    )
    organic_reach: float = field(
        0.5,
        Interval(float, 0.0, 1.0),
        group="network",
        label="Organic reach per tie",
        unit="probability",
        doc="Probability that a forward or post is shown to each member of the sharer's audience (per tie).",
    )

    # --- outlets: what the focal and background outlets publish, and their staff ------------------
    n_background: int = field(
        3,
        Interval(int, 0, 20),
        group="outlets",
        label="Background outlets",
        unit="outlets",
        doc="Number of background outlets competing for attention.",
    )
    outlet_rate: float = field(
        1.0,
        Interval(float, 0.0, 50.0),
        group="outlets",
        label="Focal items per step",
        unit="per step",
        doc="Items the focal outlet publishes per step (Poisson mean).",
    )
    background_rate: float = field(
        2.0,
        Interval(float, 0.0, 50.0),
        group="outlets",
        label="Background outlet items",
        unit="per step",
        doc="Items each background outlet publishes per step.",
    )
    focal_follow_share: float = field(
        0.3,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Initial focal followers",
        unit="share 0-1",
        doc="Share of users who follow the focal outlet at the start (scaled by each cohort's direct-channel use).",
    )
    focal_followers: int = field(
        -1,
        Interval(int, -1, MAX_USERS),
        group="outlets",
        label="Exact initial followers",
        unit="users",
        doc="Exactly this many random initial followers of the focal outlet (-1: use focal_follow_share).",
    )
    initial_items: int = field(
        0,
        Interval(int, 0, 10_000),
        group="outlets",
        label="Seed items at step 1",
        unit="items",
        doc="Extra focal items published at the first step (a seed item for cascade experiments).",
    )
    background_follow_share: float = field(
        0.5,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Background outlet follows",
        unit="probability",
        doc="Probability a user follows each background outlet.",
    )
    stance_mean: float = field(
        0.2,
        Interval(float, -1.0, 1.0),
        group="outlets",
        label="Focal item stance",
        unit="opinion scale",
        doc="Mean stance of the focal outlet's items.",
        sweep=(0, 0.6),
    )
    stance_sd: float = field(
        0.3,
        Interval(float, 0.0, 2.0),
        group="outlets",
        label="Spread of focal stances",
        unit="opinion scale",
        doc="Spread of the focal outlet's stances.",
    )
    intensity: float = field(
        0.5,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Focal item intensity",
        unit="scale 0-1",
        doc="Mean emotional intensity of the focal outlet's items.",
    )
    quality: float = field(
        0.7,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Focal item quality",
        unit="scale 0-1",
        doc="Mean quality of the focal outlet's items.",
    )
    fmt_text: float = field(
        0.3,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Format weight: text",
        unit="",
        doc="Focal outlet's weight on text.",
    )
    fmt_image: float = field(
        0.3,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Format weight: image",
        unit="",
        doc="Focal outlet's weight on images.",
    )
    fmt_short_video: float = field(
        0.3,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Format weight: short video",
        unit="",
        doc="Focal outlet's weight on short video.",
    )
    fmt_long_video: float = field(
        0.1,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Format weight: long video",
        unit="",
        doc="Focal outlet's weight on long video.",
    )
    interactive_share: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Background: interactive",
        unit="share 0-1",
        doc="Share of the background outlets that run the 'interactive' strategy (the first "
        "round(share x n_background)); the rest run 'one_way' (assumption; sweep 0-1).",
        sweep=(0, 1),
    )
    background_ride_share: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Background: riding trends",
        unit="share 0-1",
        doc="Share of the background outlets that ride users' trends (the first round(share x "
        "n_background); docs/ODD.md 7.20; 0: none; assumption).",
        sweep=(0.0, 1.0),
    )
    background_ride_delay: int = field(
        24,
        Interval(int, 1, 10_000),
        group="outlets",
        label="Background riding delay",
        unit="steps",
        doc="Steps a topic must have trended before the first riding background outlet joins; "
        "the j-th joins background_ride_spacing x j steps later (docs/ODD.md 7.20; assumption).",
        sweep=(1, 96),
    )
    background_ride_spacing: int = field(
        0,
        Interval(int, 0, 10_000),
        group="outlets",
        label="Background riding spacing",
        unit="steps",
        doc="Steps between the delays of consecutive riding background outlets (the talent "
        "scramble's spread; docs/ODD.md 7.20; assumption).",
        sweep=(0, 48),
    )
    background_ride_items: float = field(
        0.5,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Background riding items",
        unit="share 0-1",
        doc="Share of a riding background outlet's items published on the topics it rides "
        "(Strategy.ride_share for them; docs/ODD.md 7.20; assumption).",
        sweep=(0.1, 1.0),
    )
    ride_engage: bool = field(
        True,
        group="outlets",
        label="Riders engage the creator",
        unit="",
        doc="Whether riding outlets reply to and forward the topic's creator item (docs/ODD.md "
        "7.20; False knocks the engagement out, e.g. for explain; inert while nothing rides).",
    )
    ride_invite: bool = field(
        True,
        group="outlets",
        label="Riders invite the creator",
        unit="",
        doc="Whether riding outlets invite the creator item's author and co-publish their next "
        "post (docs/ODD.md 7.20; False knocks the invitation out; inert while nothing rides).",
    )
    item_hours: float = field(
        0.5,
        Interval(float, 0.01, 100.0),
        group="outlets",
        label="Staff time per item",
        unit="staff-hours",
        doc="Staff time per published item (follow-ups included). It also sets each outlet's staff "
        "budget: outlet_rate x item_hours staff-hours per step (background outlets: "
        "background_rate x item_hours), the staff that publish that many items when they do "
        "nothing else (30 min per item, docs/evidence.md 4; assumption, sweep 0.25-2).",
        sweep=(0.25, 2),
    )
    reply_hours: float = field(
        0.05,
        Interval(float, 0.001, 10.0),
        group="outlets",
        label="Staff time per reply",
        unit="staff-hours",
        doc="Staff time per reply: 3 min (docs/evidence.md 4; assumption, sweep 0.02-0.2).",
        sweep=(0.02, 0.2),
    )
    review_hours: float = field(
        0.0083,
        Interval(float, 0.001, 1.0),
        group="outlets",
        label="Staff time per review",
        unit="staff-hours",
        doc="Staff time per reviewed comment: 0.0083 h, about 30 s (derived from the NYT "
        "community desk, docs/evidence.md 3; sweep 0.003-0.025).",
        basis="data",
        basis_note="derived from the NYT community desk: 14 moderators, about 12,000 comments a "
        "day, about 30 s per comment (docs/evidence.md 3)",
        sweep=(0.003, 0.025),
    )
    member_hours: float = field(
        0.004,
        Interval(float, 0.0001, 10.0),
        group="outlets",
        label="Staff time per member-day",
        unit="staff-hours",
        doc="Staff time to host one community member for a day (an 8-hour day per 2,000 members; "
        "assumption, sweep 0.001-0.02). A community holds at most community_share x budget / "
        "(member_hours / 24) members.",
        sweep=(0.001, 0.02),
    )
    community_join: float = field(
        0.5,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Joining the community",
        unit="probability",
        doc="Probability that a civil supportive commenter with trust and belonging 1 joins the "
        "outlet's community; a commenter joins with this x (trust + belonging) / 2, halved for a "
        "critical comment; uncivil commenters never join (assumption, sweep 0.05-1).",
        sweep=(0.05, 1),
    )
    moderation_recall: float = field(
        0.3,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Moderation recall",
        unit="probability",
        doc="Probability that a reviewed uncivil comment is removed (assumption with a derived "
        "hint that real removal rates are low, docs/evidence.md 3; sweep 0.05-0.8).",
        sweep=(0.05, 0.8),
    )
    moderation_precision: float = field(
        0.8,
        Interval(float, 0.01, 1.0),
        group="outlets",
        label="Moderation precision",
        unit="share 0-1",
        doc="Share of removals that are uncivil; civil reviewed comments are wrongly removed with "
        "probability recall (1 - prec) / prec x incivility / (1 - incivility) (assumption, "
        "docs/evidence.md 3; sweep 0.5-0.95).",
        sweep=(0.5, 0.95),
    )
    valence_mean: float = field(
        0.0,
        Interval(float, -1.0, 1.0),
        group="outlets",
        label="Focal item valence",
        unit="scale -1 to 1",
        doc="Mean valence of the focal outlet's items before outrage (assumption).",
    )
    outrage: float = field(
        0.1,
        Interval(float, 0.0, 1.0),
        group="outlets",
        label="Outrage of focal items",
        unit="scale 0-1",
        doc="Mean outrage (moral-emotional, out-group language) of the focal outlet's items "
        "(assumption; sweep 0-1).",
        sweep=(0, 1),
    )
    outrage_valence: float = field(
        0.5,
        Interval(float, 0.0, 2.0),
        group="outlets",
        label="Valence drop from outrage",
        unit="",
        doc="How far outrage pulls item valence down: mean valence - this x outrage (assumption).",
        sweep=(0, 1),
    )
    follow_up_share: float = field(
        0.03,
        Interval(float, 0.0, 1.0, closed="right"),
        group="outlets",
        label="Follow-up threshold",
        unit="share 0-1",
        doc="Comments on an item, as a share of its outlet's followers, that trigger a follow-up "
        "(scale-free; 0.03 is the former 20 comments at about 600 followers; assumption, sweep "
        "0.01-0.1).",
        sweep=(0.01, 0.1),
    )

    # --- strategy: the focal outlet's (docs/ODD.md 2.4) -------------------------------------------
    strategy: Any = field(
        "one_way",
        Options(*STRATEGY_PRESETS),
        group="strategy",
        coerce=_coerce_strategy,
        label="Strategy preset",
        unit="",
        doc="The focal outlet's strategy: a preset name or a model.Strategy (docs/ODD.md, section 2.4).",
    )

    # --- platform: the same for every outlet in every arm (docs/ODD.md 2.5) -----------------------
    share_friction: float = field(
        0.35,
        Interval(float, 0.0, 0.95),
        group="platform",
        label="Share-button friction",
        unit="share 0-1",
        doc="The platform's share friction: forwards of outlet items are multiplied by "
        "(1 - friction + the outlet's share prompt). The share button belongs to the platform "
        "(assumption between 0.1 and 0.6; sweep 0-0.95).",
        sweep=(0, 0.95),
    )
    comments_visible: bool = field(
        True,
        group="platform",
        label="Comments visible",
        unit="",
        doc="The platform shows comments under items: signed social proof, the nasty effect and "
        "moderation's effect on the thread only act when True.",
    )
    feed_ranking: Chosen = field(
        "chronological",
        Options.of(rules.FEED_RANKING),
        coerce=rules.FEED_RANKING.chosen,
        value_kind=str,
        group="platform",
        label="Social feed ranking",
        unit="",
        doc="How the platform ranks social-feed slots: by recency (format x trust, as chosen by "
        "feed_choice), by engagement with recency, critical and uncivil comments counting "
        "against, or personalised by opinion similarity (algorithmic bias, Sirbu et al. 2019). "
        "Default chronological (assumption).",
    )
    screen_size: int = field(
        10,
        Interval(int, 1, 1000),
        group="platform",
        label="Screen capacity",
        unit="items",
        doc="Capacity of each FIFO screen (Weng et al. 2012).",
    )
    trending_prob: float = field(
        1.0,
        Interval(float, 0.0, 1.0),
        group="platform",
        label="Trending top-up",
        unit="probability",
        doc="Probability the platform tops up a short social feed with trending items (0 = never).",
    )

    # --- topics, the trending list of topics, derivative posts, creators (docs/ODD.md 7.18) ------
    # Off at the defaults: one topic, the trending channel's item pool, no derivative posts and
    # every creator equally appealing, so that the calibrated model is unchanged.
    n_topics: int = field(
        1,
        Interval(int, 1, 1_000_000),
        group="platform",
        label="Number of topics",
        unit="topics",
        doc="Number of topics items belong to (1: topics off; every item is topic 0).",
        sweep=(1, 1000),
    )
    topic_zipf: float = field(
        1.0,
        Interval(float, 0.0, 5.0),
        group="platform",
        symbol="s",
        label="Topic Zipf exponent s",
        unit="",
        doc="Zipf exponent s of topic popularity: a new item's topic is k with probability "
        "proportional to (k + 1)^-s (0: uniform).",
        basis_note="heavy-tailed popularity, as of the memes in Weng et al. 2012",
        sweep=(0.5, 2.0),
    )
    trending_by: str = field(
        "items",
        Options("items", "topics"),
        group="platform",
        label="Trending channel shows",
        unit="",
        doc="What the trending channel shows: the day's most engaging items ('items') or the "
        "most engaging recent items of the topics on the trending list ('topics').",
    )
    trending_size: int = field(
        10,
        Interval(int, 1, 10_000),
        group="platform",
        label="Trending list length",
        unit="topics",
        doc="Length of the platform's trending list of topics.",
        sweep=(5, 50),
    )
    trending_window: int = field(
        24,
        Interval(int, 1, 24 * 30),
        group="platform",
        label="Trending window",
        unit="steps",
        doc="Window (steps) of recent engagement that ranks topics: items created in the last "
        "trending_window steps count.",
        sweep=(6, 72),
    )
    trending_w_views: float = field(
        1.0,
        Interval(float, 0.0, 1000.0),
        group="platform",
        label="Trend weight: views",
        unit="",
        doc="Weight of a view in a topic's trending score.",
        sweep=(0.0, 1.0),
    )
    trending_w_comments: float = field(
        5.0,
        Interval(float, 0.0, 1000.0),
        group="platform",
        label="Trend weight: comments",
        unit="",
        doc="Weight of a comment in a topic's trending score.",
        sweep=(1.0, 20.0),
    )
    trending_w_forwards: float = field(
        5.0,
        Interval(float, 0.0, 1000.0),
        group="platform",
        label="Trend weight: forwards",
        unit="",
        doc="Weight of a forward in a topic's trending score.",
        sweep=(1.0, 20.0),
    )
    derivative_share: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="platform",
        label="Derivative user posts",
        unit="share 0-1",
        doc="Share of users' posts that are derivative: on a trending topic, derived from its "
        "most engaging recent item (comment videos, remixes; 0: none).",
        sweep=(0.0, 0.5),
    )
    creator_sigma: float = field(
        0.0,
        Interval(float, 0.0, 3.0),
        group="population",
        symbol="σ_a",
        label="Spread of creator appeal σ",
        unit="",
        doc="Spread sigma of creator appeal: each user's posts multiply the odds of a like and "
        "of a forward by a_i = exp(sigma z_i), z_i standard normal (lognormal, median 1; 0: all "
        "creators equal).",
        sweep=(0.5, 1.5),
    )
    creator: int = field(
        -1,
        Interval(int, -1, MAX_USERS),
        group="population",
        label="Designated creator",
        unit="user id",
        doc="One designated creator (a user index) whose appeal is creator_appeal (-1: none).",
    )
    creator_appeal: float = field(
        1.0,
        Interval(float, 0.001, 1000.0),
        group="population",
        label="Chosen creator's appeal",
        unit="odds ratio",
        doc="Odds multiplier a of the designated creator's posts on likes and forwards (1: "
        "neutral).",
        sweep=(1.0, 100.0),
    )
    creator_post_step: int = field(
        -1,
        Interval(int, -1, 1_000_000),
        group="population",
        label="Creator's first post",
        unit="steps",
        doc="Step at which the designated creator spends a session posting, whatever the "
        "session draws said (the case's first post on a given day; -1: none, the creator posts "
        "as any user; docs/ODD.md 7.18; assumption).",
        sweep=(1, 96),
    )
    creator_post_prob: float = field(
        0.0,
        Interval(float, 0.0, 1.0),
        group="population",
        label="Creator's later posts",
        unit="per step",
        doc="Per-step probability that the designated creator posts once their first post is "
        "out (their own account's posting; 0: as any user; docs/ODD.md 7.18; assumption, sweep "
        "0-0.25).",
        sweep=(0.0, 0.25),
    )

    # --- behaviour, attention: sessions, budgets and what is viewed (docs/ODD.md 7.1-7.8) ---------
    user_post_prob: float = field(
        0.0281,
        Interval(float, 0.0, 1.0),
        group="attention",
        symbol="μ",
        label="Posting probability μ",
        unit="per session",
        doc="Probability mu that a session is spent posting an original item (Weng et al. 2012).",
        **posterior(0.00254, 0.0196, 0.0487, targets="top10_contribution_share (original posts)"),
    )
    attention: Chosen = field(
        "limited",
        Options.of(rules.ATTENTION),
        coerce=rules.ATTENTION.chosen,
        value_kind=str,
        group="attention",
        label="Attention budget",
        unit="",
        doc="Items viewed per session: a limited budget (the cohort's attention times "
        "attention_scale; Weng et al. 2012), or every unseen item on screen (independent cascade, "
        "Kempe et al. 2003).",
    )
    activity_scale: float = field(
        1.25,
        Interval(float, 0.0, 20.0),
        group="attention",
        label="Session rate multiplier",
        unit="",
        doc="Multiplier on every cohort's session probability per step.",
        **posterior(
            0.295, 1.36, 2.01, targets="weekly_commenters (sessions are the chances to comment)"
        ),
    )
    activity_from_belonging: float = field(
        1.0,
        Interval(float, 0.0, 10.0),
        group="attention",
        label="Activity from belonging",
        unit="",
        doc="How much belonging to the focal community raises session probability: "
        "p_act x (1 + this x belonging) (assumption; the measure of the same idea is 'stickiness').",
    )
    feed_choice: Chosen = field(
        "weighted",
        Options.of(rules.FEED_CHOICE),
        coerce=rules.FEED_CHOICE.chosen,
        value_kind=str,
        group="attention",
        label="Choice of what to view",
        unit="",
        doc="How a session picks what to view on screen: weighted by format, recency, trust and "
        "social proof, or uniformly at random (Weng et al. 2012).",
    )

    # --- behaviour, reactions: resonance, likes, comments and their tone, forwards (7.9) ----------
    incivility: float = field(
        0.20,
        Interval(float, 0.0, 0.99),
        group="reactions",
        label="Base incivility",
        unit="share 0-1",
        doc="Base share of uncivil comments (Coe, Kenski & Rains 2014: about 20% of news "
        "comments uncivil; sweep 0.10-0.35).",
        basis="data",
        basis_note="Coe, Kenski & Rains 2014: 22% of a newspaper's comments uncivil, about 0.2 "
        "(docs/evidence.md 1)",
        sweep=(0.1, 0.35),
    )
    incivility_disagreement: float = field(
        0.6,
        Interval(float, 0.0, 5.0),
        group="reactions",
        label="Incivility: disagreement",
        unit="",
        doc="Logit slope of incivility on disagreement |opinion - stance| / 2 (assumption, "
        "docs/evidence.md 1; sweep 0-1.5).",
        sweep=(0, 1.5),
    )
    incivility_arousal: float = field(
        1.0,
        Interval(float, 0.0, 5.0),
        group="reactions",
        label="Incivility: arousal",
        unit="",
        doc="Logit slope of incivility on the commenter's arousal - 0.5 (assumption; sweep 0-2).",
        sweep=(0, 2),
    )
    comment_disagreement: float = field(
        1.0,
        Interval(float, 0.0, 5.0),
        group="reactions",
        label="Comments: disagreement",
        unit="",
        doc="Comment probability is multiplied by (1 + this x disagreement): disagreement drives "
        "commenting (assumption; sweep 0-2).",
        sweep=(0, 2),
    )
    negativity_weight: float = field(
        2.0,
        Interval(float, 1.0, 10.0),
        group="reactions",
        label="Negative comment weight",
        unit="",
        doc="Weight of a critical or uncivil comment relative to a supportive one in social proof "
        "and in the engagement ranking (assumption, docs/evidence.md 2; sweep 1-4).",
        sweep=(1, 4),
    )
    proof_share: float = field(
        0.1,
        Interval(float, 0.001, 1.0),
        group="reactions",
        label="Social proof saturation",
        unit="per view",
        doc="Visible comments per view at which social proof reaches full strength (scale-free; "
        "assumption; sweep 0.02-0.3).",
        sweep=(0.02, 0.3),
    )
    outrage_terms: float = field(
        1.0,
        Interval(float, 0.0, 10.0),
        group="reactions",
        label="Out-group terms",
        unit="per item",
        doc="Out-group terms per item at outrage 1 (assumption; sweep 0.5-3).",
        sweep=(0.5, 3),
    )
    outgroup_boost: float = field(
        1.67,
        Interval(float, 1.0, 5.0),
        group="reactions",
        label="Out-group forward boost",
        unit="odds ratio",
        doc="Odds multiplier on forwarding per out-group term (Rathje et al. 2021: +67%; Brady et "
        "al. 2017 +20% per moral-emotional word overlaps and is not multiplied in).",
        basis="data",
        basis_note="Rathje et al. 2021: +67% odds of sharing per out-group term "
        "(docs/evidence.md 7)",
        sweep=(1, 2),
    )
    negativity_emotion: float = field(
        0.5,
        Interval(float, 0.0, 2.0),
        group="reactions",
        label="Negativity emotion bonus",
        unit="",
        doc="Extra emotional match of negative items: + this x max(0, -valence), so negative, "
        "high-arousal items resonate more (Soroka et al. 2019; Robertson et al. 2023 for the "
        "sign; size an assumption, sweep 0-1).",
        sweep=(0, 1),
    )
    base_like: float = field(
        0.0195,
        Interval(float, 0.0, 1.0),
        group="reactions",
        label="Like probability",
        unit="per view",
        doc="Like probability at resonance 0.5.",
        **posterior(0.00139, 0.00345, 0.12, targets="engagement_per_impression"),
    )
    base_comment: float = field(
        0.00306,
        Interval(float, 0.0, 1.0),
        group="reactions",
        label="Comment probability",
        unit="per view",
        doc="Comment probability at resonance 0.5.",
        **posterior(0.00126, 0.00166, 0.00547, targets="weekly_commenters"),
    )
    forwarding: Chosen = field(
        "resonance",
        Options.of(rules.FORWARDING),
        coerce=rules.FORWARDING.chosen,
        value_kind=str,
        group="reactions",
        label="Forward model",
        unit="",
        doc="Forward probability driven by resonance, or a fixed p (independent cascade, Kempe et al. 2003); "
        "for outlet items either is multiplied by (1 - share_friction + share prompt). 'threshold' "
        "and 'rumour' are the spreading rules of model/rules/spreading.py (Granovetter 1978, "
        "Watts 2002; Maki & Thompson 1973).",
    )
    forward_p: float = field(
        0.1,
        Interval(float, 0.0, 1.0),
        group="reactions",
        symbol="p",
        label="Fixed forward chance p",
        unit="per view",
        doc="Forward probability p per view of the forwarding rules 'fixed', 'threshold' (its "
        "spontaneous forwards) and 'rumour' (a view starts spreading); the other rules do not "
        "read it.",
    )
    w_trust: float = field(
        1.0,
        Interval(float, 0.0, 10.0),
        group="reactions",
        label="Weight of trust",
        unit="",
        doc="Weight of source trust in resonance.",
    )
    w_emotion: float = field(
        0.759,
        Interval(float, 0.0, 10.0),
        group="reactions",
        label="Weight of emotion",
        unit="",
        doc="Weight of emotional match in resonance.",
        **posterior(
            0.584,
            1.15,
            1.49,
            targets="engagement_per_impression and weekly_commenters (resonance scales every "
            "reaction)",
        ),
    )
    w_value: float = field(
        1.36,
        Interval(float, 0.0, 10.0),
        group="reactions",
        label="Weight of opinion match",
        unit="",
        doc="Weight of value (opinion) match in resonance.",
        **posterior(
            0.589,
            1.45,
            1.74,
            targets="engagement_per_impression and weekly_commenters (resonance scales every "
            "reaction)",
        ),
    )
    w_proof: float = field(
        0.5,
        Interval(float, 0.0, 10.0),
        group="reactions",
        label="Weight of social proof",
        unit="",
        doc="Weight of visible comments (social proof).",
    )
    follow_prob: float = field(
        0.03,
        Interval(float, 0.0, 1.0),
        group="reactions",
        label="Follow after engaging",
        unit="probability",
        doc="Probability an engaged non-follower starts following.",
    )

    # --- behaviour, trust: Beta evidence about outlets, trust in peers (7.10) ---------------------
    nasty_trust: float = field(
        0.4,
        Interval(float, 0.0, 5.0),
        group="trust",
        label="Uncivil-thread trust cost",
        unit="pseudo-observations",
        doc="Negative trust evidence (pseudo-observations) about the source per view of a wholly "
        "uncivil thread (Naab et al. 2020, Waddell 2018 for the sign; about -0.01 in trust at "
        "trust_prior 20; assumption, sweep 0-1.5).",
        sweep=(0, 1.5),
    )
    critical_trust: float = field(
        0.4,
        Interval(float, 0.0, 5.0),
        group="trust",
        label="Critical-thread trust cost",
        unit="pseudo-observations",
        doc="Negative trust evidence (pseudo-observations) about the source per view of a wholly "
        "critical thread by a distrusting viewer (trust below reply_backfire_trust; Prochazka & "
        "Obermaier 2022: critical comments cost quality perceptions only among media cynics; "
        "about -0.01 in trust at trust_prior 20, docs/evidence.md 2; assumption, sweep 0-1.2).",
        sweep=(0, 1.2),
    )
    trust_prior: float = field(
        20.0,
        Interval(float, 0.1, 10_000.0),
        group="trust",
        symbol="s",
        label="Trust prior strength s",
        unit="pseudo-observations",
        doc="Prior strength s of Beta trust in an outlet, in pseudo-observations: trust = "
        "(s t0 + e+) / (s + e+ + e-) (assumption, docs/evidence.md 5; sweep 5-100).",
        sweep=(5, 100),
    )
    trust_forgetting: float = field(
        0.9,
        Interval(float, 0.0, 1.0),
        group="trust",
        symbol="λ",
        label="Trust evidence kept λ",
        unit="per day",
        doc="Share of trust evidence kept per day (lambda; memory about 1 / (1 - lambda) days; "
        "form from Josang & Ismail 2002, value an assumption, sweep 0.7-1).",
        sweep=(0.7, 1),
    )
    view_evidence: float = field(
        0.1,
        Interval(float, 0.0, 10.0),
        group="trust",
        label="Trust evidence per view",
        unit="pseudo-observations",
        doc="Pseudo-observations per view of an outlet's item: quality positive and 1 - quality "
        "negative inside the confidence bound, one negative outside it (assumption; sweep "
        "0.02-0.5).",
        sweep=(0.02, 0.5),
    )
    reply_evidence: float = field(
        1.0,
        Interval(float, 0.0, 20.0),
        group="trust",
        label="Trust evidence per reply",
        unit="pseudo-observations",
        doc="Pseudo-observations of a reply to a supporter from a trusted outlet (about +0.02 in "
        "trust at trust_prior 20, docs/evidence.md 6); half to a critic; half to a supporter "
        "who distrusts; negative to a critic who distrusts (backfire, Coombs & Holladay 2006; "
        "van Noort & Willemsen 2012; assumption, sweep 0-3).",
        sweep=(0, 3),
    )
    reply_backfire_trust: float = field(
        0.3,
        Interval(float, 0.0, 1.0),
        group="trust",
        label="Reply backfire trust",
        unit="scale 0-1",
        doc="Trust below which a reply is weak (to a supporter) or backfires (to a critic) "
        "(assumption, docs/evidence.md 6; sweep 0.1-0.5).",
        sweep=(0.1, 0.5),
    )
    outrage_trust: float = field(
        0.5,
        Interval(float, 0.0, 10.0),
        group="trust",
        label="Trust cost of outrage",
        unit="pseudo-observations",
        doc="Negative trust evidence per view of an outrage-1 item by a viewer outside the "
        "confidence bound (assumption, docs/evidence.md 7; sweep 0-1.5).",
        sweep=(0, 1.5),
    )
    trust_rate: float = field(
        0.02,
        Interval(float, 0.0, 1.0),
        group="trust",
        symbol="η",
        label="Peer trust learning rate η",
        unit="",
        doc="Rate eta at which interpersonal (peer) trust moves toward interaction outcomes; "
        "trust in outlets is Beta evidence (trust_prior, view_evidence).",
    )

    # --- behaviour, emotion (7.10) ----------------------------------------------------------------
    emotion: Chosen = field(
        "relaxation",
        Options.of(rules.EMOTION),
        coerce=rules.EMOTION.chosen,
        value_kind=str,
        group="emotion",
        label="Emotion model",
        unit="",
        doc="Emotion: relaxation to baseline pulled by consumed content, or the collective "
        "emotions of Schweitzer & Garcia (2010): valence and arousal coupled to a decaying "
        "emotional field fed by users' expressions.",
    )

    # --- behaviour, belonging and churn: belonging, community, fatigue, following (7.10, 7.11) ----
    removal_belonging_loss: float = field(
        0.1,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        label="Belonging lost if removed",
        unit="share 0-1",
        doc="Share of belonging a commenter loses when a civil comment is wrongly removed "
        "(assumption; sweep 0-0.3).",
        sweep=(0, 0.3),
    )
    fatigue_half_life: float = field(
        6.0,
        Interval(float, 0.1, 10_000.0),
        group="belonging and churn",
        label="Fatigue half-life",
        unit="steps",
        doc="Half-life of a user's exposure load from one outlet (novelty decay, Wu & Huberman "
        "2007 measured about 1 h on Digg; news outlets assumed slower; sweep 0.5-24).",
        sweep=(0.5, 24),
    )
    fatigue_saturation: float = field(
        10.0,
        Interval(float, 0.1, 10_000.0),
        group="belonging and churn",
        label="Fatigue saturation load",
        unit="views",
        doc="Exposure load at which the response to an outlet's items is halved: resonance x "
        "1 / (1 + load / saturation) (assumption; sweep 3-30).",
        sweep=(3, 30),
    )
    belonging_loss: float = field(
        0.02,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        label="Belonging loss, rejected",
        unit="share 0-1",
        doc="Share of belonging lost per rejected (outside the confidence bound) or wholly "
        "uncivil contact with an outlet's items (assumption; sweep 0-0.05).",
        sweep=(0, 0.05),
    )
    community_window: int = field(
        72,
        Interval(int, 1, 1_000_000),
        group="belonging and churn",
        label="Membership lapse",
        unit="steps",
        doc="Community membership lapses after this many steps without a civil, not removed "
        "comment on the outlet's items (assumption; sweep 24-336).",
        sweep=(24, 336),
    )
    belonging_decay: float = field(
        0.00944,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        label="Belonging decay per step",
        unit="per step",
        doc="Per-step decay of belonging.",
        **posterior(
            0.00217,
            0.00492,
            0.0256,
            targets="ties_broken_51d (belonging protects a follower from churn)",
        ),
    )
    belonging_gain: float = field(
        0.0204,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        label="Belonging gain per view",
        unit="per view",
        doc="Belonging gained per resonant view, inside the confidence bound, of an outlet's item.",
        **posterior(
            0.0118,
            0.0215,
            0.0707,
            targets="ties_broken_51d (belonging protects a follower from churn)",
        ),
    )
    reply_gain: float = field(
        0.15,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        label="Belonging gain, reply",
        unit="share 0-1",
        doc="Belonging gained, as a share of (1 - belonging), by a supporter the outlet replies to "
        "(doubled, at most 1, with emotional rewards; assumption). Trust moves by reply_evidence.",
    )
    community_gain: float = field(
        0.00806,
        Interval(float, 0.0, 1.0),
        group="belonging and churn",
        label="Community belonging gain",
        unit="share 0-1",
        doc="Belonging gained, as a share of (1 - belonging), by a community member in a step in "
        "which they view at least one member's comment inside their confidence bound; each "
        "viewed comment outside it costs belonging_loss.",
        **posterior(
            0.00557,
            0.0146,
            0.0689,
            targets="none in the calibration's runs, whose outlets all run one_way and host no "
            "community (community_share 0, interactive_share 0), so no target moves with it and "
            "its posterior is about its prior (width ratio 0.84); where a community exists, "
            "belonging and so ties_broken_51d",
        ),
    )
    community_fanout: int = field(
        5,
        Interval(int, 0, 100),
        group="belonging and churn",
        label="Community fan-out",
        unit="members",
        doc="Community members who see each member's comment.",
    )
    following: Chosen = field(
        "engagement",
        Options.of(rules.FOLLOWING),
        coerce=rules.FOLLOWING.chosen,
        value_kind=str,
        group="belonging and churn",
        label="Following the focal outlet",
        unit="",
        doc="Following the focal outlet: engagement and churn (docs/ODD.md 7.11), the voter model "
        "(copy a random friend), or the q-voter with independence (Castellano et al. 2009; "
        "Nyczka, Sznajd-Weron & Cislo 2012); friends are acquaintances, or anyone under "
        "peer_mixing='complete'.",
    )
    # --- the user follow layer (docs/ODD.md 7.19) ---
    user_follow: Chosen = field(
        "sasahara",
        Options.of(rules.USER_FOLLOW),
        coerce=rules.USER_FOLLOW.chosen,
        value_kind=str,
        group="belonging and churn",
        label="Users following users",
        unit="",
        doc="Users following and unfollowing users (docs/ODD.md 7.19): follow the author of a "
        "liked item, unfollow a followee whose share is outside the confidence bound and "
        "rewire (Sasahara et al. 2021); off while both of its probabilities are 0 (default).",
    )

    # --- behaviour, peer exchange: opinions toward content and peers (7.10, 7.11) -----------------
    nasty_polarization: float = field(
        0.02,
        Interval(float, 0.0, 0.2),
        group="peer exchange",
        label="Nasty-effect polarisation",
        unit="per step",
        doc="Opinion shift away from the centre per step, times the mean visible uncivil share "
        "of the threads viewed and (1 - |opinion|) (the nasty effect: an interaction with the "
        "prior, not a level shift; Anderson et al. 2014; assumption for the size, sweep 0-0.05).",
        sweep=(0, 0.05),
    )
    mu_content: float = field(
        0.05,
        Interval(float, 0.0, 0.5),
        group="peer exchange",
        label="Pull of content on opinion",
        unit="",
        doc="Convergence rate of opinion toward viewed content.",
    )
    peer_prob: float = field(
        0.1,
        Interval(float, 0.0, 1.0),
        group="peer exchange",
        label="Users seeking a peer",
        unit="share 0-1",
        doc="Share of users who seek a peer each round; on the network, proposals that collide in the "
        "random matching are dropped, so fewer exchange.",
    )
    peer_rounds: int = field(
        1,
        Interval(int, 0, 100),
        group="peer exchange",
        label="Peer rounds per step",
        unit="per step",
        doc="Peer-exchange rounds (random matchings) per step.",
    )
    peer_mixing: Chosen = field(
        "network",
        Options.of(rules.PEER_MIXING),
        coerce=rules.PEER_MIXING.chosen,
        value_kind=str,
        group="peer exchange",
        label="Peer partners",
        unit="",
        doc="Peer partners: acquaintance neighbours, or anyone (complete mixing); read by the "
        "opinion rules 'bounded_confidence' (through peer_choice), 'hegselmann_krause' and "
        "'activity_driven', the following rules 'voter' and 'q_voter' and the forwarding rule "
        "'rumour' (degroot and friedkin_johnsen always use acquaintances).",
    )
    opinion: Chosen = field(
        "bounded_confidence",
        Options.of(rules.OPINION),
        coerce=rules.OPINION.chosen,
        value_kind=str,
        group="peer exchange",
        label="How opinions move",
        unit="",
        doc="How opinions move (model/rules/opinion.py): Deffuant bounded confidence toward content "
        "and peers (Deffuant et al. 2000); Hegselmann-Krause averages of every view and peer inside "
        "the bound (Hegselmann & Krause 2002); DeGroot (1974) or Friedkin-Johnsen (1990) "
        "trust-weighted averaging over acquaintances; activity-driven radicalisation (Baumann et al. "
        "2020).",
    )
    peer_choice: Chosen = field(
        "uniform",
        Options.of(rules.PEER_CHOICE),
        coerce=rules.PEER_CHOICE.chosen,
        value_kind=str,
        group="peer exchange",
        label="How a peer is chosen",
        unit="",
        doc="How a peer partner is chosen among the candidates peer_mixing allows: uniformly, or with "
        "probability proportional to opinion distance^-gamma (algorithmic bias, Sirbu et al. 2019); "
        "read only by the opinion rule 'bounded_confidence' (the others choose no partners).",
    )

    # --- run --------------------------------------------------------------------------------------
    steps: int = field(
        168,
        Interval(int, 1, 1_000_000),
        group="run",
        label="Horizon",
        unit="steps",
        doc="Horizon in steps (one step is one hour).",
    )
    stop_when: str = field(
        "horizon",
        Options("horizon", "converged", "extinct", "consensus"),
        group="run",
        label="Early stop",
        unit="",
        doc="Also stop early when opinions have converged, when no item can spread any more, or "
        "(consensus) when every user or none follows the focal outlet (voter models).",
    )
    record_cascades: str = field(
        "focal",
        Options("focal", "all", "none"),
        group="run",
        label="Cascades recorded",
        unit="",
        doc="Which items' views are logged as cascade trees: the focal outlet's, all, or none "
        "(forwards are always logged).",
    )

    schema_renamed: ClassVar[dict[str, str]] = {
        "choice_weights": "use feed_choice='weighted' (was True) or 'uniform' (was False)",
        "unlimited_attention": "use attention='unlimited' (was True) or 'limited' (was False)",
        "stickiness": "use activity_from_belonging (the measure keeps the name stickiness)",
        "follow_up_threshold": "use follow_up_share (a share of the outlet's followers)",
        "reply_rate": "use reply_hours (staff-hours per reply; the budget is "
        "outlet_rate x item_hours)",
        "review_rate": "use review_hours (staff-hours per reviewed comment; the budget is "
        "outlet_rate x item_hours)",
    }

    def __new__(cls, *args: Any, **kwargs: Any) -> Params:
        schema.check_names(cls, kwargs)
        return super().__new__(cls)

    def __post_init__(self) -> None:
        schema.validate_fields(self)
        if self.focal_followers > self.n_users:
            raise ValueError(
                f"focal_followers={self.focal_followers} exceeds n_users={self.n_users}"
            )
        if self.mix_post00 + self.mix_post90 + self.mix_post80 + self.mix_pre80 <= 0:
            raise ValueError(
                "mix_post00 + mix_post90 + mix_post80 + mix_pre80 must be > 0 (got all 0)"
            )
        if self.fmt_text + self.fmt_image + self.fmt_short_video + self.fmt_long_video <= 0:
            raise ValueError("the focal outlet's format weights fmt_* must not all be 0")
        if self.creator >= self.n_users:
            raise ValueError(
                f"creator={self.creator} exceeds n_users={self.n_users} - 1, the last user "
                f"index: use -1 (none) or a user index 0..{self.n_users - 1}"
            )
        if self.creator_post_step == 0:
            raise ValueError("creator_post_step=0: the first step is 1 (use -1 for none)")
        # inert settings of the creator's schedule (docs/ODD.md 7.18) warn, as unread fields do
        if (self.creator_post_step > 0 or self.creator_post_prob > 0) and self.creator < 0:
            warnings.warn(
                "creator_post_step and creator_post_prob have no effect: they schedule the "
                "designated creator's posts, and creator is -1 (none)",
                UnusedParameterWarning,
                stacklevel=3,
            )
        elif self.creator_post_prob > 0 and self.creator_post_step < 0:
            warnings.warn(
                f"creator_post_prob={self.creator_post_prob} has no effect: it applies after "
                "the first post at creator_post_step, which is -1 (none)",
                UnusedParameterWarning,
                stacklevel=3,
            )

    def replace(self, **changes: Any) -> Params:
        """A copy with some fields changed (validated like a new instance); a rule's parameter
        is changed by its address, ``replace(**{"opinion.contacts": 5})``."""
        # an old name stands for its field here, so that the current value does not override it
        changes = {RENAMED_RULES.get(k, ALIASES.get(k, k)): v for k, v in changes.items()}
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain values by address: the strategy as its preset name (or label), each rule as
        its name, and every rule parameter as ``<rule field>.<name>`` (the chosen rule's value,
        else the declared default), so that ``Params(**p.to_dict()) == p``."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["strategy"] = self.strategy.label()
        for key in rules.REGISTRIES:
            d[key] = str(d[key])
        for name in _rule_parameters():
            d[name] = self.value(name)
        return d

    def value(self, name: str) -> Any:
        """The value at an address: a field (``"epsilon"``) or a rule's parameter
        (``"opinion.contacts"``: the chosen rule's value, or the declared default when the chosen
        rule has no such parameter).

        Raises:
            TypeError: An unknown name, with the closest names.
        """
        schema.check_names(type(self), [name])
        if name in _rule_parameters():
            key, par = name.split(".", 1)
            chosen: Chosen = getattr(self, key)
            if hasattr(chosen.settings, par):
                return getattr(chosen.settings, par)
            return _rule_parameters()[name][0].default
        return getattr(self, name)

    if not TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any:
            # getattr(params, "opinion.contacts"), as for a field: callers that walk spec()
            if "." not in name:
                raise AttributeError(name)
            try:
                return self.value(name)
            except TypeError as e:
                raise AttributeError(str(e)) from None

    @classmethod
    def schema_extra(cls) -> dict[str, schema.Field]:
        """The addresses beyond the fields: every registered rule's parameters
        (``opinion.contacts``) and the old flat names, accepted as aliases."""
        out = {name: f for name, (f, _) in _rule_parameters().items()}
        for old, new in ALIASES.items():
            out[old] = dataclasses.replace(out[new], alias_of=new)
        declared = {f.name: f.metadata["schema"] for f in dataclasses.fields(cls)}
        for old, new in RENAMED_RULES.items():
            out[old] = dataclasses.replace(declared[new], alias_of=new)
        return out

    @property
    def generation_mix(self) -> tuple[float, float, float, float]:
        """Normalised cohort shares (post00, post90, post80, pre80)."""
        w = (self.mix_post00, self.mix_post90, self.mix_post80, self.mix_pre80)
        s = sum(w)
        return tuple(x / s for x in w)  # type: ignore[return-value]

    @property
    def format_mix(self) -> tuple[float, float, float, float]:
        """Normalised focal format weights (text, image, short_video, long_video)."""
        w = (self.fmt_text, self.fmt_image, self.fmt_short_video, self.fmt_long_video)
        s = sum(w)
        return tuple(x / s for x in w)  # type: ignore[return-value]

    @classmethod
    def spec(cls) -> dict[str, dict[str, Any]]:
        """Metadata per field (:func:`model.schema.spec`): default, lo, hi, closed, choices, kind,
        doc, group, symbol, label, unit, allowed, rules, basis, basis_note, sweep."""
        return schema.spec(cls)

    @classmethod
    def help(cls) -> str:
        """A plain-text table of every parameter, for ``--help``."""
        return schema.help(cls)


_fields_init = Params.__init__


def _params_init(self: Params, **kwargs: Any) -> None:
    """The dataclass's own __init__ on the folded keywords: rule parameters (``opinion.contacts``)
    and old names go into the chosen rules first (:func:`_fold`)."""
    _fields_init(self, **_fold(kwargs))


_params_init.__doc__ = Params.__doc__
Params.__init__ = _params_init  # type: ignore[method-assign,assignment]
