"""What every stage shares and nothing else: the located error type, bounded reading of
sources, limits, units, HTCondor quoting, and the names and macro rules (conventions)."""
