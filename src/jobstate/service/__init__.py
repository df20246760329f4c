"""The service layer: what the workflow tasks, the HTTP handlers and integrators call."""
