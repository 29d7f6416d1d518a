"""Agencies and programs: their tables, the administrators' commands, and the directory other programs search."""
