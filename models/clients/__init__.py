"""Clients ("Subjects"): their tables, records (create, edit, merge), who may see one, contact changes and search."""
