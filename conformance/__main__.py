"""Run ``python -m conformance`` as the ``dialcheck`` command."""

from conformance.cli import entry_point

entry_point()
