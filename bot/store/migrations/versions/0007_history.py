"""Keeping what was seen: each article's text for a retention window, and search.

``articles.text`` (the body as ingested, pruned after ``retention``), ``summary`` (what its
alert quotes of it, kept), ``source_name`` and ``location`` (so an article can be rebuilt
for a backtest). Indexes for pruning and backtests (``ix_articles_retained``: the articles
still holding text, by when they were seen), for a story's sources (``story_of``) and an
article's alert (``alerts.article_id``).

Full-text search over title, summary, source name and text, kept up to date by the
database itself whatever writes a row:

- SQLite: an FTS5 table ``articles_fts`` with ``articles`` as its external content (the
  text is not stored twice), kept by three triggers; the ``unicode61`` tokenizer folds
  case and accents (``remove_diacritics 2``).
- PostgreSQL: a stored generated ``tsvector`` column ``articles.search_vector`` (weights:
  title A, summary B, source C, text D) with a GIN index, parsed with the ``simple``
  configuration (articles come in many languages: no stemming) after ``newsbot_fold``, an
  immutable SQL function that lowercases and strips accents from Latin, Greek and
  Cyrillic letters (``Corée`` -> ``coree``) without the ``unaccent`` extension, which not
  every server has. Queries fold their words with the same function.

Everything added is nullable or derived, so a running older version is not disturbed.
Adding the generated column rewrites ``articles`` on PostgreSQL (titles only: the text is
new): on a large database, expect the migration to take a while.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_history"
down_revision = "0006_translations"
branch_labels = None
depends_on = None

# newsbot_fold's map, written out here once: a change would make stored vectors and new
# queries fold differently. Each character of FOLD_FROM becomes the one at the same place
# in FOLD_TO (A-Z and accented Latin, Greek and Cyrillic letters, to lowercase without
# accent).
FOLD_FROM = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞàáâãäåçèéêëìíîïñòóôõöùúû"
    "üýÿĀāĂăĄąĆćĈĉĊċČčĎďĐĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĦĨĩĪīĬĭĮįĲĴĵĶķĹĺĻļĽľĿŁŃńŅņŇňŊŌōŎŏŐőŒŔŕŖŗ"
    "ŘřŚśŜŝŞşŠšŢţŤťŦŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽžſƁƂƄƆƇƉƊƋƎƏƐƑƓƔƖƗƘƜƝƟƠơƢƤƦƧƩƬƮƯưƱƲƳƵƷƸƼǄǅǇ"
    "ǈǊǋǍǎǏǐǑǒǓǔǕǖǗǘǙǚǛǜǞǟǠǡǢǣǤǦǧǨǩǪǫǬǭǮǯǰǱǲǴǵǶǷǸǹǺǻǼǽǾǿȀȁȂȃȄȅȆȇȈȉȊȋȌȍȎȏȐȑȒȓȔȕȖȗȘșȚțȜ"
    "ȞȟȠȢȤȦȧȨȩȪȫȬȭȮȯȰȱȲȳȺȻȽȾɁɃɄɅɆɈɊɌɎΆΈΉΊΌΎΏΐΑΒΓΔΕΖΗΘΙΚΛΜΝΞΟΠΡΣΤΥΦΧΨΩΪΫάέήίΰϊϋόύώЀЁЂЃ"
    "ЄЅІЇЈЉЊЋЌЍЎЏАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯйѐёѓїќѝўѠѢѤѦѨѪѬѮѰѲѴѶѷѸѺѼѾҀҊҌҎҐҒҔҖҘҚҜ"
    "ҞҠҢҤҦҨҪҬҮҰҲҴҶҸҺҼҾӀӁӂӃӅӇӉӋӍӐӑӒӓӔӖӗӘӚӛӜӝӞӟӠӢӣӤӥӦӧӨӪӫӬӭӮӯӰӱӲӳӴӵӶӸӹӺӼӾḀḁḂḃḄḅḆḇḈḉḊḋḌḍ"
    "ḎḏḐḑḒḓḔḕḖḗḘḙḚḛḜḝḞḟḠḡḢḣḤḥḦḧḨḩḪḫḬḭḮḯḰḱḲḳḴḵḶḷḸḹḺḻḼḽḾḿṀṁṂṃṄṅṆṇṈṉṊṋṌṍṎṏṐṑṒṓṔṕṖṗṘṙṚṛṜṝ"
    "ṞṟṠṡṢṣṤṥṦṧṨṩṪṫṬṭṮṯṰṱṲṳṴṵṶṷṸṹṺṻṼṽṾṿẀẁẂẃẄẅẆẇẈẉẊẋẌẍẎẏẐẑẒẓẔẕẖẗẘẙẛẞẠạẢảẤấẦầẨẩẪẫẬậẮắẰằ"
    "ẲẳẴẵẶặẸẹẺẻẼẽẾếỀềỂểỄễỆệỈỉỊịỌọỎỏỐốỒồỔổỖỗỘộỚớỜờỞởỠỡỢợỤụỦủỨứỪừỬửỮữỰựỲỳỴỵỶỷỸỹỺỼỾ"
)
FOLD_TO = (
    "abcdefghijklmnopqrstuvwxyzaaaaaaæceeeeiiiiðnoooooøuuuuyþaaaaaaceeeeiiiinooooouuu"
    "uyyaaaaaaccccccccddđeeeeeeeeeegggggggghhħiiiiiiiiĳjjkkllllllŀłnnnnnnŋooooooœrrrr"
    "rrssssssssttttŧuuuuuuuuuuuuwwyyyzzzzzzsɓƃƅɔƈɖɗƌǝəɛƒɠɣɩɨƙɯɲɵooƣƥʀƨʃƭʈuuʊʋƴƶʒƹƽǆǆǉ"
    "ǉǌǌaaiioouuuuuuuuuuaaaaææǥggkkooooʒʒjǳǳggƕƿnnaaææøøaaaaeeeeiiiioooorrrruuuussttȝ"
    "hhƞȣȥaaeeooooooooyyⱥȼƚⱦɂƀʉʌɇɉɋɍɏαεηιουωιαβγδεζηθικλμνξοπρστυφχψωιυαεηιυιυουωееђг"
    "єѕііјљњћкиуџабвгдежзииклмнопрстуфхцчшщъыьэюяиеегікиуѡѣѥѧѩѫѭѯѱѳѵѵѵѹѻѽѿҁҋҍҏґғҕҗҙқҝ"
    "ҟҡңҥҧҩҫҭүұҳҵҷҹһҽҿӏжжӄӆӈӊӌӎааааӕееәәәжжззӡииииооөөөээууууууччӷыыӻӽӿaabbbbbbccdddd"
    "ddddddeeeeeeeeeeffgghhhhhhhhhhiiiikkkkkkllllllllmmmmmmnnnnnnnnoooooooopppprrrrrr"
    "rrssssssssssttttttttuuuuuuuuuuvvvvwwwwwwwwwwxxxxyyzzzzzzhtwysßaaaaaaaaaaaaaaaaaa"
    "aaaaaaeeeeeeeeeeeeeeeeiiiioooooooooooooooooooooooouuuuuuuuuuuuuuyyyyyyyyỻỽỿ"
)

FTS_COLUMNS = "title, summary, source_name, text"
_NEW = "new.id, new.title, new.summary, new.source_name, new.text"
_OLD = "'delete', old.id, old.title, old.summary, old.source_name, old.text"


def _sqlite_upgrade() -> None:
    op.execute(
        f"CREATE VIRTUAL TABLE articles_fts USING fts5({FTS_COLUMNS}, content='articles', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER articles_fts_insert AFTER INSERT ON articles BEGIN "
        f"INSERT INTO articles_fts(rowid, {FTS_COLUMNS}) VALUES ({_NEW}); END"
    )
    op.execute(
        "CREATE TRIGGER articles_fts_delete AFTER DELETE ON articles BEGIN "
        f"INSERT INTO articles_fts(articles_fts, rowid, {FTS_COLUMNS}) VALUES ({_OLD}); END"
    )
    op.execute(
        f"CREATE TRIGGER articles_fts_update AFTER UPDATE OF {FTS_COLUMNS} ON articles BEGIN "
        f"INSERT INTO articles_fts(articles_fts, rowid, {FTS_COLUMNS}) VALUES ({_OLD}); "
        f"INSERT INTO articles_fts(rowid, {FTS_COLUMNS}) VALUES ({_NEW}); END"
    )
    op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")  # existing titles


def _postgres_upgrade() -> None:
    assert "'" not in FOLD_FROM + FOLD_TO  # written into the function's body as literals
    op.execute(
        "CREATE OR REPLACE FUNCTION newsbot_fold(value text) RETURNS text "
        "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
        f"AS $fold$ SELECT translate(value, '{FOLD_FROM}', '{FOLD_TO}') $fold$"
    )
    parts = [
        f"setweight(to_tsvector('simple', newsbot_fold(coalesce({column}, ''))), '{weight}')"
        for column, weight in (("title", "A"), ("summary", "B"), ("source_name", "C"), ("text", "D"))
    ]
    op.execute(
        "ALTER TABLE articles ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({' || '.join(parts)}) STORED"
    )
    op.execute("CREATE INDEX ix_articles_search ON articles USING gin (search_vector)")


def upgrade() -> None:
    op.add_column("articles", sa.Column("source_name", sa.String(512)))
    op.add_column("articles", sa.Column("location", sa.String(2048)))
    op.add_column("articles", sa.Column("text", sa.Text()))
    op.add_column("articles", sa.Column("summary", sa.Text()))
    op.create_index(
        "ix_articles_retained", "articles", ["seen_at", "id"],
        sqlite_where=sa.text("text IS NOT NULL"), postgresql_where=sa.text("text IS NOT NULL"),
    )
    op.create_index("ix_articles_story_of", "articles", ["story_of"])
    op.create_index("ix_alerts_article_id", "alerts", ["article_id"])
    if op.get_bind().dialect.name == "postgresql":
        _postgres_upgrade()
    else:
        _sqlite_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_articles_search")
        op.execute("ALTER TABLE articles DROP COLUMN IF EXISTS search_vector")
        op.execute("DROP FUNCTION IF EXISTS newsbot_fold(text)")
    else:
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS articles_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    op.drop_index("ix_alerts_article_id", "alerts")
    op.drop_index("ix_articles_story_of", "articles")
    op.drop_index("ix_articles_retained", "articles")
    with op.batch_alter_table("articles") as batch:
        batch.drop_column("summary")
        batch.drop_column("text")
        batch.drop_column("location")
        batch.drop_column("source_name")
