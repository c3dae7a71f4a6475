"""Every kind of payment-import deviation reads in Swedish in the CLI's table."""

from __future__ import annotations

import pytest

from fakturabro.sync.payments.plan import DeviationKind


@pytest.mark.parametrize("kind", list(DeviationKind))
def test_every_deviation_kind_has_a_swedish_label(kind: DeviationKind) -> None:
    assert kind.label
    assert kind.label != kind.value
