"""Fixtures for the payment import tests; the helpers themselves live in `payment_helpers`."""

from payment_helpers import ours, visma

__all__ = ["ours", "visma"]
