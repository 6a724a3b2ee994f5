"""Slack through slack_bolt/slack_sdk: the adapter (Socket Mode or HTTP) and Block Kit rendering."""
