"""Runs in the child too: seeded inputs, probes, encoding, guards, stand-ins, figures."""
