"""Pages for vendor companies."""
