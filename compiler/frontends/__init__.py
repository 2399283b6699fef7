"""Front ends: each reads one input format into the IR."""
