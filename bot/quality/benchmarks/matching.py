"""The matching benchmark behind ``newsbot bench``: a 10,000-document stream, ~5% relevant.

Documents are generated in memory from templates written for this benchmark (seven
languages, 500-5,000 characters, fixed seed), so the run needs no data and no network.
As in a real stream, each document is about one subject (a few templates of its
language) and a fifth of them carry a near miss (Kurs, 북한산, arms race, Prussia...).
It measures, in one process on one core:

- the full path a new article takes: prefilter, language detection for what passes it,
  word-level confirmation, spaCy, quotes and ``build_alert`` for what matched (``analyze``
  with its default, quotes only on a match); and, of the same run, the documents that
  passed the prefilter but matched nothing (near misses) and the relevant ones;
- the prefilter with language detection for what passes it, and the prefilter alone (the
  automaton over every alias, with the language known), what most documents cost;

and prints documents per second, per-document latency (p50, p99), relevant documents per
second through the full path, and peak memory (RSS) with every language loaded: the ten
pipelines (the stream's seven, and it, ja, zh, matched once each before timing), and every
morphological analyser (pymorphy3 ru/uk, Kiwi ko).
It also times the quote extractor alone on a hostile 1 MB document that is nearly all
quotation (``quoted_document``): attributed quotes, one paragraph of many short quotes,
and quotes that never close.
The machine it runs on may be shared: read the numbers as an order of magnitude.
"""

from __future__ import annotations

import json
import random
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.models import Article

LANGS = ("en", "fr", "de", "es", "ru", "uk", "ko")
LOADED_ONLY = {
    "it": "La Corea del Nord ha inviato truppe nella regione di Kursk.",
    "ja": "北朝鮮がクルスク州に部隊を派遣した。",
    "zh": "朝鲜向库尔斯克州派遣了部队。",
}
"""Languages the stream does not hold, matched once so that the peak includes them."""
DOCS = 10_000
RELEVANT_SHARE = 0.05
SEED = 20_241_104
SUBJECT_TEMPLATES = 3
"""Templates one plain document draws its sentences from: one subject per article."""
NEAR_MISS_SHARE = 0.2
"""Share of documents with a near-miss sentence (Kurs, 북한산, arms race, Prussia...):
more than a real stream has, so the prefilter is not flattered."""

