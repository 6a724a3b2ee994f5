"""What the chat commands do (subscribe, brief, watch ...), the same on every platform."""
