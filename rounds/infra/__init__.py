"""Shared infrastructure for every Rounds process: no domain rules live here."""
