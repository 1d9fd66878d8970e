# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 4. The Ding Zhen case: a creator's trend, and outlets that ride it
#
# On 11 November a photographer's seven-second video of Ding Zhen, a young Tibetan man, drew
# nearly five million likes. On 19 November he opened his own Douyin account and gained over
# two million followers after his first post. By 27 November the culture and tourism bureaus
# of several regions had joined a "talent scramble" for him, and topics about him filled the
# trending lists (213 monitored tourism topics passed 12 billion views by 2 December).
#
# In this case users, not media, made the news. The model plays it with four mechanisms that
# are off at the defaults (docs/ODD.md 7.18-7.20) and that the preset `viral_creator` turns
# on. This notebook builds the preset at a small size, steps it and reads the case's timeline
# from the runs: the creator's post taking off, the creator's follower curve, the trending
# list, topic views against likes, and the outlets joining the topic. It then asks the
# question a tourism outlet would ask, with a small paired comparison: does the focal outlet
# that rides the trend end up with more followers, or with a larger share of the topics'
# views, than the same outlet on the same seed that does not ride?
#
# At this size (5,000 users, five days) a run takes a second or two; the numbers are
# counts of a small population, so they are compared as shapes and orders of magnitude,
# not fitted to the case's.

# %%
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from experiments.stats import t_interval
from model import OpinionEcology, Params, measures, presets
from model.content import OUTLET, USER
from model.measures.topics import trending_list, views_per_topic

N_USERS = 5000
DAYS = 5
SEEDS = range(1, 11)  # ten seeds: the replicates of the comparison at the end
CREATOR = presets.VIRAL_CREATOR  # the user whose posts have the high appeal

# %% [markdown]
# ## The preset
#
# `presets.viral_creator(n_users, strategy, days)` returns `Params`; the table shows every
# parameter it sets away from the defaults. The focal outlet's strategy is `interactive` with
# riding switched on (`ride_trends`, `ride_delay`, `ride_share`): the preset makes every
# strategy it is given ride.

# %%
params = presets.viral_creator(n_users=N_USERS, days=DAYS)
defaults = Params(n_users=N_USERS).to_dict()
changed = {k: v for k, v in params.to_dict().items() if k != "strategy" and v != defaults[k]}
print("focal strategy:", params.strategy)
pd.Series(changed, name="viral_creator").to_frame()

# %% [markdown]
# ## The mechanisms
#
# **Creator appeal** (docs/ODD.md 7.18, "Creator appeal"). Every user has an appeal `a`, a
# lognormal with median 1 (`creator_sigma`); a view of a user's post multiplies the odds of a
# like and of a forward by the author's `a`. One designated user, `creator`, has
# `a = creator_appeal`. The model stores `ln a` per user:

# %%
model = OpinionEcology(params, seed=1)
appeal = np.exp(model.state.appeal)
others = np.delete(appeal, CREATOR)
print(f"the creator's appeal: {appeal[CREATOR]:g}")
print("the others' appeal, quantiles 50%, 99%, max:", np.quantile(others, [0.5, 0.99, 1]).round(2))

# %% [markdown]
# **Topics and the trending list** (7.18, "Topics", "The trending list", "The trending
# channel"). Each new item draws a topic from a Zipf law over `n_topics` topics. At the end
# of every step each topic is scored by the recent engagement of its items (views, comments
# and forwards, weighted, over `trending_window` steps), and the `trending_size` topics of
# highest score form the trending list, best first. With `trending_by = "topics"` the
# trending channel shows the most engaging items of the listed topics.
# `OpinionEcology.topic_trending_since` gives the step each topic entered the list.
#
# **Derivative posts** (7.18, "Derivative posts"). A share `derivative_share` of users' posts
# take a topic from the trending list and answer its most engaging item of the window (the
# item id is in the content store's `derived` column): what users add becomes content that
# others see.
#
# **Users who follow users** (7.19). With `user_follow.like_follow_prob` above 0, a user who
# likes a post by someone they do not follow follows its author with that probability, so a
# creator's audience can grow from one item. `OpinionEcology.user_follower_counts()` returns
# each user's current number of user followers.
#
# **Outlets that ride a trend** (7.20). A riding outlet waits `ride_delay` steps after a topic
# enters the trending list, then puts a share `ride_share` of its new items on that topic,
# replies to and forwards the topic's most engaging user post (the *creator item*) and
# invites its author, whose next post it co-publishes to its own followers. All of this is
# paid from the outlet's one staff budget (7.2, 7.12). The preset makes the background outlets
# ride too, each joining later than the one before (`background_ride_delay`,
# `background_ride_spacing`: the talent scramble), as well as the focal outlet.
#
# One step is one hour. After the first step the trending list exists; before it, there is
# nothing to ride:

