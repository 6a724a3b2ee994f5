"""An admin adds a new watch item by editing YAML alone, and `newsbot match` finds it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bot.cli.main import app

ROOT = Path(__file__).resolve().parents[2]

NEW_ITEM = """
  - id: iaea
    name: IAEA
    aliases:
      en: [IAEA, International Atomic Energy Agency]
      fr: [AIEA, Agence internationale de l'énergie atomique]
      ru: [МАГАТЭ, Международное агентство по атомной энергии]
"""

DOCS = {
    "en_iaea.txt": "Inspectors return to Zaporizhzhia\n"
    "A team from the International Atomic Energy Agency arrived at the plant on Monday. "
    "The IAEA said its experts would stay for at least a month.\n",
    "fr_aiea.txt": "Les inspecteurs de l'AIEA attendus en Iran\n"
    "L'AIEA enverra deux inspecteurs la semaine prochaine, a indiqué Vienne jeudi.\n",
    "ru_magate.txt": "Эксперты МАГАТЭ прибыли на станцию\n"
    "Группа экспертов МАГАТЭ начала проверку, сообщили в агентстве.\n",
    # The International Energy Agency (AIE) is another body: it must not match "AIEA".
    "fr_aie.txt": "L'AIE revoit sa prévision de demande de pétrole\n"
    "L'Agence internationale de l'énergie (AIE) a relevé jeudi sa prévision de demande "
    "mondiale de pétrole pour l'an prochain.\n",
}


def test_admin_adds_an_entity_in_three_languages_by_yaml_alone(tmp_path: Path) -> None:
    watchlist = tmp_path / "watchlist.yaml"
    watchlist.write_text(
        (ROOT / "config" / "watchlist.yaml").read_text(encoding="utf-8").rstrip("\n")
        + "\n"
        + NEW_ITEM,
        encoding="utf-8",
    )
    for name, text in DOCS.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    runner = CliRunner()
    config = ["--config", str(ROOT / "config" / "newsbot.yaml")]

    check = runner.invoke(app, ["watchlist", "check", str(watchlist), *config])
    assert check.exit_code == 0, check.output

    result = runner.invoke(
        app,
        [
            "match",
            *(str(tmp_path / n) for n in DOCS),
            "--watchlist",
            str(watchlist),
            "--json",
            *config,
        ],
    )
    assert result.exit_code == 0, result.output
    found = {
        Path(doc["source"]).name: {m["id"]: m["evidence"] for m in doc["matches"]}
        for doc in map(json.loads, result.stdout.splitlines())
    }
    assert set(found) == set(DOCS)
    assert "iaea" in found["en_iaea.txt"]
    assert "iaea" in found["fr_aiea.txt"]
    assert "iaea" in found["ru_magate.txt"]
    assert "iaea" not in found["fr_aie.txt"]
    assert any("МАГАТЭ" in e for e in found["ru_magate.txt"]["iaea"])

    # The default watchlist, untouched, knows nothing of it.
    default = runner.invoke(app, ["match", str(tmp_path / "en_iaea.txt"), "--json", *config])
    assert default.exit_code == 0, default.output
    assert "iaea" not in {m["id"] for m in json.loads(default.stdout)["matches"]}
