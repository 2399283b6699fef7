"""The `jobsub` and `jobsub_submit` commands."""
