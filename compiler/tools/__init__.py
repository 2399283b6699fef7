"""Tools over the stages: `convert` (dagnabbit -> manifest) and `fmt` (manifest layout)."""