# %%
print("before any step, the list:", trending_list(model))
model.step()
listed = trending_list(model)
print("after step 1, the list (best first):", listed)
print("entered at step:", model.topic_trending_since(listed))
print("riding outlets so far:", int((model.ride.start >= 0).sum()))

# %% [markdown]
# ## Recording a run step by step
#
# The topic and ride measures are computed on request (`when="query"` in the catalogue), not
# in every step's snapshot, so a run that wants their time course reads them after each
# step. `record` steps a model to its horizon and keeps, after every step: the views and
# likes of the creator's first post (the *seed item* of the case), the creator's user
# followers, the rank of every topic on the trending list, and which topics each outlet has
# ridden. Everything it reads is public: the content store's columns, `trending_list`,
# `user_follower_counts` and the outlets' `ride` record.


# %%
def creator_posts(m: OpinionEcology) -> np.ndarray:
    """The ids of the items the creator has posted, oldest first."""
    c = m.content
    return np.flatnonzero((c.source_kind == USER) & (c.source == CREATOR))


def record(m: OpinionEcology) -> dict:
    """Step ``m`` to its horizon; return its per-step time series (row t: after t steps)."""
    n_topics = m.params.n_topics
    rows, rank, rode = [], [], []
    while True:
        c, posts = m.content, creator_posts(m)
        seed_item = int(posts[0]) if len(posts) else -1
        ranks = np.full(n_topics, -1)
        ranks[trending_list(m)] = np.arange(len(trending_list(m)))
        rank.append(ranks)
        rode.append(m.ride.rode.copy())
        rows.append(
            {
                "step": int(m.steps),
                "seed_item": seed_item,
                "seed_views": int(c.views[seed_item]) if seed_item >= 0 else 0,
                "seed_likes": int(c.likes[seed_item]) if seed_item >= 0 else 0,
                "creator_followers": int(m.user_follower_counts()[CREATOR]),
            }
        )
        if not m.running:
            break
        m.step()
    return {"series": pd.DataFrame(rows).set_index("step"), "rank": np.array(rank),
            "rode": np.array(rode)}  # fmt: skip


def timeline(m: OpinionEcology, rec: dict) -> dict:
    """The case's timeline read from one recorded run (NaN where the creator never posted)."""
    s, c = rec["series"], m.content
    users = np.flatnonzero(c.source_kind == USER)
    item = int(s.seed_item.iloc[-1])
    topic = int(c.topic[item]) if item >= 0 else -1
    likes_by_topic = np.bincount(c.topic, weights=c.likes, minlength=m.params.n_topics)
    # row r of rec["rode"] is after r steps: a first True in row r is a first ride in step r - 1
    joined = rec["rode"][:, :, topic].argmax(axis=0) - 1 if topic >= 0 else np.zeros(0)
    rode_it = rec["rode"][-1, :, topic] if topic >= 0 else np.zeros(0, dtype=bool)
    nan = float("nan")
    return {
        "creator's first post (step)": int(c.created[item]) if item >= 0 else nan,
        "seed item: views": s.seed_views.iloc[-1] if item >= 0 else nan,
        "seed item: likes": s.seed_likes.iloc[-1] if item >= 0 else nan,
        "seed item: likes, share of users": s.seed_likes.iloc[-1] / m.n_users if item >= 0 else nan,
        "seed item is the most viewed user post": bool(
            item >= 0 and c.views[item] == c.views[users].max()
        ),
        "creator's followers at the start": s.creator_followers.iloc[0],
        "creator's followers at the end": s.creator_followers.iloc[-1],
        "outlets that rode a topic": int((m.ride.start >= 0).sum()),
        "first ride (step)": min(m.ride.start[m.ride.start >= 0], default=nan),
        "outlets that rode the creator's topic": int(rode_it.sum()),
        "first ride of the creator's topic (step)": joined[rode_it].min() if rode_it.any() else nan,
        "creator's topic: views": views_per_topic(m)[topic] if topic >= 0 else nan,
        "creator's topic: likes": int(likes_by_topic[topic]) if topic >= 0 else nan,
        "topics ever trending": measures.measure("trending_topics").compute(m),
    }  # fmt: skip