# Everyday news that mentions none of the watch items. Each plain document is about one
# subject: a few of its language's templates (see ``make_stream``).
_FILLER: dict[str, Sequence[str]] = {
    "en": (
        "The city council approved a budget of {n} million dollars for road repairs on {day}.",
        "Rain is expected across the region until the weekend, forecasters said.",
        "Shares in the retailer rose {n} per cent after it reported stronger holiday sales.",
        "The home side scored twice in the last ten minutes to win the derby.",
        "Commuters faced delays of up to {n} minutes after a signal failure.",
        "The festival drew {n} thousand visitors, a record for the town.",
        "Teachers' unions said they would vote on the new pay offer next month.",
    ),
    "fr": (
        "Le conseil municipal a voté un budget de {n} millions d'euros pour les écoles.",
        "Des orages sont attendus sur le sud-ouest jusqu'à {day}, selon Météo-France.",
        "Le chiffre d'affaires du groupe a progressé de {n} % au troisième trimestre.",
        "Dans un vacarme assourdissant, le club a arraché le match nul en fin de partie.",
        "La grève des contrôleurs a perturbé le trafic ferroviaire pendant {n} heures.",
        "Le festival a accueilli {n} mille spectateurs, un record pour la ville.",
        "Les agriculteurs réclament une baisse des charges avant les semis de printemps.",
        "Les ventes de voitures électriques ont reculé de {n} % sur un an.",
    ),
    "de": (
        "Der Stadtrat hat am {day} einen Haushalt von {n} Millionen Euro beschlossen.",
        "Die Bahn meldet wegen Bauarbeiten Verspätungen von bis zu {n} Minuten.",
        "Für das Wochenende erwarten die Meteorologen Gewitter im Süden.",
        "Die Gewerkschaft kündigte Warnstreiks im öffentlichen Dienst an.",
        "In der Innenstadt wurde ein neuer Radweg eröffnet.",
        "Die Preise für Butter sind im Vergleich zum Vorjahr um {n} Prozent gestiegen.",
    ),
    "es": (
        "El ayuntamiento aprobó el {day} un presupuesto de {n} millones de euros.",
        "La Aemet prevé lluvias intensas en el norte durante el fin de semana.",
        "El equipo local remontó en la segunda parte y ganó por dos goles.",
        "El parque de atracciones recibió {n} mil visitantes en un mes.",
        "Las ventas del comercio minorista subieron un {n} % en octubre.",
        "La huelga de transportistas provocó retrasos en los puertos del sur.",
        "El festival de cine reunió a {n} mil espectadores en su última edición.",
        "Los agricultores piden ayudas por la sequía que afecta al campo.",
    ),
    "ru": (
        "Городские власти выделили {n} миллионов рублей на ремонт дорог.",
        "Синоптики обещают дожди и похолодание до конца недели.",
        "Футбольный клуб одержал победу в гостях со счетом два ноль.",
        "Цены на овощи за месяц выросли на {n} процентов.",
        "На фестиваль приехали около {n} тысяч зрителей.",
        "Строительство новой школы должно завершиться к {day}.",
        "Школьники вернулись к занятиям после каникул.",
    ),
    "uk": (
        "Міська рада виділила {n} мільйонів гривень на ремонт шкіл.",
        "Синоптики прогнозують дощі та похолодання до кінця тижня.",
        "Футбольний клуб переміг на виїзді з рахунком два нуль.",
        "У Львові відкрили виставку, присвячену історії Галичини.",
        "Ціни на овочі за місяць зросли на {n} відсотків.",
        "Фестиваль відвідали близько {n} тисяч глядачів.",
        "Будівництво нового мосту має завершитися до {day}.",
        "Студенти повернулися до навчання після канікул.",
    ),
    "ko": (
        "시의회는 도로 보수 예산 {n}억 원을 승인했다.",
        "기상청은 주말까지 전국에 비가 내릴 것으로 내다봤다.",
        "원·달러 환율은 전 거래일보다 {n}원 올랐다.",
        "홈팀은 후반 막판 두 골을 넣어 역전승을 거뒀다.",
        "영화제에는 관객 {n}만 명이 몰려 역대 최대를 기록했다.",
        "소비자물가는 지난해 같은 달보다 {n}% 상승했다.",
    ),
}

# Near misses: words that share letters or a stem with an alias or a topic term but name
# something else (farms, arms race, Prussia, Armada, Kurs, курс, 태평양, 북한산, 무기한).
# ``NEAR_MISS_SHARE`` of the documents get one or two of them.
_NEAR_MISS: dict[str, Sequence[str]] = {
    "en": (
        "Egg prices climbed again as bird flu spread to more farms in the Midwest.",
        "The museum's new wing opens to the public on {day} with an exhibition on Prussia.",
        "Analysts warned of a new arms race in space but saw no sign of talks.",
    ),
    "fr": (
        "Le nouveau musée consacré à la Prusse ouvrira ses portes au printemps.",
    ),
    "de": (
        "Nach der Niederlage kündigte der Trainer eine Kurskorrektur an.",
        "Der Kurs der Aktie stieg nach den Quartalszahlen um {n} Prozent.",
        "Die Ausstellung über die Geschichte Preußens zählte {n} tausend Besucher.",
    ),
    "es": (
        "La Armada celebró el aniversario del buque escuela con una regata.",
    ),
    "ru": (
        "Курс доллара на торгах вырос на {n} копеек.",
        "В городе открылась выставка, посвященная истории Восточной Пруссии.",
    ),
    "uk": (
        "Офіційний курс гривні до долара змінився на {n} копійок.",
    ),
    "ko": (
        "태평양 심해 조사를 위한 연구선이 부산항을 출발했다.",
        "단풍철을 맞아 북한산을 찾는 등산객이 크게 늘었다.",
        "버스 노사 협상이 무기한 연기됐다.",
    ),
}

