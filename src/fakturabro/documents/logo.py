"""The company's logo on the invoice: scaled into the head of the document, its aspect kept."""

from __future__ import annotations

import io

from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, Image

from fakturabro.documents.model import Logo

RASTER_TYPES = ("image/png", "image/jpeg")


def logo_flowable(logo: Logo, *, max_width: float, max_height: float) -> Flowable | None:
    """The logo as a ReportLab flowable no larger than the box, or None when it cannot be drawn."""
    if logo.content_type not in RASTER_TYPES:
        return None
    width, height = ImageReader(io.BytesIO(logo.data)).getSize()
    scale = min(max_width / width, max_height / height, 1.0)
    return Image(io.BytesIO(logo.data), width=width * scale, height=height * scale, hAlign="LEFT")
