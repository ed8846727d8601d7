"""The subscriber-facing web service (ASGI): unsubscribe, confirm, archive, SNS webhook."""
