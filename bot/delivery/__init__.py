"""Delivery: taking alerts out of the outbox and handing them to a chat adapter, paced per channel."""