# Sentences about what the default watchlist watches; each relevant document gets 1-3.
_RELEVANT: dict[str, Sequence[str]] = {
    "en": (
        "North Korea has shipped artillery shells and missiles to Russia, officials said.",
        "Fighting continued in the Kursk region on {day}, according to Ukrainian officials.",
        '"We will keep supplying air defence missiles to Ukraine," said {name}.',
        "North Korean troops were seen moving toward the front, the ministry said.",
    ),
    "fr": (
        "La Corée du Nord a livré des obus et des missiles à la Russie, selon Kiev.",
        "« Nous continuerons à soutenir l'Ukraine », a déclaré {name}.",
        "Des soldats nord-coréens ont été déployés dans la région de Koursk.",
    ),
    "de": (
        "Nordkorea hat nach Angaben aus Kiew Munition an Russland geliefert.",
        "„Die Lage in der Region Kursk bleibt angespannt“, sagte {name}.",
        "Die Ukraine erhält weitere Waffenlieferungen aus Europa.",
    ),
    "es": (
        "Corea del Norte ha enviado misiles y municiones a Rusia, según Kiev.",
        '"Seguiremos apoyando a Ucrania", dijo {name}.',
        "Los combates continúan en la región rusa de Kursk.",
    ),
    "ru": (
        "КНДР передала России артиллерийские снаряды, сообщили в Киеве.",
        "«Ситуация в Курской области остается сложной», — заявил {name}.",
        "Северокорейские военные прибыли на Курщину.",
    ),
    "uk": (
        "КНДР передала Росії артилерійські снаряди, повідомили в розвідці.",
        "«Ситуація на Курщині залишається складною», — заявив {name}.",
        "Україна отримала нову партію зброї від партнерів.",
    ),
    "ko": (
        "북한이 러시아에 포탄과 미사일을 제공했다고 정부가 밝혔다.",
        "{name} 대변인은 “쿠르스크 지역의 상황이 여전히 어렵다”고 말했다.",
        "북한군이 러시아 쿠르스크 전선에 투입된 것으로 알려졌다.",
    ),
}

_NAMES = {
    "en": ("Laura Finch", "Tom Okafor", "Mara Quinn"),
    "fr": ("Claire Vautrin", "Paul Mercier", "Inès Garnier"),
    "de": ("Jana Wetzel", "Markus Lindner", "Eva Brandt"),
    "es": ("Carmen Ibarra", "Luis Pardo", "Ana Vidal"),
    "ru": ("Олег Дронов", "Анна Лебедева", "Игорь Соколов"),
    "uk": ("Тарас Коваль", "Оксана Гнатюк", "Андрій Мельник"),
    "ko": ("김민수", "이서연", "박지훈"),
}
_TITLES = {
    "en": ("City budget passes after long debate", "Weekend weather: storms in the south"),
    "fr": ("Le budget municipal adopté", "Orages attendus ce week-end"),
    "de": ("Stadtrat beschließt Haushalt", "Gewitter am Wochenende erwartet"),
    "es": ("El ayuntamiento aprueba el presupuesto", "Lluvias intensas el fin de semana"),
    "ru": ("Городской бюджет принят", "На выходных ожидаются дожди"),
    "uk": ("Міська рада ухвалила бюджет", "На вихідних очікуються дощі"),
    "ko": ("시의회, 내년 예산안 통과", "주말 전국에 비 소식"),
}
_RELEVANT_TITLES = {
    "en": ("North Korea and Russia: what we know", "Kursk front: latest"),
    "fr": ("Corée du Nord : ce que l'on sait", "Front de Koursk : le point"),
    "de": ("Nordkorea und Russland: was bekannt ist", "Front bei Kursk: die Lage"),
    "es": ("Corea del Norte y Rusia: lo que se sabe", "Frente de Kursk: la situación"),
    "ru": ("КНДР и Россия: что известно", "Курская область: главное"),
    "uk": ("КНДР і Росія: що відомо", "Курщина: головне"),
    "ko": ("북러 군사협력, 어디까지 왔나", "쿠르스크 전선 상황"),
}


