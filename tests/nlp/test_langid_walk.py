"""The vectorised langid walk counts what py3langid counts, and scores to the same bits."""

from __future__ import annotations

import hashlib
import lzma
import random
import zipfile
from pathlib import Path
from typing import Any

import numpy
import pytest
from py3langid import langid

from bot.nlp import langid_walk
from bot.nlp.langid_cache import cache_folder, cached
from bot.nlp.langid_walk import (
    MODEL_DIGEST,
    MODEL_FILE_DIGEST,
    SYNC_BYTES,
    FastIdentifier,
    Walk,
    _compact,
    model_digest,
    read_model,
)
from bot.nlp.languages import LANGUAGES, SCRIPT_PATTERNS, identifier, script_counts

TEXTS = [
    "North Korea has shipped artillery shells and missiles to Russia, officials said.",
    "La Corée du Nord a livré des obus et des missiles à la Russie, selon Kiev. « Non », dit-il.",
    "Nordkorea hat nach Angaben aus Kiew Munition an Russland geliefert. Straße, Größe.",
    "Los combates continúan en la región rusa de Kursk; ¿qué pasará mañana?",
    "«Ситуация в Курской области остается сложной», — заявил Олег Дронов.",
    "Україна отримала нову партію зброї від партнерів. Ґанок, їжак, єнот.",
    "북한이 러시아에 포탄과 미사일을 제공했다고 정부가 밝혔다.",
    "北朝鮮がクルスク州に部隊を派遣した。朝鲜向库尔斯克州派遣了部队。",
    "ALL CAPS HEADLINE ABOUT THE WAR",
    "1234 5678 ... !!! ???",
]


@pytest.fixture(scope="module")
def plain() -> langid.LanguageIdentifier:
    ident = langid.LanguageIdentifier.from_model_file(langid.MODEL_FILE, norm_probs=True)
    ident.set_languages(list(LANGUAGES))
    return ident


def _samples() -> list[str]:
    rng = random.Random(5)
    out = [t[:n] for t in TEXTS for n in (0, 1, SYNC_BYTES - 1, SYNC_BYTES, 40, len(t))]
    words = " ".join(TEXTS).split()
    out += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 300))) for _ in range(60)]
    return out


def test_installed_model_is_the_one_proved(plain: langid.LanguageIdentifier) -> None:
    ident = identifier()
    assert isinstance(ident, FastIdentifier)
    assert model_digest(plain.tk_nextmove, plain.tk_row, plain.tk_output) == MODEL_DIGEST
    assert ident._walk is not None
    packed = (langid.MODEL_DIR / langid.MODEL_FILE).read_bytes()  # what plain was read from
    assert hashlib.blake2b(packed, digest_size=16).hexdigest() == MODEL_FILE_DIGEST


def test_the_model_packed_otherwise_is_recognised_by_its_contents(tmp_path: Path) -> None:
    """A file other than py3langid's (here one more, empty, xz stream) holding the same
    model is read as that model (its transitions hashed), with the same walk."""
    other = tmp_path / "model.npz.xz"
    other.write_bytes((langid.MODEL_DIR / langid.MODEL_FILE).read_bytes() + lzma.compress(b""))
    got = read_model(other, LANGUAGES)
    assert got is not None
    walk = identifier()._walk
    assert walk is not None
    for name in ("low", "base", "original", "rowbase", "output"):
        assert numpy.array_equal(getattr(got[4], name), getattr(walk, name)), name


def test_the_model_read_in_pieces_is_py3langids(plain: langid.LanguageIdentifier) -> None:
    """``read_model`` cuts the classes as ``set_languages`` does: same values, same
    layout (a matrix product's last bits can depend on it)."""
    ident = identifier()
    assert ident.nb_classes == plain.nb_classes
    assert numpy.array_equal(ident.nb_pc, plain.nb_pc)
    assert ident.nb_ptc.dtype == plain.nb_ptc.dtype
    assert ident.nb_ptc.strides == plain.nb_ptc.strides
    assert numpy.array_equal(ident.nb_ptc, plain.nb_ptc)
    assert list(ident.tk_row) == list(plain.tk_row)


MODEL = langid.MODEL_DIR / langid.MODEL_FILE


