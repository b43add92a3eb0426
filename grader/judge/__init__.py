"""Observations → verdicts: compare, one judge per check kind, diagnose, grade."""
