"""Deterministic workflow classes and the contracts they exchange."""
