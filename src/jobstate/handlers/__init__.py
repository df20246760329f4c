"""Lambda entry points. Each one parses its event, calls one service method, shapes the reply."""