@pytest.fixture(scope="module")
def unpacked() -> Any:
    """The model as read from its file, without a cache."""
    return read_model(MODEL, LANGUAGES)


@pytest.fixture(scope="module")
def kept(tmp_path_factory: pytest.TempPathFactory, unpacked: Any) -> tuple[str, bytes]:
    """The name and bytes of the cache file of the model (written once)."""
    folder = tmp_path_factory.mktemp("kept")
    _same_model(read_model(MODEL, LANGUAGES, folder), unpacked)
    (file,) = folder.glob("langid-*.npz")
    return file.name, file.read_bytes()


def _same_model(got: Any, want: Any) -> None:
    """Two ``read_model`` results hold the same values in the same layouts."""
    assert got is not None and want is not None
    ptc, pc, classes, row, walk = got
    assert numpy.array_equal(ptc, want[0]) and ptc.strides == want[0].strides
    assert numpy.array_equal(pc, want[1]) and classes == want[2]
    assert numpy.array_equal(row, want[3]) and row.dtype == want[3].dtype
    for name in ("low", "base", "original", "rowbase", "output", "start2"):
        a, b = getattr(walk, name), getattr(want[4], name)
        assert a.dtype == b.dtype and numpy.array_equal(a, b), name


def _decompressed(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The model files ``read_model`` decompresses from now on."""
    opened: list[Path] = []
    real = langid_walk.lzma.open

    def counted(path: Any, *args: Any, **kwargs: Any) -> Any:
        opened.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(langid_walk.lzma, "open", counted)
    return opened


def test_the_model_is_read_once_then_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unpacked: Any
) -> None:
    """A second process finds what the first derived in the cache folder, without
    decompressing the model: the same arrays, so the same scores to the bit."""
    plain = unpacked
    opened = _decompressed(monkeypatch)
    first = read_model(MODEL, LANGUAGES, tmp_path)
    assert opened == [MODEL]
    assert [p.name for p in tmp_path.iterdir()] == [p.name for p in tmp_path.glob("langid-*.npz")]
    second = read_model(MODEL, reversed(LANGUAGES), tmp_path)  # the same languages
    assert opened == [MODEL]
    _same_model(first, plain)
    _same_model(second, plain)
    other = read_model(MODEL, ["en", "fr"], tmp_path)  # other languages: another key
    assert opened == [MODEL, MODEL]
    _same_model(other, read_model(MODEL, ["fr", "en"]))
    assert len(list(tmp_path.glob("langid-*.npz"))) == 1  # one kept, the last


@pytest.mark.parametrize(
    "damage", ["truncated", "a byte changed", "not a zip", "empty", "a petabyte said"]
)
def test_a_damaged_cache_is_read_again_from_the_model(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    damage: str,
    unpacked: Any,
    kept: tuple[str, bytes],
) -> None:
    plain = unpacked
    file = tmp_path / kept[0]
    data = bytearray(kept[1])
    if damage == "truncated":
        data = data[: len(data) // 2]
    elif damage == "a byte changed":
        data[len(data) // 2] ^= 1
    elif damage == "not a zip":
        data = bytearray(b"not an archive at all")
    elif damage == "a petabyte said":  # an array's header saying so: no memory for it
        with zipfile.ZipFile(file, "w") as archive, archive.open("ptc_by_class.npy", "w") as member:
            header = {"descr": "<u2", "fortran_order": False, "shape": (1 << 50,)}
            numpy.lib.format.write_array_header_1_0(member, header)
        data = bytearray(file.read_bytes())
    else:
        data = bytearray()
    file.write_bytes(bytes(data))
    opened = _decompressed(monkeypatch)
    _same_model(read_model(MODEL, LANGUAGES, tmp_path), plain)
    assert opened == [MODEL]
    assert cached(file) is not None  # written again, whole, in its place
    _same_model(read_model(MODEL, LANGUAGES, tmp_path), plain)
    assert opened == [MODEL]


def test_an_array_altered_in_the_cache_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unpacked: Any, kept: tuple[str, bytes]
) -> None:
    """A cache file that is a valid archive but holds other values (its digest no longer
    theirs) is read again from the model."""
    file = tmp_path / kept[0]
    file.write_bytes(kept[1])
    with numpy.load(file) as stored:
        arrays = {name: stored[name] for name in stored.files}
    arrays["low"][12345] += 1
    with file.open("wb") as f:
        numpy.savez(f, **arrays)
    opened = _decompressed(monkeypatch)
    _same_model(read_model(MODEL, LANGUAGES, tmp_path), unpacked)
    assert opened == [MODEL]


def test_an_unwritable_cache_folder_is_done_without(tmp_path: Path, unpacked: Any) -> None:
    blocked = tmp_path / "a file"
    blocked.write_text("not a folder")
    _same_model(read_model(MODEL, LANGUAGES, blocked / "cache"), unpacked)
    assert blocked.read_text() == "not a folder"
    assert [p.name for p in tmp_path.iterdir()] == ["a file"]


def test_the_cache_folder_follows_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache_folder() == tmp_path / "newsbot"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")  # as the XDG spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_folder() == tmp_path / "home" / ".cache" / "newsbot"


def _numbers(walk: Walk) -> Any:
    """A number of each of the model's states (its first)."""
    first = numpy.empty(int(walk.original.max()) + 1, dtype=numpy.int64)
    first[walk.original[::-1]] = numpy.arange(len(walk.original))[::-1]
    return first


def test_the_compact_walk_holds_every_transition(plain: langid.LanguageIdentifier) -> None:
    """Each of the 9.8 million transitions read back from 16 bits is py3langid's."""
    walk = identifier()._walk
    assert walk is not None
    moves = numpy.frombuffer(plain.tk_nextmove, dtype=numpy.uint32)
    rows = numpy.frombuffer(plain.tk_row, dtype=numpy.uint16)
    number = _numbers(walk)
    assert len(number) == len(rows)
    for first in range(0, len(rows), 8192):  # every state, its row's 256 moves
        states = numpy.arange(first, min(first + 8192, len(rows)))
        got = walk.step(
            numpy.repeat(number[states], 256), numpy.tile(numpy.arange(256), len(states))
        )
        want = moves.reshape(-1, 256)[rows[states]].ravel()
        assert numpy.array_equal(walk.original[got], want)
    assert walk.original[walk.start] == 0


def _pairs_numbering(moves: Any, states: int) -> tuple[Any, Any, Any]:
    """``Walk``'s numbering by its definition: the distinct pairs (byte, target) in order,
    each transition numbered by its pair's place among its byte's pairs."""
    firsts = numpy.arange(256, dtype=numpy.int64) * states
    keys = [(firsts + rows).ravel() for rows in _row_blocks(moves)]
    pairs = numpy.unique(numpy.concatenate([numpy.unique(k) for k in keys]))
    base = numpy.searchsorted(pairs, numpy.arange(256, dtype=numpy.int64) * states)
    low = numpy.concatenate(
        [numpy.searchsorted(pairs, k) - numpy.tile(base, len(k) // 256) for k in keys]
    )
    return low, base, pairs % states


def _row_blocks(moves: Any) -> list[Any]:
    rows = moves.reshape(-1, 256)
    return [rows[i : i + 4096] for i in range(0, len(rows), 4096)]


def test_the_numbering_is_the_pairs_numbering(plain: langid.LanguageIdentifier) -> None:
    """``_compact`` numbers the installed model's transitions exactly as the pairs
    (byte, target) in order number them, both as ``read_model`` reads it and as
    ``Walk.of`` compacts py3langid's own arrays."""
    moves = numpy.frombuffer(plain.tk_nextmove, dtype=numpy.uint32)
    low, base, original = _pairs_numbering(moves, len(plain.tk_row))
    read = identifier()._walk
    own = Walk.of(plain.tk_nextmove, plain.tk_row, plain.tk_output)
    for walk in (read, own):
        assert walk is not None
        assert numpy.array_equal(walk.low, low)
        assert numpy.array_equal(walk.base, base)
        assert numpy.array_equal(walk.original, original)


def _tokenizer(rng: numpy.random.Generator, states: int) -> Any:
    """Random transitions where each state but the start is reached on one byte only."""
    byte = rng.integers(0, 256, states)
    moves = numpy.zeros((rng.integers(1, 40), 256), dtype=numpy.uint32)
    for b in range(256):
        mine = numpy.flatnonzero(byte[1:] == b) + 1
        if len(mine):
            targets = rng.choice(mine, len(moves))
            moves[:, b] = numpy.where(rng.random(len(moves)) < 0.2, 0, targets)
    return moves.ravel()


def test_the_numbering_of_other_tokenizers() -> None:
    """Any tokenizer where a state is reached on one byte only is numbered as its pairs
    are, whatever the chunks; one where a state is reached on two bytes gets None (so
    ``read_model`` falls back to py3langid's walk), never a wrong numbering."""
    rng = numpy.random.default_rng(7)
    for _ in range(30):
        states = int(rng.integers(2, 3000))
        moves = _tokenizer(rng, states)
        want = _pairs_numbering(moves, states)
        rows = moves.reshape(-1, 256)
        size = int(rng.integers(1, len(rows) + 1))
        blocks = [rows[i : i + size].ravel() for i in range(0, len(rows), size)]
        got = _compact(lambda blocks=blocks: iter(blocks), len(moves), states)
        assert got is not None
        for a, b in zip(got, want, strict=True):
            assert numpy.array_equal(a, b)
        nonzero = numpy.flatnonzero(moves)
        if len(nonzero):
            at = int(rng.choice(nonzero))
            other = moves.copy()
            other[at ^ 1] = other[at]  # its state, on the byte beside it in the row
            assert _compact(lambda other=other: iter([other]), len(other), states) is None


def test_state_depends_only_on_the_last_sync_bytes() -> None:
    """Every pair of states the walk can be in, one after any first byte and the other
    the start state, agree after any ``SYNC_BYTES`` further bytes: so a byte more or less
    before the last ``SYNC_BYTES`` never changes the state, which is the start state's
    walk over those bytes."""
    walk = identifier()._walk
    assert walk is not None
    number, original = _numbers(walk), walk.original
    states = len(number)
    every = numpy.arange(256)
    start = numpy.full(256, walk.start)
    pairs = numpy.stack([original[walk.step(start, every)], original[start]], axis=1)
    for _ in range(SYNC_BYTES):
        found = []
        for chunk in numpy.array_split(pairs, max(1, len(pairs) // 2048)):
            data = numpy.tile(every, len(chunk))
            a = original[walk.step(number[numpy.repeat(chunk[:, 0], 256)], data)]
            b = original[walk.step(number[numpy.repeat(chunk[:, 1], 256)], data)]
            apart = a != b
            found.append(numpy.unique(a[apart].astype(numpy.int64) * states + b[apart]))
        keys = numpy.unique(numpy.concatenate(found))
        pairs = numpy.stack([keys // states, keys % states], axis=1)
    assert len(pairs) == 0


def test_states_are_the_sequential_walk(plain: langid.LanguageIdentifier) -> None:
    walk = identifier()._walk
    assert walk is not None
    rowbase = [r << 8 for r in plain.tk_row]
    rng = random.Random(3)
    for data in [t.encode() for t in TEXTS] + [
        rng.randbytes(rng.randint(0, 500)) for _ in range(50)
    ]:
        state, expected = 0, []
        for byte in data:
            state = plain.tk_nextmove[rowbase[state] + byte]
            expected.append(state)
        assert walk.original[walk.states(data)].tolist() == expected


def test_scores_are_py3langids_to_the_bit(plain: langid.LanguageIdentifier) -> None:
    fast = identifier()
    for text in _samples():
        assert numpy.array_equal(fast._decide(text), plain._decide(text)), text
        assert fast.rank(text) == plain.rank(text)
        assert fast.classify(text) == plain.classify(text)


def test_script_counts_are_the_expressions_counts() -> None:
    """``script_counts`` puts exactly the characters each script's expression matches
    into that script, over every code point (surrogates included)."""
    everything = "".join(chr(c) for c in range(0x110000))
    for script, expression in SCRIPT_PATTERNS.items():
        chars = expression.findall(everything)
        counts = script_counts("".join(chars))
        assert counts == {s: (len(chars) if s == script else 0) for s in counts}, script
    assert script_counts(everything) == {
        s: len(e.findall(everything)) for s, e in SCRIPT_PATTERNS.items()
    }
