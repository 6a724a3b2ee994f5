"""Local seed documents (``.txt``, ``.md``, ``.html``) turned into ``Article`` values.

A seed folder is edited by people while the bot runs, so anything can land in it: an empty
file, a PDF renamed ``.txt``, a 20 MB log, a symlink loop. Each bad file is reported once,
in one line a person can act on, and never stops the good files from being read.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from bot.models import Article
from bot.sources.html import parse_html
from bot.sources.markdown import Scalar, markdown_to_text, split_front_matter
from bot.sources.metadata import normalize_language, safe_url, to_utc
from bot.text import clean_line, headline, human_size, split_title_line, strip_controls

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm"})
SOURCE_NAME = "seed file"

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


class DocumentError(Exception):
    """A document that cannot be read; ``str()`` is ``"<path>: <reason>"``."""

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


@dataclass
class FileScan:
    """One pass over a seed folder: what was read, and what a person should look at."""

    articles: list[Article] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    settling: int = 0
    """Files left for a later scan because they changed moments ago (still being written)."""


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~") or name.endswith("~")


def _supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES and not _is_hidden(path.name)


def _walk(folder: Path, problems: list[str]) -> Iterator[Path]:
    """Supported, non-hidden files under ``folder``, sorted, following directory symlinks
    at most once each (a symlink loop ends the descent instead of recursing forever)."""
    seen: set[tuple[int, int]] = set()

    def visit(d: Path) -> Iterator[Path]:
        try:
            st = d.stat()
            key = (st.st_dev, st.st_ino)
            if key in seen:
                return
            seen.add(key)
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as e:
            problems.append(f"{clean_line(d.as_posix())}: cannot list folder ({_os_reason(e)})")
            return
        for entry in entries:
            if _is_hidden(entry.name):
                continue
            p = d / entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:
                is_dir = False
            if is_dir:
                yield from visit(p)
            elif _supported(p):
                yield p

    yield from visit(folder)


def iter_documents(paths: Iterable[Path | str]) -> Iterator[Path]:
    """Expand directories to their supported files (sorted); other paths pass through as
    given, so ``read_document`` can say what is wrong with them."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            yield from _walk(p, [])
        else:
            yield p


def _os_reason(e: OSError) -> str:
    if e.errno == errno.ELOOP:
        return "symlink loop"
    if e.errno == errno.ENOENT:
        return "no such file (or a broken symlink)"
    if e.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if e.errno == errno.EISDIR:
        return "is a folder"
    return e.strerror or str(e)


def _read_bytes(path: Path, shown: str, max_bytes: int) -> bytes:
    """The file's bytes; refuses oversize files from ``stat`` alone, never reading them."""
    try:
        st = os.stat(path)
        if stat.S_ISDIR(st.st_mode):
            raise DocumentError(shown, "is a folder")
        if not stat.S_ISREG(st.st_mode):
            raise DocumentError(shown, "not a regular file")
        if st.st_size > max_bytes:
            raise DocumentError(
                shown, f"too large ({human_size(st.st_size)}, limit {human_size(max_bytes)})"
            )
        # O_NONBLOCK: a FIFO swapped in after the stat must not hang the scan.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
                raise DocumentError(shown, "not a regular file")
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise DocumentError(shown, _os_reason(e)) from e
    if len(data) > max_bytes:
        raise DocumentError(shown, f"too large (over {human_size(max_bytes)})")
    return data


def _decode(data: bytes, shown: str, html: bool) -> str:
    """Text from bytes: BOM, then UTF-8, then (HTML only) the page's declared charset.

    Never falls back to latin-1, which would turn any binary file into mojibake "text".
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError as e:
                raise DocumentError(shown, f"not valid {codec} text") from e
    if b"\x00" in data:
        raise DocumentError(shown, "binary file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        m = _META_CHARSET.search(data[:4096]) if html else None
        if m is None:
            raise DocumentError(shown, "binary file or not UTF-8 text") from e
        charset = m.group(1).decode("ascii", "replace")
        try:
            text = data.decode(codecs.lookup(charset).name)
        except (LookupError, UnicodeDecodeError):
            raise DocumentError(shown, f"not valid {charset} text") from e
    if len(_CONTROL.findall(text[:65536])) > max(2, len(text[:65536]) // 100):
        raise DocumentError(shown, "binary file")
    return text


def _str_field(meta: dict[str, Scalar], key: str) -> str:
    """One line of text from a front matter value; "" when absent."""
    value = meta.get(key)
    return "" if value is None else clean_line(str(value))


def _build(
    text: str,
    suffix: str,
    *,
    shown: str,
    source_id: str,
    guid: str,
    location: str,
    notes: list[str],
) -> Article:
    """Title, body and metadata of one decoded document; problems that did not stop it
    from being read go to ``notes``.

    Every string that reaches the ``Article`` loses terminal escapes and control
    characters: a seed file's text ends up in logs and terminals.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    meta: dict[str, Scalar] = {}
    title: str | None = None
    url: str | None = None
    language: str | None = None
    if suffix in (".html", ".htm"):
        page = parse_html(text)
        body = page.text
        title = clean_line(page.title) or None
        canonical = safe_url(page.canonical_url)
        if canonical and canonical.startswith(("http://", "https://")):
            url = canonical
        language = normalize_language(page.language)
    elif suffix in (".md", ".markdown"):
        try:
            front = split_front_matter(text)
        except ValueError as e:
            raise DocumentError(shown, str(e)) from e
        meta = front.meta
        notes.extend(f"{shown}: {reason}" for reason in front.ignored)
        md_title, body = markdown_to_text(front.body)
        md_title = clean_line(md_title) or None
        title = _str_field(meta, "title") or md_title
        if md_title and md_title != title:
            body = f"{md_title}\n{body}"  # a heading that is not the title is content
        raw_url = meta.get("url")
        url = safe_url(str(raw_url)) if raw_url is not None else None  # raw: see safe_url
        language = normalize_language(meta.get("language") or meta.get("lang"))
    else:
        body = text
    body = strip_controls(body, keep_newlines=True).strip()
    if not body and not title:
        raise DocumentError(shown, "empty file" if not text.strip() else "no readable text")
    if title is None:
        title, rest = split_title_line(body)
        if title is not None:
            body = rest
        else:
            title = headline(body)  # body keeps its first sentence
        title = clean_line(title)
    return Article(
        source_id=source_id,
        source_name=_str_field(meta, "source") or SOURCE_NAME,
        guid=guid,
        title=title,
        text=body,
        url=url,
        published=to_utc(meta.get("published") or meta.get("date")),
        language=language,
        location=location,
    )


