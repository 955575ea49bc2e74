"""dialcheck's conformance tooling: traces, replay and the ``dialcheck`` command."""
