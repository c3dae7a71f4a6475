"""The company's own details for its invoices (Inställningar → Företaget), one row per company.

The row is created the first time the settings are saved; until then the company has only its name.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fakturabro.store.models import EMAIL_LENGTH, NAME_LENGTH, SHORT_LENGTH, Base
from fakturabro.store.types import UtcDateTime


class CompanySettings(Base):
    __tablename__ = "company_settings"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)
    org_number: Mapped[str | None] = mapped_column(String(11))
    vat_number: Mapped[str | None] = mapped_column(String(14))
    address_line1: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    address_line2: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    postal_code: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    city: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    phone: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    email: Mapped[str | None] = mapped_column(String(EMAIL_LENGTH))
    website: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    f_skatt: Mapped[bool] = mapped_column(Boolean, default=False)
    bankgiro: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    plusgiro: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    iban: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    bic: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    payment_terms_days: Mapped[int] = mapped_column(Integer, default=30)
    late_interest_text: Mapped[str | None] = mapped_column(Text)
    ocr_mode: Mapped[str] = mapped_column(String(20), default="luhn")
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)  # sanitised (SVG) or checked (PNG/JPEG) bytes
    logo_content_type: Mapped[str | None] = mapped_column(String(SHORT_LENGTH))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
