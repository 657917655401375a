"""pytest fixtures for the fake Extend server."""
