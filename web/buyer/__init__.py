"""Pages for buying companies."""
