"""Webhooks: leads subscribe a URL to kinds of conversation events; each event is POSTed to it,
signed, with retries and backoff, and every attempt is logged (docs/webhooks.md)."""
