"""Sandbox resource routers, one module per Visma resource family; each exposes `router` (paths without `/v2`)."""
