"""Pages for platform operators."""
