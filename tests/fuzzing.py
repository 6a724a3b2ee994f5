"""Hypothesis settings and strategies shared by the fuzz tests.

Every fuzz test runs with :data:`FUZZ`: no deadline (a network round trip per example
varies with the machine's load), ``derandomize=True`` so CI and a laptop try the same
examples and a failure reproduces by running the test again, and no example database.
Hypothesis also mixes in constants found in the modules loaded at the time, so a file run
alone and the whole suite draw different examples; each is repeatable.
``NEWSBOT_FUZZ_RANDOM=1`` turns derandomizing off, for a developer who wants the fuzzers
to look somewhere new.
"""

from __future__ import annotations

import operator
import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(
    deadline=None,
    derandomize=not os.environ.get("NEWSBOT_FUZZ_RANDOM"),
    database=None,
    print_blob=True,
    # The strategies build large documents on purpose.
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

KNOWN_COMMANDS = (
    "brief", "subscribe", "unsubscribe", "subscriptions", "watchlist", "feeds", "mute", "unmute",
    "search",
)

controls = st.text(
    alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp", "Zs", "Co"]), max_size=12
)
"""Control, format and separator characters: NUL, RTL overrides, zero widths, U+2028."""

huge = st.builds(
    operator.mul,
    st.sampled_from(["a", "kursk ", "é", "\x00", "北", "<!channel> ", "%", " ", "\u202e"]),
    st.integers(3_000, 120_000),
)
"""Absurdly long text, built by repetition (hypothesis would take ages to draw it)."""

tricky = st.sampled_from(
    [
        "",
        " ",
        "kursk",
        "kursk 48h",
        "north korea 7d",
        "shells kursk 2026-12-01",
        "item:kursk since:7d rail",
        '"shells" NEAR(kursk*) OR title:x -y ^z',
        "all",
        "all dm",
        "dm",
        "KURSK DM",
        "kursk 0h",
        "kursk -5h",
        "kursk 1.5h",
        "kursk 99999999999999999999d",
        "1" * 400 + "w",
        "kursk 1e309h",
        "kursk ٣h",  # an Arabic-Indic digit is a \\d to Python's re
        "kursk ³h",
        "<!channel> <!here> <@U0ALICE> <#C0NEWS>",
        "@everyone @here <@&123456789012345678>",
        "kursk\x00dm",
        "kursk\u2028dm",
        "`code` *bold* _it_ ~s~ > quote",
        "%zz%C3%28&a=b&command=/feeds",
        "{\"text\": 1}",
        "Курск 48h",
        "북한",
        "\ud7ff\ufeff\ufffe",
    ]
)

command_text = st.one_of(tricky, st.text(max_size=80), controls, huge, tricky.map(str.upper))
"""What a user might type after the command, and what nobody would."""

command_names = st.one_of(
    st.sampled_from(KNOWN_COMMANDS).map(lambda n: "/" + n),
    st.sampled_from(KNOWN_COMMANDS).map(str.upper),
    st.sampled_from(["", "/", "//brief", "/brief ", "/watch", "/kursk", "/ＢＲＩＥＦ"]),
    st.text(max_size=20),
)

ids = st.one_of(
    st.just(""),
    st.from_regex(r"[CDGUW][A-Z0-9]{8,10}", fullmatch=True),
    st.from_regex(r"[1-9][0-9]{17,19}", fullmatch=True),
    st.text(max_size=24),
)
"""Channel and user ids: Slack's, Discord's, empty, and anything else."""
