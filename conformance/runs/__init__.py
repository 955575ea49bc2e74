"""The runs.

The ways events are chosen (the random machine, bounded exhaustive checking, the seeded walks of the
corpus).
"""
