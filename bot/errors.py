"""Errors shared by the configuration loaders and the command line, in a module of their own
so that ``newsbot --help`` need not import pydantic and YAML just to name them."""

from __future__ import annotations

from collections.abc import Sequence


class ConfigError(ValueError):
    """An invalid configuration file; ``str()`` is one ``path:line: message`` per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))
