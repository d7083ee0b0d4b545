"""The booking service: citizens see offers and free times and book meetings (B-1, B-2, B-6)."""
