"""Readable labels of the parameters and Strategy switches, and their tooltips.

A control shows :data:`LABELS` (words and units); hovering shows the field's name, as the page
address and experiment specs write it, with its doc string and range (:func:`tooltip_of`).
"""

from __future__ import annotations

import re
from typing import Any

#: Readable labels of the fields, with their units; the field's name and doc are the tooltip.
LABELS: dict[str, str] = {
    "n_users": "Users (N)",
    "mix_post00": "Weight of post-00s",
    "mix_post90": "Weight of post-90s",
    "mix_post80": "Weight of post-80s",
    "mix_pre80": "Weight of pre-80s",
    "initial_opinion": "Initial opinions",
    "epsilon": "Confidence bound (epsilon)",
    "epsilon_sd": "Spread of epsilon",
    "trust_shift": "Trust shift (all cohorts)",
    "acq_degree": "Acquaintance degree (k)",
    "acq_rewire": "Rewiring probability (beta)",
    "acq_homophily": "Generation homophily",
    "follow_model": "Follow layer",
    "follow_degree": "Follows per user",
    "follow_exponent": "Follow in-degree exponent (gamma)",
    "organic_reach": "Organic reach (per audience member)",
    "n_background": "Background outlets",
    "outlet_rate": "Focal items per step",
    "focal_follow_share": "Initial focal followers (share)",
    "focal_followers": "Initial focal followers (count, -1 = share)",
    "initial_items": "Seed items at step 1",
    "background_rate": "Items per background outlet per step",
    "background_follow_share": "Follow probability, background outlet",
    "user_post_prob": "Posting probability (mu)",
    "stance_mean": "Mean stance of focal items",
    "stance_sd": "Spread of focal stances",
    "intensity": "Emotional intensity of focal items",
    "quality": "Quality of focal items",
    "fmt_text": "Format weight: text",
    "fmt_image": "Format weight: image",
    "fmt_short_video": "Format weight: short video",
    "fmt_long_video": "Format weight: long video",
    "strategy": "Strategy preset",
    "screen_size": "Screen capacity (items)",
    "attention.attention_scale": "Attention (items viewed) multiplier",
    "attention": "Attention (limited, or unlimited as in the independent cascade)",
    "activity_scale": "Activity (sessions) multiplier",
    "activity_from_belonging": "Activity from belonging (stickiness)",
    "base_like": "Like probability",
    "base_comment": "Comment probability",
    "forwarding.base_forward": "Forward probability",
    "forwarding": "Forward model",
    "forward_p": "Fixed forward probability (p)",
    "w_trust": "Resonance weight: trust",
    "w_emotion": "Resonance weight: emotion",
    "w_value": "Resonance weight: opinion match",
    "w_proof": "Resonance weight: social proof",
    "feed_choice.recency_tau": "Recency time scale (steps)",
    "feed_choice": "Choice of what to view (weighted or uniform)",
    "trending_prob": "Trending top-up probability",
    "mu_content": "Pull of content on opinion (mu)",
    "peer_prob": "Peer-seeking share",
    "peer_rounds": "Peer rounds per step",
    "opinion.peer_mu": "Peer convergence (mu)",
    "peer_mixing": "Peer partners",
    "trust_rate": "Trust learning rate (eta)",
    "emotion.emotion_relax": "Emotion relaxation rate",
    "emotion.emotion_pull": "Pull of content on emotion",
    "belonging_decay": "Belonging decay per step",
    "belonging_gain": "Belonging gain per resonant view",
    "reply_gain": "Gain from an outlet reply",
    "community_gain": "Belonging gain from community contact",
    "community_join": "Community join probability (trusting supporter)",
    "member_hours": "Staff-hours per community member per day",
    "item_hours": "Staff-hours per item (sets the budget)",
    "reply_hours": "Staff-hours per reply",
    "review_hours": "Staff-hours per reviewed comment",
    "critical_trust": "Trust cost of critical threads (distrusting viewers)",
    "community_fanout": "Community fan-out (members)",
    "follow_up_share": "Comments (share of followers) that trigger a follow-up",
    "follow_prob": "Follow probability after engaging",
    "following.churn_prob": "Maximum unfollow hazard per step",
    "following.churn_belonging": "Belonging that stops churn",
    "following.churn_trust": "Trust that halves churn (midpoint)",
    "following.churn_trust_width": "Width of churn's trust factor",
    "steps": "Horizon (steps = hours)",
    "stop_when": "Stop early when",
    "record_cascades": "Cascades recorded",
    "reply_share": "Staff time on replies (share)",
    "moderation_share": "Staff time on moderation (share)",
    "share_prompt": "Share prompt (lowers the platform's friction)",
    "comments_visible": "Comments visible (platform)",
    "share_friction": "Share-button friction (platform)",
    "community_share": "Staff time on the community (share)",
    "emotional_rewards": "Emotional rewards",
    "follow_up": "Follow-ups",
    "targeting": "Targeting",
}


def label_of(name: str, meta: dict[str, Any]) -> str:
    """A field's readable label: :data:`LABELS`, else the first clause of its doc string."""
    if name in LABELS:
        return LABELS[name]
    return re.split(r" \(|\. |; |: |, |\.$", meta.get("doc") or name)[0] or name


def tooltip_of(name: str, meta: dict[str, Any]) -> str:
    """A field's tooltip: its name (as in the address and in experiment specs) and doc string."""
    allowed = f" Allowed: [{meta['lo']}, {meta['hi']}]." if meta.get("lo") is not None else ""
    return f"{name}: {meta.get('doc') or ''}{allowed}"
