"""dialcheck's specification: the normative text (``dialstate.md``), the data model (``spec.model``) and the in-process adapter contract (``spec.contract``)."""
