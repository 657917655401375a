"""A fake Extend server for testing code that uses extend-runs."""
