"""Settings: the validated ``config/*.yaml`` files, their live changes, and watchlist edits from chat."""
