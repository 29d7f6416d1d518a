"""`python -m bench`: the reports benchmark (generate if the database is empty, then run)."""

from bench import reports

if __name__ == "__main__":
    reports.main()
