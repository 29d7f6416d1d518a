"""The queries behind the reports and the monthly closed-loop summary."""
