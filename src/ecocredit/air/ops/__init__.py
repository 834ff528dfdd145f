"""The air-quality writes, one file per verb; each runs in the caller's transaction."""
