"""The web entry point: FastAPI app factory, REST API (/api/v1), minimal HTML pages."""
