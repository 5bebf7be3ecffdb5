"""Core layer: errors, messages (nl/en), checks, results, plotting style."""
