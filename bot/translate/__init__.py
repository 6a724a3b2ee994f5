"""Machine translation of alerts: the :class:`~bot.translate.base.Translator` interface, its
LibreTranslate and DeepL backends, which texts of an alert are sent, and a translator's
outages (one log line and one admin notice each)."""
