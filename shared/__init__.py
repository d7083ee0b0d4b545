"""Code the three services share.

Pure domain logic (intervals, availability) imports no framework; the helpers for
configuration, database, events and messaging sit beside it, one module per concern.
"""
