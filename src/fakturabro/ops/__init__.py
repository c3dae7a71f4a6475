"""Operating fakturabro: key rotation, configuration checks at start, the configuration reference."""
