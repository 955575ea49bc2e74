"""The oracle.

The named invariants and execution rules of both families, and the comparison of answers (never the
reference).
"""
