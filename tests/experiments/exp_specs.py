"""Spec texts shared by the experiments tests."""

#: A tiny paired experiment: 2 design points x 2 arms x 2 replicates, 200 users, 12 steps.
TINY = """
name = "tiny"
replicates = 2
root_seed = 99
steps = 12
measure_every = 4

[fixed]
n_users = 200

[factors]
trust_shift = [-0.2, 0.2]

[arms]
one_way = "one_way"
interactive = "interactive"
"""
