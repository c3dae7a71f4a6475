"""Payment import from Visma: gather → plan → apply, one transaction per page, a per-company cursor."""
