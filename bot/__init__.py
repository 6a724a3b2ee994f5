"""newsbot: multilingual news alerts for chat teams."""

__version__ = "0.1.0"
