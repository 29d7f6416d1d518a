"""Reports (guide Part 8) and the closed-loop dashboard: pages, JSON, CSV and the server-drawn charts."""
