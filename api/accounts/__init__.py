"""A person's own account: sign in, passwords, the agency profile (acting program), the bell, and first-login steps."""
