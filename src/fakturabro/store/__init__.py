"""Storage: SQLAlchemy models, the unit of work and Alembic migrations. The only place that knows SQL."""
