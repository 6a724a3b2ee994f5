"""Discord through discord.py: the adapter, message rendering and slash commands."""