# %% [markdown]
# ## The timeline over ten seeds
#
# A user posts in a few percent of their sessions, so when the creator first posts, and
# whether the post takes off before the horizon, differs from seed to seed. Ten runs of the
# preset, one per seed, and the case's timeline in each (steps are hours; `first ride of the
# creator's topic` is the step the first outlet joined it):

# %%
runs = {}
for seed in SEEDS:
    m = OpinionEcology(params, seed=seed)
    runs[seed] = (m, record(m))
cases = pd.DataFrame({seed: timeline(m, rec) for seed, (m, rec) in runs.items()})
cases.index.name = f"seed ({N_USERS:,} users, {DAYS} days)"
cases

# %% [markdown]
# The rest of this section follows one run: of the seeds where the creator posted, the one
# whose seed item gathered the most views (so the take-off is visible; the table above shows
# what the other seeds did).

# %%
posted = cases.loc["seed item: views"].dropna()
assert len(posted), f"the creator posted in none of seeds {list(SEEDS)}: try more seeds"
SEED = int(posted.astype(float).idxmax())
m, rec = runs[SEED]
case = cases[SEED]
s = rec["series"]
item = int(s.seed_item.iloc[-1])
topic = int(m.content.topic[item])
posted_at = int(case["creator's first post (step)"])
print(f"seed {SEED}: the creator first posted in step {posted_at}, on topic {topic}")

# %% [markdown]
# ## The seed item takes off, and the creator's audience grows
#
# The seed item's views and likes after each step, and the creator's user followers. The
# creator gains followers through the following rule (7.19): each like of their post by a
# non-follower may turn into a follow.

# %%
days = s.index / 24
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4), layout="constrained")
ax1.plot(days, s.seed_views, label="views")
ax1.plot(days, s.seed_likes, label="likes")
ax1.set_title("The creator's first post")
ax1.set_ylabel("count")
ax2.plot(days, s.creator_followers, color="k")
ax2.set_title("The creator's user followers")
ax2.set_ylabel("followers")
for ax in (ax1, ax2):
    ax.axvline((posted_at + 1) / 24, color="grey", ls=":", label="the first post")
    ax.set_xlabel("day")
ax1.legend()
plt.show()

# %% [markdown]
# The creator's item against the other items: the most viewed outlet item and the most
# viewed other user post of the same run, and the derivative posts that answered the seed
# item (its id in their `derived` column).

# %%
c = m.content
is_user = c.source_kind == USER
other_posts = is_user & (c.source != CREATOR)
derived = is_user & (c.derived == item)
pd.Series(
    {
        "the seed item's views": int(c.views[item]),
        "most viewed outlet item": int(c.views[~is_user].max()),
        "most viewed post of another user": int(c.views[other_posts].max()),
        "derivative posts answering the seed item": int(derived.sum()),
        "their views": int(c.views[derived].sum()),
    },
    name=f"seed {SEED}",
).to_frame()

# %% [markdown]
# ## The trending list over time
#
# Each row is a topic that was on the list at some step, in the order they first entered it;
# the colour is its rank after each step (0 = top, blank = off the list). The creator's topic
# is labelled in red. The triangles at the top are the steps at which each riding outlet
# first rode a topic (the focal outlet's in red); the preset staggers the background outlets'
# delays (7.20).

