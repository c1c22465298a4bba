"""public domain."""
