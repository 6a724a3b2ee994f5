"""``/watch`` edits of the watchlist file: what chat syntax means, and that the admin's
comments and the order of the other items come through byte for byte."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from bot.nlp.watchlist import load_watchlist, parse_watchlist
from bot.settings.watchedit import (
    add_to_text,
    plan_add,
    plan_remove,
    remove_from_text,
    write,
)
from bot.settings.watchrequest import AddRequest, WatchEditError, new_item, parse_add, parse_aliases

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = (ROOT / "config" / "watchlist.yaml").read_text(encoding="utf-8")


# -- chat syntax -----------------------------------------------------------------------------


def test_aliases_are_comma_separated_with_an_optional_language() -> None:
    assert parse_aliases("Choe Son Hui, fr:Choe Son-hui, ko: 최선희") == {
        "any": ["Choe Son Hui"],
        "fr": ["Choe Son-hui"],
        "ko": ["최선희"],
    }


def test_quoted_aliases_stand_alone_and_take_a_language_prefix() -> None:
    assert parse_aliases('"Choe Son Hui" "Choe Sun Hui" fr:"Choe Son-hui" de: „Choe Son Hui“') == {
        "any": ["Choe Son Hui", "Choe Sun Hui"],
        "fr": ["Choe Son-hui"],
        "de": ["Choe Son Hui"],
    }


def test_apostrophes_are_part_of_an_alias_and_repeats_are_dropped() -> None:
    assert parse_aliases("People's Army, fr:livraisons d'armes, People's Army") == {
        "any": ["People's Army"],
        "fr": ["livraisons d'armes"],
    }


def test_slack_typographic_quotes_group_a_name() -> None:
    request = parse_add("choe-son-hui “Choe Son Hui” Choe Son Hui, ko:최선희*")
    assert request == AddRequest(
        "choe-son-hui", "Choe Son Hui", {"any": ["Choe Son Hui"], "ko": ["최선희*"]}
    )


def test_without_aliases_the_name_is_the_alias() -> None:
    item = new_item(parse_add('zaporizhzhia "Zaporizhzhia plant"'))
    assert item.aliases == {"any": ["Zaporizhzhia plant"]}
    assert item.kind == "entity"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Usage"),
        ("onlyid", "Give onlyid a name"),
        ('x "unclosed', "not closed"),
        ('Bad_ID "Name" alias', "lowercase"),
        ('ok "Name" **x', "'*' may only"),
        ('ok "Name" fr:', "'fr:' needs an alias after it"),
    ],
)
def test_what_cannot_be_added_says_why(text: str, message: str) -> None:
    with pytest.raises(WatchEditError, match=message):
        new_item(parse_add(text))


# -- the file ---------------------------------------------------------------------------------


def test_adding_keeps_every_existing_byte_and_appends_in_the_files_style() -> None:
    item = new_item(parse_add('choe-son-hui "Choe Son Hui" Choe Son Hui, fr:Choe Son-hui, ko:최선희'))
    after = add_to_text(DEFAULT, item)
    assert after.startswith(DEFAULT)  # comments, order, quoting: all as they were
    assert after[len(DEFAULT):] == (
        "\n"
        "  - id: choe-son-hui\n"
        "    name: Choe Son Hui\n"
        "    aliases:\n"
        "      any: [Choe Son Hui]\n"
        "      fr: [Choe Son-hui]\n"
        "      ko: [최선희]\n"
    )
    assert parse_watchlist(after).ids()[-1] == "choe-son-hui"


def test_an_added_alias_that_needs_quotes_gets_them() -> None:
    item = new_item(AddRequest("ammo", "Ammunition", {"de": ["*munition"], "en": ["shells: 155mm"]}))
    after = parse_watchlist(add_to_text(DEFAULT, item))
    assert after.get("ammo") == item


def test_adding_goes_before_trailing_comments_and_keeps_a_compact_style() -> None:
    text = (
        "items:\n"
        "- id: a\n"
        "  name: A\n"
        "  aliases: {en: [Aaa]}\n"
        "- id: b\n"
        "  name: B\n"
        "  aliases: {en: [Bbb]}\n"
        "# more to come\n"
    )
    after = add_to_text(text, new_item(AddRequest("c", "C", {"en": ["Ccc"]})))
    assert after == (
        "items:\n"
        "- id: a\n"
        "  name: A\n"
        "  aliases: {en: [Aaa]}\n"
        "- id: b\n"
        "  name: B\n"
        "  aliases: {en: [Bbb]}\n"
        "- id: c\n"
        "  name: C\n"
        "  aliases:\n"
        "    en: [Ccc]\n"
        "# more to come\n"
    )


@pytest.mark.parametrize("item_id", ["north-korea", "kursk", "arms-transfers", "russia", "ukraine"])
def test_removing_cuts_out_one_block_and_leaves_the_rest_byte_for_byte(item_id: str) -> None:
    after = remove_from_text(DEFAULT, item_id)
    old, new = DEFAULT.splitlines(keepends=True), after.splitlines(keepends=True)
    head = len(os.path.commonprefix([old, new]))
    tail = len(new) - head
    assert new == old[:head] + old[len(old) - tail :]
    removed = "".join(old[head : len(old) - tail])
    assert removed.count("- id: ") == 1 and f"- id: {item_id}\n" in removed
    assert parse_watchlist(after).ids() == tuple(
        i for i in parse_watchlist(DEFAULT).ids() if i != item_id
    )
    assert "\n\n\n" not in after and not after.startswith("\n")
    # The comment block written right above an item goes with it, and the comments inside
    # the item's own block (indented under its `- id:`); no other comment does.
    removed_comments = [
        x for x in removed.splitlines() if x.lstrip().startswith("#") and not x.startswith("    ")
    ]
    if item_id == "arms-transfers":
        assert removed_comments[0] == "  # A topic: counts in a sentence where its rule holds, or where one of its aliases"
    else:
        assert removed_comments == []


def test_removing_kursk_keeps_the_comment_that_introduces_the_next_item() -> None:
    after = remove_from_text(DEFAULT, "kursk")
    assert "  # A topic: counts in a sentence where its rule holds" in after
    assert "Kursky rail terminal" not in after  # kursk's own inline comment went with it
    assert "\n\n\n" not in after
    # Apart from the removed block, the text is the original, byte for byte.
    start = DEFAULT.index("\n  - id: kursk\n")
    end = DEFAULT.index("\n  # A topic:")
    assert after == DEFAULT[:start] + DEFAULT[end:]


def test_plan_refuses_an_invalid_result_and_an_existing_id(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    path.write_text(DEFAULT, encoding="utf-8")
    with pytest.raises(WatchEditError, match="already watched"):
        plan_add(path, AddRequest("kursk", "Kursk again", {"en": ["Kursk"]}))
    with pytest.raises(WatchEditError, match="no watch item 'nowhere'"):
        plan_remove(path, "nowhere")
    path.write_text(DEFAULT + "  - id: [broken\n", encoding="utf-8")
    with pytest.raises(WatchEditError, match=f"fix it first.*\n{path}:\\d+: "):
        plan_add(path, AddRequest("x", "X", {"en": ["Xxx"]}))
    assert path.read_text(encoding="utf-8") == DEFAULT + "  - id: [broken\n"


def test_write_is_atomic_keeps_the_mode_and_refuses_a_file_changed_meanwhile(tmp_path: Path) -> None:
    path = tmp_path / "watchlist.yaml"
    path.write_text(DEFAULT, encoding="utf-8")
    os.chmod(path, 0o640)
    inode = path.stat().st_ino
    edit = plan_remove(path, "kursk")
    write(path, edit)
    assert load_watchlist(path).get("kursk") is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert path.stat().st_ino != inode, "written in place, not renamed over"
    assert [p.name for p in tmp_path.iterdir()] == ["watchlist.yaml"]

    edit = plan_remove(path, "russia")
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # a hand edit
    with pytest.raises(WatchEditError, match="changed meanwhile"):
        write(path, edit)
    assert load_watchlist(path).get("russia") is not None


def test_a_symlinked_watchlist_stays_a_symlink(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    shutil.copy(ROOT / "config" / "watchlist.yaml", tmp_path / "real" / "watchlist.yaml")
    link = tmp_path / "watchlist.yaml"
    link.symlink_to(tmp_path / "real" / "watchlist.yaml")
    write(link, plan_add(link, AddRequest("x", "X", {"en": ["Xxx"]})))
    assert link.is_symlink()
    assert load_watchlist(tmp_path / "real" / "watchlist.yaml").get("x") is not None
