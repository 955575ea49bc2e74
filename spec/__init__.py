"""dialcheck's specification.

The normative text (``dialstate.md``), the data model (``model``) and the in-process adapter contract (``contract``).
"""

#: dialcheck's version: the package's (pyproject.toml reads it from here) and what ``hello`` answers say.
__version__ = "0.1.0"
