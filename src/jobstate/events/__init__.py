"""State-change events: the models on the bus, and the outbox relay that publishes them."""
