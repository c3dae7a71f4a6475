"""The invoicing use cases: one function per thing a user does, one transaction per command, scoped by company."""
