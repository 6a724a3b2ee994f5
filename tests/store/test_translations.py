"""The translations table: one row per (text, source, target), kept across restarts, a
second writer's copy ignored; and the posts waiting for theirs."""

from __future__ import annotations

from bot.models import Alert, Article, Target
from bot.store.db import utcnow
from bot.store.repositories import open_store
from bot.store.schema import DeliveryRow


def test_a_translation_is_stored_once_and_found_after_a_restart(db_url: str) -> None:
    store = open_store(db_url)
    store.translations.remember("ko", "en", "DeepL", {"h1": "North Korea", "h2": "Kursk"})
    store.translations.remember("ko", "en", "LibreTranslate", {"h1": "another wording"})
    store.translations.remember("ko", "fr", "DeepL", {"h1": "Corée du Nord"})
    store.close()
    store = open_store(db_url)
    try:
        assert store.translations.cached(["h1", "h2", "h3"], "ko", "en") == {"h1": "North Korea", "h2": "Kursk"}
        assert store.translations.cached(["h1"], "ko", "fr") == {"h1": "Corée du Nord"}
        assert store.translations.cached(["h1"], "ru", "en") == {}
    finally:
        store.close()


def test_a_flagged_post_becomes_an_edit(db_url: str) -> None:
    store = open_store(db_url)
    try:
        a = Article("files:seeds", "seed file", "k.txt", "쿠르스크", "본문")
        store.articles.record(a, Alert("k1", a.title, a.source_name, "ko", (), (), created_at=utcnow()),
                              [Target("slack", "C1")])
        (d,) = store.outbox.claim_due(["slack"])
        store.outcomes.mark_sent(d.id, "1700000000.000100")
        store.translations.mark_pending([d.id])
        (edit,) = store.translations.pending_edits()
        assert (edit.delivery_id, edit.target, edit.alert.id) == (d.id, Target("slack", "C1"), "k1")
        assert store.translations.queue_edit(d.id)
        assert store.translations.pending_edits() == []
        (again,) = store.outbox.claim_due(["slack"])
        assert (again.kind, again.message_id) == ("update", "1700000000.000100")
        assert not store.translations.queue_edit(d.id)  # nothing flagged any more
        with store.db.session() as s:
            assert s.get(DeliveryRow, d.id).translation_pending is False  # type: ignore[union-attr]
    finally:
        store.close()
