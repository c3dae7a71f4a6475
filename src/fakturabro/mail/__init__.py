"""E-mail out of fakturabro: the invoice PDF sent through SMTP, and a local SMTP sink for the demo and tests."""
