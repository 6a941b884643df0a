"""Printable documents rendered from the centre's records (the daily SITREP)."""
