"""The Visma eEkonomi sandbox: a stateful emulator of eAccounting API v2 and Visma Connect.

Written against Visma's official OpenAPI spec; shares no code with `fakturabro.visma` on purpose.
Entry points: `fakturabro.sandbox.app.create_sandbox_app` and `fakturabro.sandbox.server.run`.
"""
