"""The formats.

Dialcheck-trace/1, dialcheck-wire/1, readable text and the JSON Schemas, of both families (depend
only on spec).
"""
