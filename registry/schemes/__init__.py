"""schemes domain."""