def _identity(path: Path, root: Path | None, label: str | None) -> tuple[str, str, str]:
    """``(source_id, guid, location)``: the same file gets the same identity whether it is
    read by a folder scan or by ``newsbot match PATH``."""
    base = root if root is not None else path.parent
    try:
        rel = path.relative_to(base).as_posix()
    except ValueError:
        rel = path.name
    shown_base = label if label is not None else base.as_posix()
    # A file name is text too: shown in alerts and problem lines, so no escapes in it.
    location = clean_line((PurePosixPath(shown_base) / rel).as_posix())
    return f"files:{shown_base}", rel, location


def read_document(
    path: Path,
    max_bytes: int,
    root: Path | None = None,
    *,
    label: str | None = None,
    problems: list[str] | None = None,
) -> Article:
    """Read one document; raises ``DocumentError`` with a reason a person can act on.

    ``root`` is the folder the document belongs to (its ``guid`` is relative to it);
    ``label`` is how that folder is shown (default: ``root`` as given). Problems that did
    not stop the document from being read (ignored front matter) are appended to
    ``problems`` when given, as ``"<path>: <what was ignored and why>"``.
    """
    path = Path(path)
    source_id, guid, location = _identity(path, root, label)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentError(
            location, f"unsupported file type {suffix or '(none)'!r} (supported: {supported})"
        )
    data = _read_bytes(path, location, max_bytes)
    if not data.strip():
        raise DocumentError(location, "empty file")
    text = _decode(data, location, html=suffix in (".html", ".htm"))
    return _build(
        text,
        suffix,
        shown=location,
        source_id=source_id,
        guid=guid,
        location=location,
        notes=problems if problems is not None else [],
    )


_Signature = tuple[int, int, int, int] | str


class FileSource:
    """A seed folder, rescanned periodically.

    Unchanged files (same path, mtime and size) are not re-read; a bad file is reported
    once until it changes, so a rescan every minute does not flood the log.
    """

    def __init__(self, folder: Path, max_bytes: int, *, label: str | None = None) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.label = label if label is not None else self.folder.as_posix()
        self.source_id = f"files:{self.label}"
        self._good: dict[Path, tuple[_Signature, Article]] = {}
        self._bad: dict[Path, _Signature] = {}
        self._folder_problem: str | None = None
        self._walk_reported: set[str] = set()

    def _signature(self, path: Path) -> _Signature:
        try:
            st = os.stat(path)
        except OSError as e:
            return f"error:{e.errno}"
        return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)

    def scan(self, changed_before: float | None = None) -> FileScan:
        """Articles of every readable file now in the folder, and problems not yet reported.

        ``changed_before`` (a ``time.time()``): a file modified after it is left for a later
        scan (counted in ``settling``), so a file still being written is not read half-way;
        its guid would then be seen, and the finished version ignored.
        """
        result = FileScan()
        if not self.folder.is_dir():
            problem = (
                f"{self.label}: folder not found"
                if not self.folder.exists()
                else (f"{self.label}: not a folder")
            )
            if problem != self._folder_problem:
                result.problems.append(problem)
                self._folder_problem = problem
            return result
        self._folder_problem = None
        walk_problems: list[str] = []
        present: set[Path] = set()
        for path in _walk(self.folder, walk_problems):
            present.add(path)
            sig = self._signature(path)
            if changed_before is not None and isinstance(sig, tuple) and (
                sig[0] > changed_before * 1e9  # written to moments ago
            ):
                result.settling += 1
                continue
            cached = self._good.get(path)
            if cached is not None and cached[0] == sig:
                result.articles.append(cached[1])
                continue
            if self._bad.get(path) == sig:
                continue  # still the same bad file: already reported
            notes: list[str] = []
            try:
                article = read_document(
                    path, self.max_bytes, self.folder, label=self.label, problems=notes
                )
            except DocumentError as e:
                self._good.pop(path, None)
                self._bad[path] = sig
                result.problems.append(f"{e}, skipped")
                continue
            self._bad.pop(path, None)
            self._good[path] = (sig, article)
            result.articles.append(article)
            result.problems.extend(notes)  # once: a cached file is not read again
        for gone in (set(self._good) | set(self._bad)) - present:
            self._good.pop(gone, None)
            self._bad.pop(gone, None)
        # Unlistable sub-folders: reported once while the problem lasts.
        result.problems.extend(p for p in walk_problems if p not in self._walk_reported)
        self._walk_reported = set(walk_problems)
        return result