# %%
rank = rec["rank"]
ever = np.flatnonzero((rank >= 0).any(axis=0))
order = ever[np.argsort([np.argmax(rank[:, k] >= 0) for k in ever], kind="stable")]
shown = np.ma.masked_less(rank[:, order].T.astype(float), 0)
fig, ax = plt.subplots(figsize=(12, 6.5), layout="constrained")
im = ax.imshow(shown, aspect="auto", interpolation="nearest", cmap="viridis_r",
               extent=(0, len(rank) / 24, len(order) - 0.5, -0.5))  # fmt: skip
fig.colorbar(im, ax=ax, label="rank on the list (0 = top)")
labels = [f"topic {k}" + (" (the creator's)" if k == topic else "") for k in order]
ax.set_yticks(range(len(order)), labels, fontsize=6)
for label, k in zip(ax.get_yticklabels(), order, strict=True):
    if k == topic:
        label.set_color("C3")
ax.axvline((posted_at + 1) / 24, color="grey", ls=":", label="the creator's first post")
starts = m.ride.start[1:][m.ride.start[1:] >= 0]
ax.plot((starts + 1) / 24, np.full(len(starts), -0.5), "v", color="k", clip_on=False,
        label="a background outlet's first ride")  # fmt: skip
if m.ride.start[0] >= 0:
    ax.plot((m.ride.start[0] + 1) / 24, -0.5, "v", color="C3", ms=4, clip_on=False,
            label="the focal outlet's first ride")  # fmt: skip
ax.set_xlabel("day")
ax.set_title(f"The trending list, seed {SEED}: {len(order)} topics were on it at some step",
             pad=12)  # fmt: skip
ax.legend(loc="lower left", fontsize=8)
plt.show()

# %% [markdown]
# The list at the end, with the step each topic entered it (its current spell) and each
# topic's views and likes so far:

# %%
final = trending_list(m)
likes_by_topic = np.bincount(c.topic, weights=c.likes, minlength=m.params.n_topics)
views_by_topic = views_per_topic(m)
pd.DataFrame(
    {
        "topic": final,
        "on the list since step": m.topic_trending_since(final),
        "views": views_by_topic[final],
        "likes": likes_by_topic[final].astype(int),
        "the creator's": final == topic,
    }
).rename_axis("rank")

# %% [markdown]
# ## Topic views against likes
#
# In the case, the topics' reads (billions) outnumbered the seed video's likes (millions) by
# about a thousand to one. Here, every topic's views against its likes at the end of the run,
# the creator's topic marked, and the ratio for the creator's topic in every seed:

# %%
fig, ax = plt.subplots(figsize=(5.5, 4.5), layout="constrained")
has = (views_by_topic > 0) & (likes_by_topic > 0)
ax.loglog(likes_by_topic[has], views_by_topic[has], ".", color="grey", label="a topic")
ax.loglog(likes_by_topic[topic], views_by_topic[topic], "o", color="C3", label="the creator's")
x = np.array([1, max(likes_by_topic.max(), 10)])
ax.plot(x, x, "k:", lw=0.8, label="views = likes")
ax.plot(x, 1000 * x, "k--", lw=0.8, label="views = 1,000 x likes (the case's order)")
ax.set_ylim(1, 2 * max(views_by_topic.max(), 10))
ax.set_xlabel("likes of the topic's items")
ax.set_ylabel("views of the topic's items")
ax.set_title(f"Topics at the end of seed {SEED}")
ax.legend()
plt.show()
ratio = cases.loc["creator's topic: views"] / cases.loc["creator's topic: likes"]
print("views per like of the creator's topic, per seed:", ratio.astype(float).round(1).to_dict())

# %% [markdown]
# ## The case and the model side by side
#
# The case's timeline next to the range over the ten runs (the first post and the first
# rides in steps, that is hours from the start; a run where something did not happen is
# counted apart). The population here is thousands, the platform's hundreds of millions:
# compare shapes, shares and orders of magnitude, not counts.


# %%
def span(row: str, fmt: str = ",.0f") -> str:
    """The range of one row of `cases` over the seeds where it is defined."""
    v = cases.loc[row].dropna().astype(float)
    if len(v) == 0:
        return f"none of {len(SEEDS)} seeds"
    return f"{v.min():{fmt}} to {v.max():{fmt}} ({len(v)} of {len(SEEDS)} seeds)"


