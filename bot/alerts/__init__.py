"""Alerts: turning an analysed article into the :class:`~bot.models.Alert` a channel is sent."""
