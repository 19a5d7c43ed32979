"""Callbacks to VALET: payload, Standard Webhooks signing, and the outbox sender."""
