"""Reading finished runs: the offline W&B reader, the logged-record format, comparison plots, claims.

Imports nothing from ibias.run: analysis works on what a run wrote, not on how it was trained.
"""
