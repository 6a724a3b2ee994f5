"""Local stand-ins for Slack and Discord on 127.0.0.1 that the real client libraries talk to."""
