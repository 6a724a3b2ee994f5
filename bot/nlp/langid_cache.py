"""The arrays ``langid_walk.read_model`` derives from py3langid's model, kept in the
user's cache folder for the next process: decompressing the model alone takes a quarter
of a second, a third of a cold ``newsbot match``.

A file is used only if it reads back as written (a digest of its arrays is stored with
them), and is written whole or not at all; anything wrong and the model is read again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy

_CACHED = ("ptc_by_class", "pc", "classes", "row", "low", "base", "original", "output")


def cache_key(packed: str, langs: list[str], derived_by: Path) -> str | None:
    """What the cached arrays derive from: the model's file (its digest), the languages,
    the code that derives them (``derived_by``) and this module's, which lays them out
    (a change to either must not read old ones); None when the code is not a file to
    read (no cache then)."""
    key = hashlib.blake2b(digest_size=16)
    key.update(f"{packed}\0{','.join(langs)}\0".encode())
    try:
        for code in (derived_by, Path(__file__)):
            key.update(code.read_bytes())
    except OSError:
        return None
    return key.hexdigest()


def _digest(arrays: dict[str, Any]) -> Any:
    """A digest of the arrays (names, types, shapes, bytes), stored with them: an array
    read back from the cache is used only if it is the one written."""
    digest = hashlib.blake2b(digest_size=16)
    for name in _CACHED:
        a = numpy.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        digest.update(a.reshape(-1).view(numpy.uint8).data)
    return numpy.frombuffer(digest.digest(), dtype=numpy.uint8)


def cached(file: Path) -> dict[str, Any] | None:
    """The arrays kept in ``file``; None when it is missing, unreadable or not what was
    written (truncated, altered, another layout)."""
    try:
        with numpy.load(file, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in _CACHED}
            digest = stored["digest"]
    except (OSError, ValueError, KeyError, EOFError, MemoryError, zipfile.BadZipFile):
        return None
    if not numpy.array_equal(digest, _digest(arrays)):
        return None
    return arrays


def keep(file: Path, arrays: dict[str, Any]) -> None:
    """Write the arrays to ``file`` for the next process: whole or not at all (a file
    beside it, then renamed), and nothing when the folder is not writable. The files of
    other keys go: one model is kept, not one per version of this code."""
    tmp: str | None = None
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".langid-", suffix=".tmp", dir=file.parent)
        with os.fdopen(fd, "wb") as out, zipfile.ZipFile(out, "w") as archive:
            for name, a in {"digest": _digest(arrays), **arrays}.items():
                _write_npy(archive, name, numpy.ascontiguousarray(a))
        os.replace(tmp, file)
        tmp = None
        for other in file.parent.glob("langid-*.npz"):  # older code's or model's (23 MB each)
            if other != file:
                other.unlink(missing_ok=True)
    except OSError:
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _write_npy(archive: zipfile.ZipFile, name: str, a: Any) -> None:
    """``a`` as ``numpy.savez`` stores it (``numpy.load`` reads it), a MB at a time:
    ``savez`` copies 16 MB at a time, more than the whole model's other temporaries."""
    with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
        numpy.lib.format.write_array_header_1_0(
            member, numpy.lib.format.header_data_from_array_1_0(a)
        )
        data = a.reshape(-1).view(numpy.uint8).data
        for at in range(0, len(data), 1 << 20):
            member.write(data[at : at + (1 << 20)])


def cache_folder() -> Path | None:
    """Where ``read_model`` keeps what it derives: ``$XDG_CACHE_HOME/newsbot``, else
    ``~/.cache/newsbot``; None without a home directory."""
    base = os.environ.get("XDG_CACHE_HOME", "")
    folder = Path(base) if os.path.isabs(base) else Path(os.path.expanduser("~")) / ".cache"
    return folder / "newsbot" if folder.is_absolute() else None
