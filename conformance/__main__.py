"""Run ``python -m conformance`` as the ``dialcheck`` command."""

from dialcheck.conformance.cli import entry_point

entry_point()
