"""Clients ("Subjects", guide Part 2): search, Add Subject, the profile, the client JSON API, and merging duplicates."""
