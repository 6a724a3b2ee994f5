"""Two hundred short news items, written for these tests, that the default watchlist alerts.

Seven languages (en, fr, de, es, ru, uk, ko), each item about one watch item of
``config/watchlist.yaml``: a headline and two sentences about it, four ordinary local-news
sentences around them, every sentence with its own places, days and numbers. The fault
tests feed them to ``newsbot run`` and count what reaches chat, by each item's URL.

They must stay 200 alerts, not fewer: the bot merges a near-copy of a recent story into
the first alert (SimHash of word 3-shingles, within ``bot.ingest.stories.MAX_DISTANCE`` bits), so
the generator draws again until each item is at least :data:`MIN_GAP` bits from every
other. Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape

from bot.ingest.stories import distance, fingerprint

LANGUAGES = ("en", "fr", "de", "es", "ru", "uk", "ko")
ITEMS = ("north-korea", "kursk", "arms-transfers", "russia", "ukraine")
MIN_GAP = 18
"""Bits between any two items' fingerprints; the bot merges at 10 or fewer."""
SITE = "https://wire.example.org"


@dataclass(frozen=True)
class Story:
    index: int
    language: str
    focus: str
    """The watch item the story is written about (it may mention others too)."""
    title: str
    text: str
    url: str

    @property
    def source(self) -> str:
        return f"Test Wire ({self.language})"

    def markdown(self, published: datetime | None = None) -> str:
        """A seed file: YAML front matter, then the text."""
        when = (published or datetime.now(UTC)).isoformat()
        title = self.title.replace('"', "'")
        return (
            f'---\ntitle: "{title}"\nurl: "{self.url}"\nlanguage: {self.language}\n'
            f'source: "{self.source}"\npublished: "{when}"\n---\n\n{self.text}\n'
        )

    def rss_item(self, published: datetime) -> str:
        return (
            f"<item><title>{escape(self.title)}</title><link>{escape(self.url)}</link>"
            f'<guid isPermaLink="true">{escape(self.url)}</guid>'
            f"<pubDate>{format_datetime(published)}</pubDate>"
            f"<description>{escape(self.text)}</description></item>"
        )


def rss(language: str, items: Sequence[tuple[Story, datetime]]) -> bytes:
    """An RSS 2.0 channel in one language holding ``items`` (story, published)."""
    body = "".join(story.rss_item(when) for story, when in items)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Test Wire {language}</title><link>{SITE}/{language}/</link>"
        f"<description>Wire copy for tests</description><language>{language}</language>"
        f"{body}</channel></rss>"
    ).encode()


@dataclass(frozen=True)
class Language:
    places: tuple[str, ...]
    people: tuple[str, ...]
    days: tuple[str, ...]
    heads: dict[str, tuple[str, ...]]
    topics: dict[str, tuple[str, ...]]
    fillers: tuple[str, ...]


