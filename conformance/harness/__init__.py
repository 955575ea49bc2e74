"""The harness.

One implementation driven step by step and judged (the session), the families, the world, replay and
minimizing.
"""
