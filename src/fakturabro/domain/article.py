"""Articles (the materials register): what a row defaults to when it names an article number."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

VAT_RATES: tuple[Decimal, ...] = (Decimal(25), Decimal(12), Decimal(6), Decimal(0))


class ArticleKind(StrEnum):
    LABOUR = "labour"
    MATERIAL = "material"
    OTHER = "other"