# Every sentence is ours. Fillers name nothing on the watchlist (no country, weapon or
# place it knows), so an item alerts for what its headline and topic sentences say.
TEXTS: dict[str, Language] = {
    "en": Language(
        places=("Tallinn", "Gdansk", "Lisbon", "Osaka", "Valencia", "Tampere", "Ghent", "Brno"),
        people=("A regional official", "The deputy governor", "A ministry spokeswoman",
                "A senior diplomat", "The local police chief", "An aide to the prime minister"),
        days=("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        heads={
            "north-korea": ("North Korea fires {n} projectiles into the sea on {day}",
                            "Envoys meet in {place} to discuss North Korea sanctions",
                            "Kim Jong Un tours fertiliser plant as output falls {n} percent"),
            "kursk": ("Drone strike cuts power to {m} homes in Kursk",
                      "Kursk governor orders evacuation of {n} villages",
                      "Rail traffic through Kursk halted for {n} hours"),
            "arms-transfers": ("Parliament in {place} approves new arms deliveries",
                               "Shipyard contract raises questions over weapons deliveries",
                               "{n} countries pledge arms supplies at {place} meeting"),
            "russia": ("Kremlin rejects report of talks in {place}",
                       "Moscow raises key interest rate to {n} percent",
                       "Russian trade delegation expected in {place} on {day}"),
            "ukraine": ("Kyiv restores power after a night of outages",
                        "Ukraine opens {n} new border crossings for trucks",
                        "Ukrainian farmers report record sunflower harvest"),
        },
        topics={
            "north-korea": (
                "North Korea launched {n} short-range projectiles from its east coast early on {day}, officials in {place} said.",
                "State media in Pyongyang said the leader had watched the test and praised the engineers.",
                "Diplomats meeting in {place} discussed how to enforce the sanctions on North Korea more strictly.",
                "Analysts said the North Korean economy shrank by about {n} percent last year.",
            ),
            "kursk": (
                "The governor of the Kursk region said {n} villages near the border would be evacuated by {day}.",
                "A drone hit a substation outside Kursk overnight, leaving about {m} households without electricity.",
                "Trains between Kursk and {place} were delayed by up to {n} hours, the railway said.",
                "Residents of Kursk queued for water at {n} distribution points across the city.",
            ),
            "arms-transfers": (
                "Lawmakers in {place} approved arms deliveries worth {m} million euros on {day}.",
                "The government said the first weapons shipment would leave the port within {n} weeks.",
                "Critics in {place} asked whether the arms exports complied with national law.",
                "The defence minister said {n} howitzers would be sent as part of the arms package.",
            ),
            "russia": (
                "The Kremlin said on {day} that it had no plans to attend the talks in {place}.",
                "The central bank in Moscow raised its key rate to {n} percent to slow inflation.",
                "A Russian delegation arrived in {place} for {n} days of trade talks.",
                "Officials in Moscow said the new port fees would take effect within {n} weeks.",
            ),
            "ukraine": (
                "Engineers in Kyiv restored power to {m} homes after a night of outages, the city said.",
                "Ukraine opened {n} new border crossings for trucks heading to {place}.",
                "Ukrainian farmers expect a record harvest of sunflower seeds, an industry group said.",
                "The government in Kyiv said it would publish its reconstruction plan on {day}.",
            ),
        },
        fillers=(
            "Heavy rain closed {n} roads around {place} on {day}, police said.",
            "The city council in {place} voted to extend the tram line by {n} kilometres.",
            "Schools in {place} will reopen on {day} after repairs to {n} buildings.",
            "Prices for bread and milk rose {n} percent over the year, the statistics office said.",
            "{who} told reporters that more details would follow on {day}.",
            "About {m} people attended a concert in the main square of {place}.",
            "The airport in {place} reported {n} cancelled flights because of fog.",
            "A new hospital wing with {n} beds opened in {place} last month.",
            "Fishermen in {place} said the season had been the worst in {n} years.",
            "The football club in {place} sold {m} season tickets, a club record.",
        ),
    ),
    "fr": Language(
        places=("Lille", "Nantes", "Rennes", "Dijon", "Grenoble", "Genève", "Namur", "Québec"),
        people=("Un responsable régional", "La porte-parole du ministère", "Un diplomate de haut rang",
                "Le préfet", "Un conseiller du gouvernement", "La maire adjointe"),
        days=("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
        heads={
            "north-korea": ("La Corée du Nord tire {n} projectiles en mer {day}",
                            "Réunion à {place} sur les sanctions contre la Corée du Nord",
                            "Kim Jong-un visite une usine d'engrais en difficulté"),
            "kursk": ("Une frappe de drone prive {m} foyers d'électricité à Koursk",
                      "Le gouverneur de Koursk ordonne l'évacuation de {n} villages",
                      "Trafic ferroviaire interrompu {n} heures près de Koursk"),
            "arms-transfers": ("Le Parlement de {place} approuve de nouvelles livraisons d'armes",
                               "Polémique autour des ventes d'armes d'un chantier naval",
                               "{n} pays promettent des fournitures d'armes à {place}"),
            "russia": ("Le Kremlin dément des pourparlers à {place}",
                       "Moscou relève son taux directeur à {n} %",
                       "Une délégation russe attendue à {place} {day}"),
            "ukraine": ("Kiev rétablit le courant après une nuit de coupures",
                        "L'Ukraine ouvre {n} nouveaux points de passage pour les camions",
                        "Récolte record de tournesol pour les agriculteurs ukrainiens"),
        },
        topics={
            "north-korea": (
                "La Corée du Nord a tiré {n} projectiles de courte portée depuis sa côte est {day} matin, selon des responsables à {place}.",
                "Les médias officiels nord-coréens affirment que le dirigeant a assisté à l'essai.",
                "Des diplomates réunis à {place} ont discuté de l'application des sanctions visant la Corée du Nord.",
                "Selon des analystes, l'économie nord-coréenne s'est contractée d'environ {n} % l'an dernier.",
            ),
            "kursk": (
                "Le gouverneur de la région de Koursk a annoncé l'évacuation de {n} villages frontaliers d'ici {day}.",
                "Un drone a touché un poste électrique près de Koursk dans la nuit, privant {m} foyers de courant.",
                "Les trains entre Koursk et {place} ont subi jusqu'à {n} heures de retard.",
                "Les habitants de Koursk faisaient la queue devant {n} points de distribution d'eau.",
            ),
            "arms-transfers": (
                "Les députés de {place} ont approuvé {day} des livraisons d'armes d'un montant de {m} millions d'euros.",
                "Le gouvernement assure que le premier envoi d'armes quittera le port d'ici {n} semaines.",
                "Des élus de {place} se demandent si ces exportations d'armes respectent la loi.",
                "Le ministre a indiqué que {n} canons d'artillerie seraient livrés dans le cadre de ces livraisons d'armes.",
            ),
            "russia": (
                "Le Kremlin a fait savoir {day} qu'il ne participerait pas aux discussions de {place}.",
                "La banque centrale à Moscou a relevé son taux directeur à {n} % pour freiner l'inflation.",
                "Une délégation russe est arrivée à {place} pour {n} jours de négociations commerciales.",
                "À Moscou, les autorités affirment que les nouvelles taxes portuaires entreront en vigueur dans {n} semaines.",
            ),
            "ukraine": (
                "À Kiev, les techniciens ont rétabli le courant dans {m} logements après une nuit de coupures.",
                "L'Ukraine a ouvert {n} nouveaux points de passage pour les camions en direction de {place}.",
                "Les agriculteurs ukrainiens s'attendent à une récolte record de tournesol, selon une fédération.",
                "Le gouvernement ukrainien publiera son plan de reconstruction {day}, a-t-il annoncé.",
            ),
        },
        fillers=(
            "De fortes pluies ont fermé {n} routes autour de {place} {day}, selon la police.",
            "Le conseil municipal de {place} a voté le prolongement du tramway de {n} kilomètres.",
            "Les écoles de {place} rouvriront {day} après des travaux dans {n} bâtiments.",
            "Le prix du pain et du lait a augmenté de {n} % sur un an, selon l'institut de statistique.",
            "{who} a indiqué que d'autres précisions seraient données {day}.",
            "Environ {m} personnes ont assisté à un concert sur la place principale de {place}.",
            "L'aéroport de {place} a annulé {n} vols en raison du brouillard.",
            "Une nouvelle aile d'hôpital de {n} lits a ouvert à {place} le mois dernier.",
            "Les pêcheurs de {place} parlent de la pire saison depuis {n} ans.",
            "Le club de football de {place} a vendu {m} abonnements, un record.",
        ),
    ),
    "de": Language(
        places=("Leipzig", "Bremen", "Kassel", "Graz", "Linz", "Basel", "Rostock", "Erfurt"),
        people=("Ein Sprecher des Ministeriums", "Die Bürgermeisterin", "Ein hoher Diplomat",
                "Der Landrat", "Eine Regierungssprecherin", "Ein Polizeisprecher"),
        days=("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        heads={
            "north-korea": ("Nordkorea feuert {n} Geschosse ins Meer",
                            "Treffen in {place} zu Sanktionen gegen Nordkorea",
                            "Kim Jong Un besucht kriselnde Düngerfabrik"),
            "kursk": ("Drohnenangriff: {m} Haushalte in Kursk ohne Strom",
                      "Gouverneur von Kursk ordnet Räumung von {n} Dörfern an",
                      "Bahnverkehr bei Kursk {n} Stunden unterbrochen"),
            "arms-transfers": ("Parlament in {place} billigt neue Waffenlieferungen",
                               "Streit um Rüstungsexporte einer Werft",
                               "{n} Staaten sagen in {place} Munitionslieferungen zu"),
            "russia": ("Kreml dementiert Gespräche in {place}",
                       "Moskau erhöht Leitzins auf {n} Prozent",
                       "Russische Handelsdelegation am {day} in {place} erwartet"),
            "ukraine": ("Kiew hat nach nächtlichen Ausfällen wieder Strom",
                        "Ukraine öffnet {n} neue Grenzübergänge für Lastwagen",
                        "Ukrainische Bauern melden Rekordernte bei Sonnenblumen"),
        },
        topics={
            "north-korea": (
                "Nordkorea hat am {day} nach Angaben aus {place} {n} Kurzstreckengeschosse von seiner Ostküste abgefeuert.",
                "Die Staatsmedien in Pjöngjang berichteten, der Machthaber habe den Test persönlich verfolgt.",
                "Diplomaten berieten in {place}, wie die Sanktionen gegen Nordkorea strenger durchgesetzt werden können.",
                "Nach Schätzungen von Fachleuten schrumpfte die nordkoreanische Wirtschaft im vergangenen Jahr um etwa {n} Prozent.",
            ),
            "kursk": (
                "Der Gouverneur des Gebiets Kursk kündigte an, {n} Grenzdörfer bis {day} zu räumen.",
                "Eine Drohne traf in der Nacht ein Umspannwerk bei Kursk, {m} Haushalte waren ohne Strom.",
                "Züge zwischen Kursk und {place} hatten bis zu {n} Stunden Verspätung.",
                "Einwohner von Kursk standen an {n} Ausgabestellen für Trinkwasser an.",
            ),
            "arms-transfers": (
                "Die Abgeordneten in {place} billigten am {day} Waffenlieferungen im Wert von {m} Millionen Euro.",
                "Die Regierung erklärte, die erste Lieferung von Munition werde den Hafen in {n} Wochen verlassen.",
                "Kritiker in {place} fragen, ob die Rüstungsexporte mit dem Gesetz vereinbar sind.",
                "Der Minister sagte, {n} Haubitzen würden im Rahmen der Waffenlieferungen geliefert.",
            ),
            "russia": (
                "Der Kreml teilte am {day} mit, er werde an den Gesprächen in {place} nicht teilnehmen.",
                "Die Zentralbank in Moskau erhöhte den Leitzins auf {n} Prozent, um die Inflation zu bremsen.",
                "Eine russische Delegation traf zu {n} Tagen Handelsgesprächen in {place} ein.",
                "In Moskau hieß es, die neuen Hafengebühren würden in {n} Wochen gelten.",
            ),
            "ukraine": (
                "In Kiew stellten Techniker nach einer Nacht mit Ausfällen die Stromversorgung für {m} Wohnungen wieder her.",
                "Die Ukraine öffnete {n} neue Grenzübergänge für Lastwagen in Richtung {place}.",
                "Ukrainische Landwirte erwarten nach Angaben eines Verbands eine Rekordernte bei Sonnenblumen.",
                "Die ukrainische Regierung will ihren Wiederaufbauplan am {day} vorstellen.",
            ),
        },
        fillers=(
            "Starker Regen sperrte am {day} {n} Straßen rund um {place}, teilte die Polizei mit.",
            "Der Stadtrat von {place} beschloss, die Straßenbahn um {n} Kilometer zu verlängern.",
            "Die Schulen in {place} öffnen am {day} wieder, nachdem {n} Gebäude repariert wurden.",
            "Brot und Milch wurden binnen eines Jahres um {n} Prozent teurer, meldete das Statistikamt.",
            "{who} sagte, weitere Einzelheiten folgten am {day}.",
            "Rund {m} Menschen besuchten ein Konzert auf dem Marktplatz von {place}.",
            "Am Flughafen {place} fielen wegen Nebels {n} Flüge aus.",
            "In {place} eröffnete im vergangenen Monat ein neuer Klinikflügel mit {n} Betten.",
            "Fischer in {place} sprechen von der schlechtesten Saison seit {n} Jahren.",
            "Der Fußballverein in {place} verkaufte {m} Dauerkarten, so viele wie nie.",
        ),
    ),
    "es": Language(
        places=("Valencia", "Bilbao", "Sevilla", "Oporto", "Rosario", "Cusco", "Córdoba", "Zaragoza"),
        people=("Un portavoz del ministerio", "La alcaldesa", "Un diplomático de alto rango",
                "El gobernador provincial", "Una asesora del Gobierno", "El jefe de la policía local"),
        days=("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
        heads={
            "north-korea": ("Corea del Norte dispara {n} proyectiles al mar",
                            "Reunión en {place} sobre las sanciones a Corea del Norte",
                            "Kim Jong-un visita una fábrica de fertilizantes en apuros"),
            "kursk": ("Un ataque con drones deja sin luz a {m} hogares en Kursk",
                      "El gobernador de Kursk ordena evacuar {n} pueblos",
                      "Tráfico ferroviario interrumpido {n} horas cerca de Kursk"),
            "arms-transfers": ("El Parlamento de {place} aprueba nuevos envíos de armas",
                               "Polémica por la venta de armas de un astillero",
                               "{n} países prometen suministros de armas en {place}"),
            "russia": ("El Kremlin niega conversaciones en {place}",
                       "Moscú sube los tipos de interés al {n} %",
                       "Una delegación comercial rusa llega a {place} el {day}"),
            "ukraine": ("Kiev recupera la electricidad tras una noche de apagones",
                        "Ucrania abre {n} nuevos pasos fronterizos para camiones",
                        "Cosecha récord de girasol para los agricultores ucranianos"),
        },
        topics={
            "north-korea": (
                "Corea del Norte lanzó el {day} {n} proyectiles de corto alcance desde su costa este, según fuentes en {place}.",
                "Los medios estatales norcoreanos aseguraron que el dirigente siguió la prueba en persona.",
                "Diplomáticos reunidos en {place} debatieron cómo aplicar con más rigor las sanciones contra Corea del Norte.",
                "Según analistas, la economía norcoreana se contrajo alrededor de un {n} % el año pasado.",
            ),
            "kursk": (
                "El gobernador de la región de Kursk anunció la evacuación de {n} pueblos fronterizos antes del {day}.",
                "Un dron alcanzó de madrugada una subestación cerca de Kursk y dejó sin luz a {m} hogares.",
                "Los trenes entre Kursk y {place} sufrieron retrasos de hasta {n} horas.",
                "Los vecinos de Kursk hacían cola en {n} puntos de reparto de agua.",
            ),
            "arms-transfers": (
                "Los diputados de {place} aprobaron el {day} envíos de armas por valor de {m} millones de euros.",
                "El Gobierno afirmó que la primera entrega de armas saldrá del puerto en {n} semanas.",
                "Críticos en {place} se preguntan si las exportaciones de armas cumplen la ley.",
                "El ministro dijo que se enviarán {n} obuses como parte de los envíos de armas.",
            ),
            "russia": (
                "El Kremlin informó el {day} de que no participará en las conversaciones de {place}.",
                "El banco central en Moscú elevó los tipos al {n} % para frenar la inflación.",
                "Una delegación rusa llegó a {place} para {n} días de negociaciones comerciales.",
                "En Moscú, las autoridades dijeron que las nuevas tasas portuarias se aplicarán en {n} semanas.",
            ),
            "ukraine": (
                "En Kiev, los técnicos devolvieron la luz a {m} viviendas tras una noche de apagones.",
                "Ucrania abrió {n} nuevos pasos fronterizos para camiones con destino a {place}.",
                "Los agricultores ucranianos esperan una cosecha récord de girasol, según una asociación.",
                "El Gobierno ucraniano presentará su plan de reconstrucción el {day}.",
            ),
        },
        fillers=(
            "Las fuertes lluvias cortaron {n} carreteras en torno a {place} el {day}, según la policía.",
            "El ayuntamiento de {place} aprobó ampliar el tranvía {n} kilómetros.",
            "Los colegios de {place} reabrirán el {day} tras reparar {n} edificios.",
            "El pan y la leche subieron un {n} % en un año, según el instituto de estadística.",
            "{who} dijo que habrá más detalles el {day}.",
            "Unas {m} personas asistieron a un concierto en la plaza mayor de {place}.",
            "El aeropuerto de {place} canceló {n} vuelos por la niebla.",
            "Un nuevo pabellón de hospital con {n} camas abrió en {place} el mes pasado.",
            "Los pescadores de {place} hablan de la peor temporada en {n} años.",
            "El club de fútbol de {place} vendió {m} abonos, un récord.",
        ),
    ),
    "ru": Language(
        places=("Казань", "Самара", "Томск", "Пермь", "Иркутск", "Тверь", "Омск", "Ярославль"),
        people=("Представитель министерства", "Глава района", "Высокопоставленный дипломат",
                "Пресс-секретарь губернатора", "Советник правительства", "Начальник городской полиции"),
        days=("в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу",
              "в воскресенье"),
        heads={
            "north-korea": ("КНДР {day} запустила {n} ракет в сторону моря",
                            "В городе {place} обсудили санкции против Северной Кореи",
                            "Ким Чен Ын посетил убыточный завод удобрений"),
            "kursk": ("Атака беспилотника оставила без света {m} домов в Курске",
                      "Губернатор Курской области распорядился эвакуировать {n} сёл",
                      "Движение поездов под Курском остановлено на {n} часов"),
            "arms-transfers": ("Депутаты одобрили новые поставки оружия",
                               "Спор вокруг экспорта оружия судостроительной верфью",
                               "{n} стран пообещали передачу оружия на встрече в городе {place}"),
            "russia": ("В Кремле опровергли сообщения о переговорах",
                       "Центробанк в Москве повысил ключевую ставку до {n} процентов",
                       "Российская торговая делегация прибудет в город {place} {day}"),
            "ukraine": ("В Киеве восстановили электроснабжение после ночных отключений",
                        "Украина открыла {n} новых пунктов пропуска для грузовиков",
                        "Украинские фермеры ожидают рекордный урожай подсолнечника"),
        },
        topics={
            "north-korea": (
                "КНДР {day} запустила {n} ракет малой дальности с восточного побережья, сообщили военные.",
                "Государственные СМИ Пхеньяна утверждают, что руководитель лично наблюдал за испытанием.",
                "Дипломаты в городе {place} обсудили, как строже соблюдать санкции против Северной Кореи.",
                "По оценкам экспертов, северокорейская экономика сократилась в прошлом году примерно на {n} процентов.",
            ),
            "kursk": (
                "Губернатор Курской области объявил об эвакуации {n} приграничных сёл до конца недели.",
                "Ночью беспилотник попал в подстанцию под Курском, без света остались {m} домов.",
                "Поезда между Курском и городом {place} задерживались до {n} часов.",
                "Жители Курска выстраивались в очереди к {n} пунктам раздачи воды.",
            ),
            "arms-transfers": (
                "Депутаты {day} одобрили поставки оружия на сумму {m} миллионов евро.",
                "В правительстве заявили, что первая партия поставок вооружений будет отправлена через {n} недель.",
                "Критики сомневаются, что экспорт оружия соответствует закону.",
                "Министр сообщил, что {n} гаубиц будут переданы в рамках пакета военной помощи.",
            ),
            "russia": (
                "В Кремле {day} заявили, что не направят делегацию на переговоры в городе {place}.",
                "Центральный банк в Москве повысил ключевую ставку до {n} процентов, чтобы сдержать инфляцию.",
                "Российская делегация прибыла в город {place} на {n} дней торговых переговоров.",
                "В Москве сообщили, что новые портовые сборы вступят в силу через {n} недель.",
            ),
            "ukraine": (
                "В Киеве энергетики вернули свет в {m} квартир после ночи отключений.",
                "Украина открыла {n} новых пунктов пропуска для грузовиков в направлении города {place}.",
                "Украинские фермеры ожидают рекордного урожая подсолнечника, сообщила отраслевая ассоциация.",
                "Правительство Украины представит план восстановления {day}.",
            ),
        },
        fillers=(
            "Из-за сильных дождей {day} в районе города {place} закрыли {n} дорог, сообщила полиция.",
            "Совет города {place} проголосовал за продление трамвайной линии на {n} километров.",
            "Школы города {place} откроются {day} после ремонта {n} зданий.",
            "Хлеб и молоко за год подорожали на {n} процентов, сообщило статистическое ведомство.",
            "{who} сказал журналистам, что подробности появятся {day}.",
            "Около {m} человек пришли на концерт на главной площади города {place}.",
            "Аэропорт города {place} отменил {n} рейсов из-за тумана.",
            "В городе {place} в прошлом месяце открылся новый корпус больницы на {n} коек.",
            "Рыбаки города {place} называют этот сезон худшим за {n} лет.",
            "Футбольный клуб города {place} выпустил {m} абонементов, это рекорд.",
        ),
    ),
    "uk": Language(
        places=("Львів", "Одеса", "Харків", "Дніпро", "Полтава", "Чернівці", "Ужгород", "Вінниця"),
        people=("Представник міністерства", "Голова громади", "Високопосадовий дипломат",
                "Речник обласної адміністрації", "Радник уряду", "Начальник міської поліції"),
        days=("у понеділок", "у вівторок", "у середу", "у четвер", "у п'ятницю", "у суботу",
              "у неділю"),
        heads={
            "north-korea": ("КНДР {day} запустила {n} ракет у бік моря",
                            "У місті {place} обговорили санкції проти Північної Кореї",
                            "Кім Чен Ин відвідав збитковий завод добрив"),
            "kursk": ("Атака дрона залишила без світла {m} будинків у Курську",
                      "Губернатор Курської області наказав евакуювати {n} сіл",
                      "Рух поїздів біля Курська зупинено на {n} годин"),
            "arms-transfers": ("Депутати схвалили нове постачання зброї",
                               "Суперечка довкола експорту зброї суднобудівною верф'ю",
                               "{n} країн пообіцяли передачу зброї на зустрічі в місті {place}"),
            "russia": ("У Кремлі заперечили повідомлення про переговори",
                       "Центробанк у Москві підвищив облікову ставку до {n} відсотків",
                       "Російська торговельна делегація прибуде {day}"),
            "ukraine": ("У Києві відновили електропостачання після нічних відключень",
                        "Україна відкрила {n} нових пунктів пропуску для вантажівок",
                        "Українські фермери очікують рекордний урожай соняшнику"),
        },
        topics={
            "north-korea": (
                "КНДР {day} запустила {n} ракет малої дальності зі східного узбережжя, повідомили військові.",
                "Державні медіа Пхеньяна стверджують, що керівник особисто спостерігав за випробуванням.",
                "Дипломати в місті {place} обговорили, як суворіше дотримуватися санкцій проти Північної Кореї.",
                "За оцінками експертів, північнокорейська економіка скоротилася торік приблизно на {n} відсотків.",
            ),
            "kursk": (
                "Губернатор Курської області оголосив про евакуацію {n} прикордонних сіл до кінця тижня.",
                "Уночі дрон влучив у підстанцію під Курськом, без світла залишилися {m} будинків.",
                "Поїзди між Курськом і Бєлгородом затримувалися до {n} годин.",
                "Мешканці Курська стояли в чергах до {n} пунктів видачі води.",
            ),
            "arms-transfers": (
                "Депутати {day} схвалили постачання зброї на суму {m} мільйонів євро.",
                "В уряді заявили, що першу партію поставок зброї відправлять через {n} тижнів.",
                "Критики сумніваються, що експорт зброї відповідає закону.",
                "Міністр повідомив, що {n} гаубиць передадуть у межах пакета військової допомоги.",
            ),
            "russia": (
                "У Кремлі {day} заявили, що не направлять делегацію на переговори.",
                "Центральний банк у Москві підвищив облікову ставку до {n} відсотків, щоб стримати інфляцію.",
                "Російська делегація прибула на {n} днів торговельних переговорів.",
                "У Москві повідомили, що нові портові збори почнуть діяти через {n} тижнів.",
            ),
            "ukraine": (
                "У Києві енергетики повернули світло в {m} квартир після ночі відключень.",
                "Україна відкрила {n} нових пунктів пропуску для вантажівок у напрямку міста {place}.",
                "Українські фермери очікують рекордного врожаю соняшнику, повідомила галузева асоціація.",
                "Уряд України представить план відновлення {day}.",
            ),
        },
        fillers=(
            "Через сильні дощі {day} поблизу міста {place} закрили {n} доріг, повідомила поліція.",
            "Рада міста {place} проголосувала за продовження трамвайної лінії на {n} кілометрів.",
            "Школи міста {place} відкриються {day} після ремонту {n} будівель.",
            "Хліб і молоко за рік подорожчали на {n} відсотків, повідомила служба статистики.",
            "{who} сказав журналістам, що подробиці з'являться {day}.",
            "Близько {m} людей прийшли на концерт на головній площі міста {place}.",
            "Залізниця скасувала {n} приміських поїздів біля міста {place} через туман.",
            "У місті {place} минулого місяця відкрили новий корпус лікарні на {n} ліжок.",
            "Рибалки міста {place} називають цей сезон найгіршим за {n} років.",
            "Футбольний клуб міста {place} випустив {m} абонементів, це рекорд.",
        ),
    ),
    "ko": Language(
        places=("부산", "대구", "인천", "광주", "대전", "울산", "제주", "수원"),
        people=("부처 대변인", "시 관계자", "고위 외교관", "도청 대변인", "정부 자문위원", "지역 경찰서장"),
        days=("월요일", "화요일", "수요일", "목요일", "금요일", "토요일", "일요일"),
        heads={
            "north-korea": ("북한, {day} 동해상으로 발사체 {n}발 발사",
                            "{place}에서 북한 제재 이행 방안 논의",
                            "김정은, 생산 부진 비료 공장 현지 지도"),
            "kursk": ("쿠르스크 드론 공격으로 {m}가구 정전",
                      "쿠르스크 주지사, 마을 {n}곳 대피 명령",
                      "쿠르스크 인근 철도 운행 {n}시간 중단"),
            "arms-transfers": ("국회, 새 무기 지원 예산 통과",
                               "조선소 계약 둘러싼 방산 수출 논란",
                               "{n}개국, {place} 회의서 무기 공급 약속"),
            "russia": ("크렘린, 협상 보도 부인",
                       "러시아 중앙은행, 기준금리 {n}%로 인상",
                       "러시아 무역 대표단 {day} {place} 도착 예정"),
            "ukraine": ("키이우, 밤샘 정전 끝에 전력 복구",
                        "우크라이나, 화물차 국경 검문소 {n}곳 추가 개방",
                        "우크라이나 농민들, 해바라기 사상 최대 수확 기대"),
        },
        topics={
            "north-korea": (
                "북한이 {day} 오전 동해안에서 단거리 발사체 {n}발을 발사했다고 군 당국이 밝혔다.",
                "평양의 관영 매체는 지도자가 시험을 직접 참관했다고 보도했다.",
                "{place}에 모인 외교관들은 북한에 대한 제재를 더 엄격히 이행하는 방안을 논의했다.",
                "전문가들은 지난해 북한 경제가 약 {n}% 위축됐다고 분석했다.",
            ),
            "kursk": (
                "쿠르스크주 주지사는 {day}까지 접경 마을 {n}곳 주민을 대피시키겠다고 밝혔다.",
                "밤사이 드론이 쿠르스크 인근 변전소를 타격해 {m}가구가 정전됐다.",
                "쿠르스크와 벨고로드를 오가는 열차가 최대 {n}시간 지연됐다.",
                "쿠르스크 주민들은 급수소 {n}곳 앞에 줄을 섰다.",
            ),
            "arms-transfers": (
                "의원들은 {day} {m}억 원 규모의 무기 지원 예산을 승인했다.",
                "정부는 첫 무기 공급 물량이 {n}주 안에 항구를 떠날 것이라고 밝혔다.",
                "비판론자들은 이번 무기 수출이 법에 맞는지 의문을 제기했다.",
                "장관은 자주포 {n}문을 무기 지원 패키지의 일부로 제공하겠다고 말했다.",
            ),
            "russia": (
                "크렘린궁은 {day} 회담에 대표단을 보내지 않겠다고 밝혔다.",
                "모스크바의 중앙은행은 물가를 잡기 위해 기준금리를 {n}%로 올렸다.",
                "러시아 대표단이 {n}일간의 무역 협상을 위해 {place}에 도착했다.",
                "모스크바 당국은 새 항만 수수료가 {n}주 뒤부터 적용된다고 밝혔다.",
            ),
            "ukraine": (
                "키이우의 전력 기술자들이 밤샘 정전 끝에 {m}가구의 전기를 복구했다.",
                "우크라이나는 폴란드 방면 화물차를 위한 국경 검문소 {n}곳을 새로 열었다.",
                "우크라이나 농민들은 올해 해바라기 씨 수확이 사상 최대가 될 것으로 기대한다고 업계 단체가 밝혔다.",
                "우크라이나 정부는 {day} 재건 계획을 발표할 예정이다.",
            ),
        },
        fillers=(
            "{day} 폭우로 {place} 일대 도로 {n}곳이 통제됐다고 경찰이 밝혔다.",
            "{place} 시의회는 트램 노선을 {n}km 연장하는 안을 의결했다.",
            "{place}의 학교들은 건물 {n}동 보수를 마치고 {day}부터 다시 문을 연다.",
            "통계청에 따르면 빵과 우유 가격이 1년 새 {n}% 올랐다.",
            "{who}에 따르면 자세한 내용은 {day} 공개된다.",
            "{place} 중앙광장에서 열린 음악회에 약 {m}명이 모였다.",
            "{place} 공항에서는 안개로 항공편 {n}편이 결항됐다.",
            "{place}에서 지난달 병상 {n}개 규모의 새 병동이 문을 열었다.",
            "{place} 어민들은 올해 어획이 {n}년 만에 최악이라고 말했다.",
            "{place} 프로축구단은 시즌권 {m}장을 팔아 역대 최다 기록을 세웠다.",
        ),
    ),
}


def _fill(template: str, lang: Language, rng: random.Random) -> str:
    return template.format(
        place=rng.choice(lang.places),
        who=rng.choice(lang.people),
        day=rng.choice(lang.days),
        n=rng.randint(3, 97),
        m=rng.randint(1200, 98000),
    )


def _compose(index: int, language: str, focus: str, rng: random.Random) -> Story:
    lang = TEXTS[language]
    title = _fill(rng.choice(lang.heads[focus]), lang, rng)
    first, second = rng.sample(lang.topics[focus], 2)
    fillers = rng.sample(lang.fillers, 4)
    sentences = [first, *fillers[:2], second, *fillers[2:]]
    paragraphs = [
        " ".join(_fill(s, lang, rng) for s in sentences[:3]),
        " ".join(_fill(s, lang, rng) for s in sentences[3:]),
    ]
    url = f"{SITE}/{language}/{index:03d}-{focus}"
    return Story(index, language, focus, title, "\n\n".join(paragraphs), url)


def generate(count: int = 200, seed: int = 20240807) -> list[Story]:
    """``count`` stories; the i-th is in ``LANGUAGES[i % 7]`` about ``ITEMS[i % 5]``, so
    consecutive ones differ in both (and all 35 pairs come round every 35)."""
    rng = random.Random(seed)
    stories: list[Story] = []
    prints: list[str] = []
    for index in range(count):
        language, focus = LANGUAGES[index % len(LANGUAGES)], ITEMS[index % len(ITEMS)]
        for _ in range(500):
            story = _compose(index, language, focus, rng)
            fp = fingerprint(story.title, story.text)
            if fp is not None and all(distance(fp, other) >= MIN_GAP for other in prints):
                break
        else:  # pragma: no cover - the texts above leave plenty of room
            raise RuntimeError(f"no story {index} ({language}, {focus}) far enough from the rest")
        stories.append(story)
        prints.append(fp)
    return stories
