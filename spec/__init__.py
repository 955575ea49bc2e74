"""dialcheck's specification.

The normative text (``dialstate.md``), the data model (``model``) and the in-process adapter contract (``contract``).
"""
