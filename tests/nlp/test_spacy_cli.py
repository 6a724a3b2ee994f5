"""spaCy is imported without its command line (``bot.nlp.spacy_cli``), and whatever of the
command line is asked for is the real one."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, sys
import bot.nlp
import spacy
nlp = spacy.blank("en")
words = [t.text for t in nlp("North Korea sent troops.")]
before = sorted(m for m in ("weasel", "requests", "httpx", "spacy.cli.train") if m in sys.modules)
import spacy.cli.download  # a submodule imports as usual while the package is deferred
info = spacy.info()
import spacy.cli
print(json.dumps({
    "words": words,
    "before": before,
    "info": sorted(info),
    "app": type(spacy.cli.app).__name__,
    "train": hasattr(spacy.cli, "train_cli"),
}))
"""


def test_spacy_imports_without_its_cli_and_gives_the_real_one_when_asked() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["words"] == ["North", "Korea", "sent", "troops", "."]
    assert got["before"] == []  # none of the CLI's dependencies until asked for
    assert {"spacy_version", "location", "platform"} <= set(got["info"])
    assert got["app"] == "Typer"
    assert got["train"] is True
