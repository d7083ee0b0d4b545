"""Participant rules (R-1 to R-5): checking an offer's rules against the reference lists,
explaining them for one citizen, and the reference lists themselves (A-5)."""