@dataclass(frozen=True)
class Doc:
    article: Article
    lang: str
    relevant: bool


def _fill(rng: random.Random, template: str, lang: str) -> str:
    return template.format(
        n=rng.randint(2, 950), day=rng.randint(1, 28), name=rng.choice(_NAMES[lang])
    )


def make_stream(count: int = DOCS, seed: int = SEED, share: float = RELEVANT_SHARE) -> list[Doc]:
    """``count`` documents, ``share`` of them relevant, languages and lengths mixed.

    Like a real article, each document is about one subject: its sentences come from
    ``SUBJECT_TEMPLATES`` templates of its language, not from the whole pool (which put
    every near miss into nearly every document). ``NEAR_MISS_SHARE`` of the documents,
    relevant or not, also get one or two near-miss sentences anywhere in the text.
    """
    rng = random.Random(seed)
    relevant_at = set(rng.sample(range(count), round(count * share)))
    docs: list[Doc] = []
    for i in range(count):
        lang = LANGS[i % len(LANGS)]
        relevant = i in relevant_at
        target = rng.randint(500, 5000)
        subject = rng.sample(_FILLER[lang], SUBJECT_TEMPLATES)
        sentences: list[str] = []
        size = 0
        while size < target:
            s = _fill(rng, rng.choice(subject), lang)
            sentences.append(s)
            size += len(s) + 1
        if rng.random() < NEAR_MISS_SHARE:
            for _ in range(rng.randint(1, 2)):
                at = rng.randrange(len(sentences) + 1)
                sentences.insert(at, _fill(rng, rng.choice(_NEAR_MISS[lang]), lang))
        if relevant:
            for _ in range(rng.randint(1, 3)):
                at = 0 if rng.random() < 0.5 else rng.randrange(len(sentences))
                sentences.insert(at, _fill(rng, rng.choice(_RELEVANT[lang]), lang))
        paragraphs = [" ".join(sentences[k : k + 4]) for k in range(0, len(sentences), 4)]
        title = rng.choice((_RELEVANT_TITLES if relevant else _TITLES)[lang])
        article = Article(
            source_id="bench",
            source_name="bench",
            guid=f"bench-{i}",
            title=title,
            text="\n\n".join(paragraphs),
        )
        docs.append(Doc(article, lang, relevant))
    return docs


