"""Submitting compiled workflows and managing jobs through the htcondor2 bindings."""
