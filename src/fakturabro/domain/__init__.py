"""The domain: fakturabro's rules in plain Python.

Nothing here imports FastAPI, SQLAlchemy, httpx or DBOS. Money is ``Decimal``; dates and rates come in as
parameters so the rules can be tested with literals.
"""