def _rss_mb() -> float:
    """Peak resident set size of this process so far (ru_maxrss: KB on Linux, B on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


@dataclass
class Timing:
    name: str
    latencies_ns: list[int]
    relevant_ns: int = 0
    relevant_docs: int = 0
    passed: int = 0

    @property
    def total_s(self) -> float:
        return sum(self.latencies_ns) / 1e9

    def percentile_ms(self, p: float) -> float:
        ordered = sorted(self.latencies_ns)
        k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
        return ordered[k] / 1e6

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "docs": len(self.latencies_ns),
            "seconds": round(self.total_s, 3),
            "docs_per_s": round(len(self.latencies_ns) / self.total_s, 1),
            "p50_ms": round(self.percentile_ms(50), 3),
            "p99_ms": round(self.percentile_ms(99), 3),
            "passed": self.passed,
        }
        if self.relevant_docs:
            out["relevant_docs"] = self.relevant_docs
            out["relevant_docs_per_s"] = round(self.relevant_docs / (self.relevant_ns / 1e9), 1)
        return out


def _prefilter(watchlist: Any) -> Callable[[str, str, str], bool]:
    """The matcher's own prefilter: may this document match anything at all?

    Uses the matcher's internals (the same automaton ``match`` consults first), because
    the point is to time exactly that step.
    """
    from bot.nlp.matcher.plans import candidates, compiled_for
    from bot.nlp.text import fold

    compiled = compiled_for(watchlist)

    def passes(title: str, text: str, lang: str) -> bool:
        plan = compiled.plan(watchlist, lang)
        return bool(candidates(plan, watchlist, fold(f"{title}\n{text}")))

    return passes


_QUOTED_PARAGRAPHS = (
    "“We will keep the corridor open for as long as it takes,” said Ana Placeholder, the "
    "port director. “Nobody here wants a second winter like the last one.”",
    "« Nous ne reculerons pas sur les retraites », a déclaré Marc Exemple, avant d'ajouter : "
    "« Le texte sera voté. »",
    "„Wir liefern, was vereinbart ist“, sagte Jonas Beispiel. „Alles andere ist Gerede.“",
    "—No vamos a pedir perdón por defender a los agricultores —dijo Lucía Ejemplo.",
    "«Мы не допустим повторения прошлогодней ошибки», — заявил Олег Примеров.",
    "Він пообіцяв «повернути кожен гектар» і додав: «Ми вже почали».",
    "김 장관은 “협상은 계속될 것”이라고 말했다.",
)


def quoted_document(chars: int = 1_000_000) -> str:
    """A hostile document of about ``chars`` characters, nearly all of it quotation: many
    attributed quotes, one long paragraph of short quotes with no line break, and quotes
    opened and never closed (the shapes that made the extractor quadratic)."""
    parts: list[str] = []
    size = 0
    i = 0
    while size < chars * 0.7:
        para = _QUOTED_PARAGRAPHS[i % len(_QUOTED_PARAGRAPHS)]
        parts.append(para)
        size += len(para) + 1
        i += 1
    one_line = " ".join(
        f"“Point {n} of the plan,” said Sam Sample, “is not negotiable.”"
        for n in range(int(chars * 0.15) // 60)
    )
    unclosed = " ".join(f"« Le point {n} reste ouvert" for n in range(int(chars * 0.15) // 28))
    return "\n".join([*parts, one_line, unclosed])


def time_quotes(chars: int = 1_000_000) -> dict[str, Any]:
    """Seconds ``extract_quotes`` takes on ``quoted_document(chars)``, and how many quotes."""
    from bot.nlp import extract_quotes

    text = quoted_document(chars)
    t0 = time.perf_counter()
    found = extract_quotes(text, "en")
    return {"chars": len(text), "seconds": round(time.perf_counter() - t0, 3), "quotes": len(found)}


def run(docs: int = DOCS, seed: int = SEED) -> dict[str, Any]:
    """Build the stream, load every pipeline, time the three paths; numbers as a dict."""
    from bot.alerts.build import build_alert
    from bot.nlp import analyze, could_match, detect_language, get_pipeline, load_watchlist
    from bot.nlp.matcher import haystack_of
    from bot.nlp.pipelines import korean_analyzer, morph_analyzer

    rss_start = _rss_mb()
    watchlist = load_watchlist(Path(__file__).resolve().parents[3] / "config" / "watchlist.yaml")
    for lang in (*LANGS, *LOADED_ONLY):  # all ten, as in a bot reading every language
        get_pipeline(lang)
    for lang in ("ru", "uk"):
        morph_analyzer(lang)
    korean_analyzer()
    stream = make_stream(docs, seed)
    for lang in LANGS:  # compile the watchlist for each language before timing
        first = next(d for d in stream if d.relevant and d.lang == lang)
        analyze(first.article.title, first.article.text, watchlist)
    for lang, text in LOADED_ONLY.items():
        analyze(text, text, watchlist, lang)
    rss_loaded = _rss_mb()

    full = Timing("full path", [])
    near = Timing("  passed, no match", [])
    hit = Timing("  alerted", [])
    alerted: list[bool] = []
    clock = time.perf_counter_ns
    for d in stream:
        t0 = clock()
        analysis = analyze(d.article.title, d.article.text, watchlist, d.article.language)
        if analysis.alert:
            build_alert(d.article, analysis)
        spent = clock() - t0
        full.latencies_ns.append(spent)
        alerted.append(analysis.alert)
        if analysis.alert:
            full.passed += 1
            full.relevant_docs += 1
            full.relevant_ns += spent
            hit.latencies_ns.append(spent)
            hit.passed += 1
        elif could_match(watchlist, haystack_of(d.article.title, d.article.text)):
            near.latencies_ns.append(spent)
            near.passed += 1

    passes = _prefilter(watchlist)
    langs = [detect_language(f"{d.article.title}\n{d.article.text}") for d in stream]
    detect = Timing("prefilter + detect", [])
    alone = Timing("prefilter alone", [])
    for d in stream:
        # as ``analyze`` does: the language-free screen, then detection only on a pass
        t0 = clock()
        if could_match(watchlist, haystack_of(d.article.title, d.article.text)):
            lang = detect_language(f"{d.article.title}\n{d.article.text}")
            detect.passed += passes(d.article.title, d.article.text, lang)
        detect.latencies_ns.append(clock() - t0)
    for d, lang in zip(stream, langs, strict=True):
        t0 = clock()
        alone.passed += passes(d.article.title, d.article.text, lang)
        alone.latencies_ns.append(clock() - t0)

    relevant = sum(d.relevant for d in stream)
    chars = sum(len(d.article.text) for d in stream)
    return {
        "docs": len(stream),
        "relevant_generated": relevant,
        "mean_chars": round(chars / len(stream)),
        "alerted": full.passed,
        "relevant_not_alerted": sum(
            d.relevant and not a for d, a in zip(stream, alerted, strict=True)
        ),
        "irrelevant_alerted": sum(
            a and not d.relevant for d, a in zip(stream, alerted, strict=True)
        ),
        "prefilter_pass_share": round(alone.passed / len(stream), 3),
        "paths": {t.name: t.as_dict() for t in (full, near, hit, detect, alone) if t.latencies_ns},
        "rss_mb": {
            "start": round(rss_start, 1),
            "pipelines_loaded": round(rss_loaded, 1),
            "peak": round(_rss_mb(), 1),
        },
        "quotes_1mb": time_quotes(),
    }


def main(docs: int = DOCS, as_json: bool = False, seed: int = SEED) -> None:
    """Print the numbers (a table, or one JSON object with ``as_json``)."""
    from rich.console import Console
    from rich.table import Table

    result = run(docs, seed)
    if as_json:
        sys.stdout.write(json.dumps(result) + "\n")
        return
    out = Console()
    out.print(
        f"{result['docs']} documents ({result['relevant_generated']} relevant by construction, "
        f"mean {result['mean_chars']} characters, {len(LANGS)} languages); "
        f"{result['alerted']} alerted ({result['relevant_not_alerted']} relevant missed, "
        f"{result['irrelevant_alerted']} others alerted); "
        f"{result['prefilter_pass_share']:.0%} pass the prefilter",
        highlight=False,
    )
    table = Table(title="matching, one process", title_justify="left")
    for col in ("path", "docs/s", "p50 ms", "p99 ms", "passed", "relevant docs/s"):
        table.add_column(col, justify="left" if col == "path" else "right")
    for name, t in result["paths"].items():
        table.add_row(
            name,
            f"{t['docs_per_s']:,.0f}",
            f"{t['p50_ms']:.3f}",
            f"{t['p99_ms']:.3f}",
            str(t["passed"]),
            f"{t['relevant_docs_per_s']:,.0f}" if "relevant_docs_per_s" in t else "",
        )
    out.print(table)
    rss = result["rss_mb"]
    out.print(
        f"peak RSS {rss['peak']:.0f} MB (start {rss['start']:.0f} MB, "
        f"{len(LANGS) + len(LOADED_ONLY)} pipelines and the analysers loaded {rss['pipelines_loaded']:.0f} MB)",
        highlight=False,
    )
    q = result["quotes_1mb"]
    out.print(
        f"quotes: 1 MB quoted document ({q['chars']:,} characters, {q['quotes']:,} quotes) "
        f"in {q['seconds']:.2f} s",
        highlight=False,
    )
