"""Seed documents: title rules, formats, and a folder full of things that are not articles."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.models import Article
from bot.sources import files
from bot.sources.files import DocumentError, FileSource, iter_documents, read_document

REPO = Path(__file__).resolve().parents[2]
SEED = Path("seeds/000_b5e3709a28e5c677.txt")
DATA = Path(__file__).resolve().parent.parent / "data" / "files"
MB = 1024 * 1024


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)


def test_seed_headline_is_first_clause(in_repo: None) -> None:
    a = read_document(SEED, 5 * MB, Path("seeds"))
    assert (
        a.title == "La Corée du Nord sera aux côtés de la Russie jusqu’à sa « victoire » en Ukraine"
    )
    assert a.text.startswith(a.title + ", a prévenu à Moscou")
    assert a.text.rstrip().endswith(SEED.read_text(encoding="utf-8").rstrip()[-40:])
    assert a.source_id == "files:seeds"
    assert a.source_name == "seed file"
    assert a.guid == "000_b5e3709a28e5c677.txt"
    assert a.location == "seeds/000_b5e3709a28e5c677.txt"
    assert a.url is None and a.published is None and a.language is None


def test_seed_same_identity_from_scan_and_match(in_repo: None) -> None:
    scan = FileSource(Path("seeds"), 5 * MB).scan()
    assert scan.problems == []
    direct = read_document(SEED, 5 * MB)  # `newsbot match seeds/000_….txt`
    (scanned,) = [a for a in scan.articles if a.guid == SEED.name]
    assert scanned == direct


def test_txt_with_title_line() -> None:
    a = read_document(DATA / "titled.txt", MB)
    assert a.title == "Министр обороны посетил учения на полигоне"
    assert a.text.startswith("Министр обороны в среду посетил")
    assert "«Подготовка войск идёт по плану»" in a.text


def test_markdown_with_front_matter() -> None:
    a = read_document(DATA / "article.md", MB, DATA)
    assert a.title == "Hafenbehörde meldet Rekordumschlag im Oktober"
    assert a.url == "https://zeitung.example/wirtschaft/hafen-rekord.html"
    assert a.published == datetime(2024, 11, 5, 8, 30, tzinfo=UTC)
    assert a.source_name == "Beispiel-Zeitung"
    assert a.language == "de"
    assert a.guid == "article.md"
    assert a.text.splitlines() == [
        "Eine Überschrift im Text",
        "Die Hafenbehörde hat im Oktober so viele Container umgeschlagen wie nie zuvor, "
        "teilte ein Sprecher am Dienstag mit.",
        "„Wir sind sehr zufrieden“, sagte die Leiterin der Behörde.",
        "Containerumschlag: plus 12 Prozent",
        "Massengut: unverändert",
    ]


def test_markdown_without_front_matter_uses_heading(tmp_path: Path) -> None:
    (tmp_path / "n.md").write_text("# Kurzmeldung\n\nEin Satz. Noch einer.\n", encoding="utf-8")
    a = read_document(tmp_path / "n.md", MB)
    assert (a.title, a.text, a.url, a.source_name) == (
        "Kurzmeldung",
        "Ein Satz. Noch einer.",
        None,
        "seed file",
    )


def test_markdown_bad_front_matter(tmp_path: Path) -> None:
    (tmp_path / "bad.md").write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
    with pytest.raises(DocumentError, match="invalid front matter"):
        read_document(tmp_path / "bad.md", MB)


def test_html_page() -> None:
    a = read_document(DATA / "page.html", MB)
    assert a.title == "시장, 새 다리 개통 발표"  # og:title, without the site suffix
    assert a.url == "https://ilbo.example.kr/news/2024/11/05/bridge"
    assert a.language == "ko"
    assert a.text.splitlines() == [
        "시장, 새 다리 개통 발표",
        "시장은 5일 기자회견을 열고 새 다리를 다음 달 개통한다고 밝혔다.",
        '시장은 "교통 체증이 크게 줄어들 것"이라고 말했다.',
        "공사는 2년 동안 진행됐다.",
    ]
    for hidden in ("dataLayer", "font-family", "정치", "많이 본", "©", "자바스크립트"):
        assert hidden not in a.text


def test_utf8_bom_and_utf16(tmp_path: Path) -> None:
    (tmp_path / "bom.txt").write_bytes("\ufeffTitre\nCorps du texte.".encode())
    (tmp_path / "u16.txt").write_bytes("Заголовок\nТекст новости.".encode("utf-16"))
    assert read_document(tmp_path / "bom.txt", MB).title == "Titre"
    assert read_document(tmp_path / "u16.txt", MB).text == "Текст новости."


def test_html_declared_charset(tmp_path: Path) -> None:
    page = (
        '<html><head><meta charset="windows-1251"><title>Новости</title></head>'
        "<body><p>Текст.</p></body></html>"
    )
    (tmp_path / "p.htm").write_bytes(page.encode("windows-1251"))
    a = read_document(tmp_path / "p.htm", MB)
    assert (a.title, a.text) == ("Новости", "Текст.")


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\n", "empty file"),
        ("nul.txt", b"PK\x03\x04\x00\x00binary", "binary file"),
        ("latin.txt", "café crème".encode("latin-1") + b"\xff\xfe\x80", "binary file or not UTF-8"),
        ("x.pdf", b"%PDF-1.4", "unsupported file type '.pdf'"),
    ],
)
def test_read_document_errors(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DocumentError) as e:
        read_document(tmp_path / name, MB)
    assert e.value.reason.startswith(reason)
    assert str(e.value).startswith(f"{(tmp_path / name).as_posix()}: ")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no such file"):
        read_document(tmp_path / "gone.txt", MB)


def _sparse(path: Path, size: int) -> None:
    with open(path, "wb") as f:
        f.truncate(size)


def test_large_file_refused_without_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sparse(tmp_path / "huge.txt", 20 * MB)

    def no_open(*args: object, **kwargs: object) -> None:
        raise AssertionError("opened a file that stat already showed to be too large")

    monkeypatch.setattr(os, "open", no_open)
    with pytest.raises(DocumentError, match=r"too large \(20 MB, limit 5 MB\)"):
        read_document(tmp_path / "huge.txt", 5 * MB)


def _messy_folder(root: Path) -> Path:
    seeds = root / "seeds"
    (seeds / "sub").mkdir(parents=True)
    shutil.copy(REPO / SEED, seeds / SEED.name)
    shutil.copy(DATA / "article.md", seeds / "sub" / "article.md")
    shutil.copy(DATA / "page.html", seeds / "page.html")
    (seeds / "empty.txt").write_bytes(b"")
    (seeds / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _sparse(seeds / "huge.md", 20 * MB)
    (seeds / ".hidden.txt").write_text("secret draft")
    (seeds / "notes.docx").write_bytes(b"PK\x03\x04")
    (seeds / "draft.txt~").write_text("backup")
    os.symlink("loop_b.txt", seeds / "loop_a.txt")
    os.symlink("loop_a.txt", seeds / "loop_b.txt")
    os.symlink("..", seeds / "sub" / "up")  # a directory loop
    return seeds


def test_folder_scan_reports_each_bad_file_once(tmp_path: Path) -> None:
    seeds = _messy_folder(tmp_path)
    source = FileSource(seeds, 5 * MB, label="seeds")
    first = source.scan()
    assert sorted(a.guid for a in first.articles) == [SEED.name, "page.html", "sub/article.md"]
    assert sorted(first.problems) == [
        "seeds/empty.txt: empty file, skipped",
        "seeds/huge.md: too large (20 MB, limit 5 MB), skipped",
        "seeds/loop_a.txt: symlink loop, skipped",
        "seeds/loop_b.txt: symlink loop, skipped",
        "seeds/photo.txt: binary file, skipped",
    ]
    assert {a.source_id for a in first.articles} == {"files:seeds"}
    assert {a.location for a in first.articles} >= {"seeds/sub/article.md"}

    second = source.scan()
    assert second.problems == []
    assert second.articles == first.articles  # good files are not lost on a rescan


def test_rescan_uses_cache_and_notices_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    good = folder / "a.txt"
    good.write_text("Titre\nPremier texte.", encoding="utf-8")
    bad = folder / "b.txt"
    bad.write_bytes(b"")
    source = FileSource(folder, MB)
    first = source.scan()
    assert [a.text for a in first.articles] == ["Premier texte."]
    assert first.problems == [f"{folder.as_posix()}/b.txt: empty file, skipped"]

    reads: list[Path] = []
    real_read = files.read_document

    def counting_read(path: Path, *args: Any, **kwargs: Any) -> Article:
        reads.append(path)
        return real_read(path, *args, **kwargs)

    monkeypatch.setattr(files, "read_document", counting_read)
    cached = source.scan()
    assert [a.text for a in cached.articles] == ["Premier texte."] and cached.problems == []
    assert reads == []  # unchanged files, good or bad, are not read again

    good.write_text("Titre\nTexte modifié, plus long.", encoding="utf-8")
    bad.write_text("Réparé\nLe fichier a maintenant du texte.", encoding="utf-8")
    changed = source.scan()
    assert sorted(reads) == [good, bad]
    assert sorted(a.text for a in changed.articles) == [
        "Le fichier a maintenant du texte.",
        "Texte modifié, plus long.",
    ]
    assert changed.problems == []

    bad.write_bytes(b"\x00\x01")  # broken again: reported again
    assert source.scan().problems == [f"{folder.as_posix()}/b.txt: binary file, skipped"]


def test_unreadable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "locked.txt").write_text("Titre\nTexte.")
    real_open = os.open

    def deny(path: Any, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith("locked.txt"):
            raise PermissionError(13, "Permission denied")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", deny)  # chmod 000 does not stop root
    scan = FileSource(tmp_path, MB, label="s").scan()
    assert scan.problems == ["s/locked.txt: permission denied, skipped"]


def test_missing_folder_reported_once(tmp_path: Path) -> None:
    source = FileSource(tmp_path / "nope", MB, label="nope")
    assert source.scan().problems == ["nope: folder not found"]
    assert source.scan().problems == []


def test_fifo_is_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    scan = FileSource(tmp_path, MB, label="s").scan()  # must not block
    assert scan.problems == ["s/pipe.txt: not a regular file, skipped"]


def test_iter_documents(tmp_path: Path) -> None:
    seeds = _messy_folder(tmp_path)
    names = [p.relative_to(seeds).as_posix() for p in iter_documents([seeds])]
    assert names == [
        SEED.name,
        "empty.txt",
        "huge.md",
        "loop_a.txt",
        "loop_b.txt",
        "page.html",
        "photo.txt",
        "sub/article.md",
    ]
    explicit = tmp_path / "x.pdf"
    assert list(iter_documents([explicit])) == [explicit]  # read_document says why not


# -- hostile seed files ------------------------------------------------------------------------

_ESCAPES = ("\x1b", "\x07", "\x9b", "\u202e")


def _assert_no_escapes(a: Article) -> None:
    for text in (a.title, a.source_name, a.text, a.url or "", a.location or ""):
        assert not any(c in text for c in _ESCAPES), repr(text)


def test_escape_sequences_stripped_from_seed_files(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "evil.md").write_text(
        "---\n"
        'title: "Evil\\e[2J\\e]0;pwn\\a title"\n'  # YAML escapes: ESC and BEL
        'source: "Src\\e[31m"\n'
        'url: "https://e.com/a\\e[31m"\n'
        "---\n"
        "Body\x1b[1m text\x9b0m here.\n",
        encoding="utf-8",
    )
    (seeds / "evil.html").write_text(
        '<html><head><title>Page\x1b[2J \u202etitle</title><link rel="canonical" '
        'href="https://e.com/p\x1b[31m"></head><body><p>Para\x1b]0;x\x07graph.</p></body></html>',
        encoding="utf-8",
    )
    (seeds / "evil.txt").write_text("Headline\x1b[5m here\nBody\x1b[0m.\n", encoding="utf-8")
    (seeds / "name\x1b[2J.txt").write_text("Title\nText.\n", encoding="utf-8")
    scan = FileSource(seeds, MB, label="seeds").scan()
    assert scan.problems == []
    by_guid = {a.guid: a for a in scan.articles}
    for a in scan.articles:
        _assert_no_escapes(a)
    md, html, txt = by_guid["evil.md"], by_guid["evil.html"], by_guid["evil.txt"]
    assert (md.title, md.source_name, md.url, md.text) == (
        "Evil title",
        "Src",
        None,  # a link with escape codes in it is dropped, not repaired
        "Body text here.",
    )
    assert (html.title, html.url, html.text) == ("Page title", None, "Paragraph.")
    assert (txt.title, txt.text) == ("Headline here", "Body.")
    assert by_guid["name\x1b[2J.txt"].location == "seeds/name.txt"


def _laughs(levels: int) -> str:
    """Front matter whose ``title`` expands to 9**levels "lol"s - under 500 bytes."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return "---\n" + "\n".join(lines) + f"\ntitle: *l{levels}\n---\n"


