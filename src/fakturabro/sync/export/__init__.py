"""The export of approved invoices to Visma eEkonomi (issue 5): planner, steps, the DBOS workflow."""
