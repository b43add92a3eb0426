"""Exercise YAML, schema, config and limits, pack expressions (no torch)."""
