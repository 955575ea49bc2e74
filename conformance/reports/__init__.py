"""The reports: verdict lines, failure reports, JSON and JUnit, the kill matrix and the multi-implementation matrix."""
