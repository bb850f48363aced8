"""Running a project's test suite on one tree: its own code imported, each run done once."""
