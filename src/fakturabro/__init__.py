"""fakturabro: invoicing for Swedish tradespeople, integrated with Visma eEkonomi."""
