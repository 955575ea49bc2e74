"""The drivers.

Implementations in other processes (the wire client, the served side) and how a command opens its
subject.
"""
