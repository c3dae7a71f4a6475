"""Husavdrag claims, the use cases: claim state per invoice (made in fakturabro or read from Visma), Skatteverket's
claim file, decisions and the invoice back to the buyer, and the overview per year and buyer.

Kept free of imports here, so `invoicing` can read an invoice's claim state (`state`) without a cycle."""
