"""A deferred expression compiles, on first use, exactly the pattern it was given."""

from __future__ import annotations

import re

from bot.nlp.lazyregex import PACK_CHARS, _DeferredRegex


def test_a_long_pattern_waits_compressed_and_compiles_as_given() -> None:
    pattern = "(?iu)" + "|".join(f"(?:^{w}[-‐][a-zà-ÿ]+$)" for w in ("é", "porte", "\udcff"))
    pattern += "|(?:x)" * (PACK_CHARS // 6)
    deferred = _DeferredRegex(pattern, re.UNICODE)
    assert deferred._packed and len(deferred._args[0]) < len(pattern) // 10
    assert deferred.compiled().pattern == pattern
    assert deferred.compiled().flags == re.compile(pattern, re.UNICODE).flags
    assert deferred.match("porte-avions") and not deferred.match("porte avions")


def test_a_short_pattern_is_kept_as_it_is() -> None:
    deferred = _DeferredRegex("a+b")
    assert not deferred._packed and deferred._args == ("a+b", 0)
    assert deferred.fullmatch("aab")
