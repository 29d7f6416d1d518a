"""Releases of information: the tables the ROI workflow projects into, and the queries that read them."""
