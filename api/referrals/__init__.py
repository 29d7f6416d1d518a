"""Referrals (guide Parts 4-7): the JSON API, the pages, the one action layer both call, the schemas, how referrals read, and the escalation queue."""
