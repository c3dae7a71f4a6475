"""Webhooks: endpoints a company registers, and the delivery of its events to them as DBOS workflows."""
