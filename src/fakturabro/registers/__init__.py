"""The article and customer registers in bulk: files in and out, and the plans both files and Visma sync share.

A bulk operation is gather → plan → apply: read both sides, let a pure planner (``plan``) decide each row's
fate (create, update, leave alone, conflict for the user to decide, reject with a reason), show that as a
preview, then apply it in batches (``apply``). Applying re-plans against the current state first, so running
the same operation twice is a no-op and a run that crashed midway continues where it stopped.
"""
