"""Fixtures for the payment import tests; the helpers themselves live in `payment_helpers`."""

from payment_helpers import connected, ours, visma

__all__ = ["connected", "ours", "visma"]
