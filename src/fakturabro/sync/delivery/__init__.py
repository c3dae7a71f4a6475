"""Sending approved invoices to their customers: through Visma (e-mail, e-invoice) or by our own e-mail."""