def test_front_matter_alias_bomb_is_ignored_not_expanded(tmp_path: Path) -> None:
    import tracemalloc

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    front = _laughs(6)  # 531441 "lol"s: a 4 MB title before aliases were refused
    assert len(front) < 500
    (seeds / "bomb.md").write_text(front + "# Real title\n\nThe body.\n", encoding="utf-8")
    source = FileSource(seeds, MB, label="seeds")
    tracemalloc.start()
    try:
        scan = source.scan()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * MB  # never expanded (4 MB of title would show here)
    (a,) = scan.articles
    assert (a.title, a.text, a.source_name) == ("Real title", "The body.", "seed file")
    assert scan.problems == [
        "seeds/bomb.md: front matter ignored (YAML anchors and aliases are not allowed)"
    ]
    again = source.scan()
    assert again.articles == [a] and again.problems == []  # reported once


@pytest.mark.parametrize(
    ("front", "reason"),
    [
        ("title: &t Anchored\n", "YAML anchors and aliases are not allowed"),
        ("a: &a x\ntitle: *a\n", "YAML anchors and aliases are not allowed"),
        ("title: " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 20 levels deep"),
        ("x:\n" + "".join(" " * i + f"k{i}:\n" for i in range(1, 30)), "nested more than 20"),
    ],
    ids=["anchor", "alias", "deep-flow", "deep-block"],
)
def test_hostile_front_matter_keeps_the_document(tmp_path: Path, front: str, reason: str) -> None:
    (tmp_path / "x.md").write_text(f"---\n{front}---\nSome text.\n", encoding="utf-8")
    problems: list[str] = []
    a = read_document(tmp_path / "x.md", MB, tmp_path, label="seeds", problems=problems)
    assert a.text == "Some text." and a.title == "Some text"
    assert len(problems) == 1 and problems[0].startswith(
        f"seeds/x.md: front matter ignored ({reason}"
    )


def test_front_matter_keys_must_be_single_values(tmp_path: Path) -> None:
    (tmp_path / "x.md").write_text(
        "---\ntitle: [a, b]\nsource: {name: x}\nurl: https://ok.example/x\ntags: [p, q]\n"
        "published: 2024-11-05\n---\n# Heading\n\nText.\n",
        encoding="utf-8",
    )
    problems: list[str] = []
    a = read_document(tmp_path / "x.md", MB, tmp_path, label="seeds", problems=problems)
    assert (a.title, a.source_name, a.url) == ("Heading", "seed file", "https://ok.example/x")
    assert a.published == datetime(2024, 11, 5, tzinfo=UTC)
    assert problems == [
        "seeds/x.md: front matter 'title' ignored (not a single value)",
        "seeds/x.md: front matter 'source' ignored (not a single value)",
    ]