start_f = span("creator's followers at the start")
end_f = span("creator's followers at the end")
per_like = ratio.dropna().astype(float)
ever_listed = span("topics ever trending")
size = f"{params.n_topics} topics, {params.trending_size} at a time"
pd.DataFrame(
    {
        "the case": {
            "the creator's first post": "19 November, 8 days after the photographer's video",
            "likes of the seed item": "nearly 5 million",
            "likes, share of users": "",
            "the creator's followers": "over 2 million after the first post",
            "outlets join the creator's topic": "about 27 November, two weeks after the video",
            "topic views per like": "billions of reads, millions of likes: about 1,000",
            "topics on the trending list": "more than 50 of 213 monitored tourism topics",
        },
        f"viral_creator, {N_USERS:,} users, {DAYS} days": {
            "the creator's first post": "step " + span("creator's first post (step)"),
            "likes of the seed item": span("seed item: likes"),
            "likes, share of users": span("seed item: likes, share of users", ".1%"),
            "the creator's followers": f"{start_f} at the start, {end_f} at the end",
            "outlets join the creator's topic": "step "
            + span("first ride of the creator's topic (step)"),
            "topic views per like": f"{per_like.min():.1f} to {per_like.max():.1f}",
            "topics on the trending list": f"{ever_listed} of {size}",
        },
    }
)

# %% [markdown]
# ## Does riding pay the focal outlet? A paired comparison
#
# Two arms per seed: the preset as built (the focal outlet rides the trend) and a copy of it
# whose focal outlet does not ride (`ride_trends = False`, every other setting the same).
# `model.branch(strategy=...)` makes the copy at step 0 with the same random streams, so the
# two runs are the same history until the focal outlet's first ride, and differ after it only
# through what riding changes (common random numbers; the background outlets ride in both).
#
# The two measures of 7.20 are defined for an outlet that rode (NaN otherwise):
# `follower_gain` counts the focal outlet's followers gained since its first ride, and
# `topic_view_share` is its items' share of the views of the topics it rode. To compare like
# with like, the arm that does not ride is measured on its twin's terms: its followers
# gained since the step the twin first rode, and its share of the views of the topics the
# twin rode. The loop keeps each arm's follower count after every step (`focal_followers`)
# and computes the view share with `view_share`; on the riding arm both must agree with the
# catalogue's measures, and the two arms must agree up to the first ride, which the loop
# checks.


# %%
def focal_followers(m: OpinionEcology) -> int:
    """The focal outlet's current number of followers."""
    return int(m.focal.followers)


def view_share(m: OpinionEcology, topics: np.ndarray) -> float:
    """The focal outlet's items' share of the views of the items of ``topics`` (a mask)."""
    c = m.content
    on = topics[c.topic]
    mine = on & (c.source_kind == OUTLET) & (c.source == 0)
    total = c.views[on].sum()
    return float(c.views[mine].sum() / total) if total else float("nan")


not_riding = params.strategy.replace(name="interactive_not_riding", ride_trends=False)
rows, curves = [], {}
for seed in SEEDS:
    rider = OpinionEcology(params, seed=seed)
    twin = rider.branch(strategy=not_riding)
    f_rider, f_twin = [focal_followers(rider)], [focal_followers(twin)]
    while rider.running:
        rider.step()
        twin.step()
        f_rider.append(focal_followers(rider))
        f_twin.append(focal_followers(twin))
    start, topics = int(rider.ride.start[0]), rider.ride.rode[0]
    if start < 0:
        print(f"seed {seed}: the focal outlet never rode; left out")
        continue
    # f[t] is the count after t steps, so f[start] is the count when step `start` began
    gain = {"rides": f_rider[-1] - f_rider[start], "does not ride": f_twin[-1] - f_twin[start]}
    share = {"rides": view_share(rider, topics), "does not ride": view_share(twin, topics)}
    assert gain["rides"] == measures.measure("follower_gain").compute(rider)
    assert np.isclose(share["rides"], measures.measure("topic_view_share").compute(rider))
    assert f_rider[: start + 1] == f_twin[: start + 1], "the arms differ before the first ride"
    curves[seed] = (start, np.array(f_rider) - np.array(f_twin))
    common = {"seed": seed, "first ride (step)": start, "topics ridden": int(topics.sum()),
              "followers at the first ride": f_rider[start]}  # fmt: skip
    rows.append({**common, "arm": "rides", "follower_gain": gain["rides"],
                 "topic_view_share": share["rides"],
                 "ride items": int(rider.ride.items[0]),
                 "engagements": int(rider.ride.engagements[0]),
                 "co-published posts": int(rider.ride.co_published[0]),
                 "staff-hours riding": float(rider.ride.hours[0])})  # fmt: skip
    rows.append({**common, "arm": "does not ride", "follower_gain": gain["does not ride"],
                 "topic_view_share": share["does not ride"]})  # fmt: skip
