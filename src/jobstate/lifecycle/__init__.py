"""Pure lifecycle rules: states, the transition graph, progress bands and recovery policy.

Nothing in this package performs I/O, so every rule can be unit-tested without a network.
"""
