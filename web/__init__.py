"""HTML only: pages by audience (buyer/, vendor/, operator/), templates and static assets."""