paired = pd.DataFrame(rows)
paired.set_index(["seed", "arm"]).round(4)

# %% [markdown]
# Per arm, the mean over the seeds; and the paired difference (rides minus does not ride)
# with its 95% t interval over the seeds (`experiments.stats.t_interval`, the interval the
# experiment reports use).

# %%
MEASURES = ("follower_gain", "topic_view_share")
wide = paired.pivot(index="seed", columns="arm", values=list(MEASURES))
summary = []
for name in MEASURES:
    diff = (wide[name]["rides"] - wide[name]["does not ride"]).to_numpy(dtype=float)
    mean, sd, lo, hi = t_interval(diff)
    summary.append({"measure": name, "unit": measures.measure(name).unit,
                    "rides": wide[name]["rides"].mean(),
                    "does not ride": wide[name]["does not ride"].mean(),
                    "difference": mean, "ci_lo": lo, "ci_hi": hi,
                    "seeds": len(diff), "clear of zero": bool(lo > 0 or hi < 0)})  # fmt: skip
summary = pd.DataFrame(summary).set_index("measure")
summary.round(4)

# %% [markdown]
# The table says how large the differences are at this size and whether their interval
# excludes zero over these seeds; it does not say why, and the follower counts it compares
# are small (the `followers at the first ride` column gives the scale). Ten seeds at 5,000
# users is a tutorial's sample: for a result, raise `N_USERS` and the number of `SEEDS`, and
# compare early and late riders (`ride_delay`) and a rider alone against one among
# competitors (`background_ride_share`) the same way.
#
# ## The figure
#
# Left: the focal outlet's followers in the riding arm minus the arm that does not ride,
# after each step, one line per seed (zero until the first ride, the dotted line). Middle and
# right: each seed's paired difference of the two measures (rides minus does not ride), with
# their mean and its 95% interval.

# %%
fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
ax = axes[0]
for seed, (_, d) in curves.items():
    ax.plot(np.arange(len(d)) / 24, d, lw=1, alpha=0.7, label=f"seed {seed}")
ax.axvline((min(s for s, _ in curves.values()) + 1) / 24, color="grey", ls=":")
ax.axhline(0, color="k", lw=0.8)
ax.set_xlabel("day")
ax.set_ylabel("followers, rides minus does not ride")
ax.set_title("The focal outlet's followers, paired")
ax.legend(fontsize=7, ncol=2)
jitter = np.linspace(-0.15, 0.15, len(wide))
for ax, name in zip(axes[1:], MEASURES, strict=True):
    diff = wide[name]["rides"] - wide[name]["does not ride"]
    row = summary.loc[name]
    ax.plot(jitter, diff, "o", color="grey", alpha=0.7, label="one seed")
    ax.errorbar([0.4], [row["difference"]],
                yerr=[[row["difference"] - row["ci_lo"]], [row["ci_hi"] - row["difference"]]],
                fmt="D", color="C3", capsize=5, label="mean, 95% CI")  # fmt: skip
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xticks([])
    ax.set_xlim(-0.4, 0.7)
    ax.set_ylabel(f"rides minus does not ride ({measures.measure(name).unit})")
    ax.set_title(f"{name}: {row['difference']:+.3g} [{row['ci_lo']:+.3g}, {row['ci_hi']:+.3g}]")
    ax.legend(fontsize=8)
plt.show()
