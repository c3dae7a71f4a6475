"""The adapter to Skatteverket's files: the ROT/RUT claim file ("Begäran om utbetalning", XSD-validated)."""
