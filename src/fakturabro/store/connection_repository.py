"""The Visma connections: one row per company (also the company's refresh lock) and the pending OAuth requests
("Koppla till Visma eEkonomi" started, not completed yet)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select

from fakturabro.store.repositories import Transaction
from fakturabro.store.visma_models import VismaConnection, VismaOAuthRequest


class ConnectionRepository:
    """Connections and OAuth requests, found across companies (a callback knows only its ``state``)."""

    def __init__(self, session: Transaction) -> None:
        self.session = session

    def get(self, company_id: int) -> VismaConnection | None:
        """The connection as this unit of work holds it (no query when it is already loaded)."""
        return self.session.get(VismaConnection, company_id)

    def current(self, company_id: int, *, lock: bool = False) -> VismaConnection | None:
        """The connection as the database has it now, refreshing a loaded copy; ``lock`` holds its row until
        commit (PostgreSQL; SQLite's write lock is taken at BEGIN)."""
        query = select(VismaConnection).where(VismaConnection.company_id == company_id)
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query.execution_options(populate_existing=True)).one_or_none()

    def add(self, connection: VismaConnection) -> None:
        self.session.add(connection)
        self.session.flush()

    def importing_company_ids(self) -> list[int]:
        """Companies activated, connected and not waiting for a reconnect, by id."""
        query = (
            select(VismaConnection.company_id)
            .where(
                VismaConnection.activated.is_(True),
                VismaConnection.refresh_token_encrypted.is_not(None),
                VismaConnection.needs_reconnect.is_(False),
            )
            .order_by(VismaConnection.company_id)
        )
        return list(self.session.scalars(query))

    def request_by_state_hash(self, state_hash: str) -> VismaOAuthRequest | None:
        """The pending request, its row locked until commit so one callback alone can claim it."""
        query = select(VismaOAuthRequest).where(VismaOAuthRequest.state_hash == state_hash).with_for_update()
        return self.session.scalars(query).one_or_none()

    def add_request(self, request: VismaOAuthRequest) -> None:
        self.session.add(request)

    def drop_requests_created_before(self, moment: datetime) -> None:
        self.session.execute(delete(VismaOAuthRequest).where(VismaOAuthRequest.created_at < moment))
