"""Back ends: pure functions from the IR to the text of DAG, submit and wrapper files."""
