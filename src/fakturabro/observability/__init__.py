"""Running fakturabro in production: structured logs without secrets, Prometheus metrics, readiness."""
