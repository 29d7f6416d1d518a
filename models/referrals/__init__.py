"""Referrals: the tables the referral workflow projects into, the queries behind lists and charts, and the escalation queue."""
