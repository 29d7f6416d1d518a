"""People and machine clients: their tables, administration, passwords, sessions, sign-in throttling and credentials."""
