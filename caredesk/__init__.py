"""Caredesk: a customer-service desk that shows the customer we care."""

__version__ = "0.1.0"
