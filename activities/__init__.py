"""Side effects of CONNECT's workflows: database projections, audit, notifications, email, SMS."""
