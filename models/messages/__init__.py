"""Bell notifications and the message outbox (email and SMS): tables, the bell, and queueing notices."""
