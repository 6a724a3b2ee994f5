"""The documents the matching benchmark reads, made in memory: nothing to download.

A stream of articles in seven languages (500-5,000 characters, fixed seed) written from
templates for this benchmark: each about one subject (a few templates of its language), a
share of them relevant to the default watchlist, and a fifth carrying a near miss (Kurs,
북한산, arms race, Prussia...). Also a hostile 1 MB document that is nearly all quotation,
for timing the quote extractor.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from bot.models import Article

LANGS = ("en", "fr", "de", "es", "ru", "uk", "ko")
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
    return list(iter_stream(count, seed, share))


def iter_stream(
    count: int = DOCS, seed: int = SEED, share: float = RELEVANT_SHARE
) -> Iterator[Doc]:
    """``make_stream``'s documents one at a time, the same ones in the same order: a pass
    over 10,000 documents then holds one of them, not ~40 MB of text (the matching
    benchmark reads its stream several times, each time afresh, and reports peak RSS)."""
    rng = random.Random(seed)
    relevant_at = set(rng.sample(range(count), round(count * share)))
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
        yield Doc(article, lang, relevant)


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
