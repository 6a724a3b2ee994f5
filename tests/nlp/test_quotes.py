"""Quotes in each language's conventions, with the speaker the text names."""

from __future__ import annotations

from bot.nlp import extract_quotes


def speakers(text: str, lang: str) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in extract_quotes(text, lang)]


def test_english_said_forms() -> None:
    text = (
        "“We will not accept this at all,” Jane Doe said on Monday.\n"
        "“The talks must go on without delay,” he added.\n"
        "“Nobody here wants a longer war,” said John Roe, a senator."
    )
    assert speakers(text, "en") == [
        ("We will not accept this at all", "Jane Doe"),
        ("The talks must go on without delay", "Jane Doe"),
        ("Nobody here wants a longer war", "John Roe"),
    ]


def test_french_mismatched_marks_and_inverted_pronoun() -> None:
    text = (
        "« Nous ne céderons jamais sur ce point », a déclaré Marie Dupont.\n"
        "“Le dialogue reste ouvert pour tous », a-t-elle ajouté.\n"
        "Le ministre a salué une « victoire » et un « zéro » sans suite."
    )
    quotes = [q for q in extract_quotes(text, "fr") if len(q.text.split()) > 2]
    assert [(q.text, q.speaker) for q in quotes] == [
        ("Nous ne céderons jamais sur ce point", "Marie Dupont"),
        ("Le dialogue reste ouvert pour tous", "Marie Dupont"),
    ]
    for q in quotes:
        assert text[q.start : q.end] == q.text


def test_german_low_high_quotes() -> None:
    text = "„Wir liefern weiter, solange es nötig ist“, sagte Olaf Beispiel in Berlin."
    assert speakers(text, "de") == [("Wir liefern weiter, solange es nötig ist", "Olaf Beispiel")]


def test_spanish_dijo() -> None:
    text = '"La paz es posible si todos ceden", dijo Ana Pérez.'
    assert speakers(text, "es") == [("La paz es posible si todos ceden", "Ana Pérez")]


def test_russian_dash_attribution() -> None:
    text = "«Мы продолжим работу в этом направлении», — заявил Иван Петров."
    assert speakers(text, "ru") == [("Мы продолжим работу в этом направлении", "Иван Петров")]


def test_russian_dialogue_dash() -> None:
    text = "— Мы не допустим этого никогда, — сказал Сергей Иванов."
    assert speakers(text, "ru") == [("Мы не допустим этого никогда", "Сергей Иванов")]


def test_ukrainian_zayavyv() -> None:
    text = "«Ми будемо боротися до кінця», — заявив Петро Коваленко."
    assert speakers(text, "uk") == [("Ми будемо боротися до кінця", "Петро Коваленко")]


def test_korean_subject_and_quotative() -> None:
    text = "김 장관은 기자회견에서 “우리는 모든 가능성을 열어 두고 있다”고 말했다."
    assert speakers(text, "ko") == [("우리는 모든 가능성을 열어 두고 있다", "김 장관")]


def test_headings_are_not_speech_and_quoted_words_are_wording() -> None:
    text = "– Première ligne –\nUne « victoire » annoncée.\n– Réaction « zéro » occidentale –"
    assert [q.text for q in extract_quotes(text, "fr")] == ["victoire", "zéro"]


def test_inverted_role_and_surname_resolve_to_the_full_name() -> None:
    text = (
        "Die Ministerin Anna Beispiel besuchte am Morgen die Truppe.\n"
        "„Wir bleiben an Ihrer Seite, solange es nötig ist“, sagte Beispiel.\n"
        "„Niemand wird vergessen“, fügte die Ministerin hinzu."
    )
    assert speakers(text, "de") == [
        ("Wir bleiben an Ihrer Seite, solange es nötig ist", "Anna Beispiel"),
        ("Niemand wird vergessen", "Anna Beispiel"),
    ]


def test_name_then_role_then_said() -> None:
    text = "“We will keep building,” Jo Example, chief executive of the company, said."
    assert speakers(text, "en") == [("We will keep building", "Jo Example")]


def test_who_called_something_a_phrase() -> None:
    text = "The envoy Max Muster called the plan a “dangerous illusion” on Monday."
    assert speakers(text, "en") == [("dangerous illusion", "Max Muster")]
    text = "Max Muster spoke for an hour. He said the talks had reached “a dead end”."
    assert speakers(text, "en")[-1] == ("a dead end", "Max Muster")


def test_according_to_in_the_sentence() -> None:
    text = "Dem Experten Max Muster zufolge ist das ein „halber Erfolg“ für die Regierung."
    assert speakers(text, "de") == [("halber Erfolg", "Max Muster")]


def test_statement_introduced_by_a_colon() -> None:
    text = "Außenminister Max Muster drohte den Firmen:\nSteigen Sie jetzt aus, sonst folgen Strafen.\n"
    assert speakers(text, "de") == [("Steigen Sie jetzt aus, sonst folgen Strafen.", "Max Muster")]


def test_speech_without_its_opening_mark() -> None:
    text = "Иван Петров выступил в воскресенье.\nМы рады этому соглашению и ждём мира, - сказал политик."
    assert speakers(text, "ru") == [("Мы рады этому соглашению и ждём мира", "Иван Петров")]


def test_korean_titles_and_surnames() -> None:
    text = (
        "박철수 국무위원장은 회의를 주재했다. 박 위원장은 “모든 준비를 마쳤다”고 밝혔다. "
        "이날 트럼프 대통령은 “좋은 일이 아니다”라고 말했다."
    )
    assert speakers(text, "ko") == [("모든 준비를 마쳤다", "박철수"), ("좋은 일이 아니다", "트럼프")]


def test_role_words_between_verb_and_name() -> None:
    """``said curator X``, ``a déclaré la porte-parole du club, X``, ``заявил представитель
    ведомства X``: the role is skipped, the name is the speaker."""
    cases = [
        ("en", "“The roof needs work before winter,” said caretaker Nora Example."),
        ("fr", "« Le stade sera prêt en mai », sourit la gérante du site, Nora Exemple."),
        ("de", "„Wir backen wieder nach altem Rezept“, erzählt Inhaberin Nora Beispiel."),
        ("es", '"El barco zarpa el lunes", declaró el capitán de navío Nora Ejemplo.'),
        ("ru", "«Работы завершим к осени», — сказал представитель ведомства Нора Примерова."),
        ("uk", "«Ремонт триватиме до осені», — вважає військовий оглядач Нора Прикладенко."),
    ]
    expected = {
        "en": "Nora Example",
        "fr": "Nora Exemple",
        "de": "Nora Beispiel",
        "es": "Nora Ejemplo",
        "ru": "Нора Примерова",
        "uk": "Нора Прикладенко",
    }
    for lang, text in cases:
        assert [q.speaker for q in extract_quotes(text, lang)] == [expected[lang]], lang


def test_role_and_name_before_the_verb() -> None:
    text = (
        "“Keep the gates shut,” county health director Sam Placeholder said.\n"
        "“Numbers are falling,” the survey's author, Pat Sample, said in an interview."
    )
    assert [q.speaker for q in extract_quotes(text, "en")] == ["Sam Placeholder", "Pat Sample"]


def test_places_and_bodies_are_not_speakers() -> None:
    """A locative place (``в Витебске``), a body (``Банком России``) or a country in the
    window is skipped for the person named after the verb."""
    text = (
        "Курс, установленный Банком России, снова вырос. В Витебске открылась ярмарка.\n"
        "«Спрос пока держится», — считает экономист Олег Примеров."
    )
    assert [q.speaker for q in extract_quotes(text, "ru")] == ["Олег Примеров"]
    text = (
        "Південна Корея передала нову партію техніки.\n"
        "«Це важливий крок», — заявив представник міністерства у Варшаві Іван Прикладний."
    )
    assert [q.speaker for q in extract_quotes(text, "uk")] == ["Іван Прикладний"]
    text = (
        "The State Department of Farming said on Monday the flock would be culled.\n"
        "“Close the barns,” said inspector Lee Sample on Monday."
    )
    assert [q.speaker for q in extract_quotes(text, "en")] == ["Lee Sample"]


def test_dash_interview_answers_take_the_guest() -> None:
    texts = {
        "fr": (
            "Ancienne ministre, Claire Exemple revient sur l'accord.\n\n"
            "— Que change ce texte ?\n— Presque tout, et d'abord le calendrier.\n"
        ),
        "es": (
            "La economista Lucía Ejemplo recibe a este diario.\n\n"
            "—¿Habrá recesión?\n—No este año, pero el riesgo crece.\n"
        ),
        "ru": (
            "Экономист Олег Примеров — о том, что ждёт рынок.\n\n"
            "— Будет ли спад?\n— В этом году нет, но риски растут.\n"
        ),
        "uk": (
            "Економіст Іван Прикладний — про те, що чекає на ринок.\n\n"
            "— Чи буде спад?\n— Цього року ні, але ризики зростають.\n"
        ),
    }
    guests = {"fr": "Claire Exemple", "es": "Lucía Ejemplo", "ru": "Олег Примеров", "uk": "Іван Прикладний"}
    for lang, text in texts.items():
        quotes = extract_quotes(text, lang)
        answer = quotes[-1]
        assert answer.text.startswith(("Presque", "No este", "В этом", "Цього")), lang
        assert answer.speaker == guests[lang], lang
        assert quotes[-2].speaker != guests[lang], lang  # the question is the paper's


def test_spanish_dash_without_spaces() -> None:
    text = "—Es la mejor noticia del año —dijo Nora Ejemplo, al salir del tribunal."
    assert speakers(text, "es") == [("Es la mejor noticia del año", "Nora Ejemplo")]


def test_pronoun_takes_the_subject_of_the_paragraph() -> None:
    """The last speaker quoted is not the one a pronoun refers to when the paragraph has
    just introduced someone else as its subject."""
    text = (
        "„Wir sind zufrieden“, sagte Trainerin Anna Beispiel.\n"
        "Nach dem Spiel kam auch Max Muster in die Kabine. Muster, sichtlich müde, lobte die "
        "Fans: „Ohne euch hätten wir das nie geschafft“, sagte er."
    )
    assert [q.speaker for q in extract_quotes(text, "de")] == ["Anna Beispiel", "Max Muster"]
    text = (
        'Carla Ejemplo habló primero. "Estamos listos", dijo Ejemplo.\n'
        'Pablo Muestra agradeció el apoyo de la ciudad. "Volveremos pronto", dijo.'
    )
    assert [q.speaker for q in extract_quotes(text, "es")] == ["Carla Ejemplo", "Pablo Muestra"]


def test_korean_position_statement_of_a_body() -> None:
    """``한국 정부는 “…”는 입장을 밝혔다``: a body can be the speaker, and the quote after a
    named person's is not that person's."""
    text = (
        "김철수 대표는 “협상을 계속하겠다”고 말했다. "
        "국방부는 “추가 지원은 검토하지 않는다”는 입장을 밝혔다."
    )
    assert speakers(text, "ko") == [("협상을 계속하겠다", "김철수"), ("추가 지원은 검토하지 않는다", "국방부")]


def test_a_name_stops_at_the_end_of_its_sentence() -> None:
    text = (
        "Der Verein holt den Stürmer Max Muster.\n"
        "„Er bringt Tempo mit“, sagte Sportdirektor Paul Beispiel. Muster kommt aus Jena."
    )
    assert speakers(text, "de") == [("Er bringt Tempo mit", "Paul Beispiel")]
    text = "“We are ready,” said Gen. Sam Example at the base."
    assert speakers(text, "en") == [("We are ready", "Sam Example")]


def test_owner_is_not_the_speaker_and_subject_before_a_parenthesis() -> None:
    text = "N Korea's Kim Example oversaw the test, calling for “more and faster” work."
    assert [q.speaker for q in extract_quotes(text, "en")] == ["Kim Example"]
    text = 'Muestra, en su último discurso como presidente, destacó que "la paz fue posible".'
    assert [q.speaker for q in extract_quotes(text, "es")] == ["Muestra"]


def test_straight_quotes_set_off_by_spaces_still_pair_up() -> None:
    """French copy often writes " … " with spaces inside: each mark alone looks like
    neither an opener nor a closer, but the pair is a quote all the same."""
    text = (
        'Le groupe a souffert de façon " sévère " au premier semestre.\n'
        '" Les commandes reprennent plus vite que prévu dans tous nos marchés ", '
        "a souligné Claire Vasseur, directrice financière du groupe."
    )
    assert speakers(text, "fr")[-1] == (
        "Les commandes reprennent plus vite que prévu dans tous nos marchés",
        "Claire Vasseur",
    )


def test_a_quote_over_two_paragraphs_takes_the_speaker_named_where_it_closes() -> None:
    """Newspapers open every paragraph of a long quote and close only the last one."""
    text = (
        "«Мы завершили разминирование первого участка раньше срока.\n"
        "Следующий участок начнем проверять уже в понедельник», — сказал руководитель "
        "работ Игорь Самойлов.\n"
        "Жителей попросили не заходить в лес."
    )
    found = speakers(text, "ru")
    assert found[0] == (
        "Мы завершили разминирование первого участка раньше срока.",
        "Игорь Самойлов",
    )
    assert ("Следующий участок начнем проверять уже в понедельник", "Игорь Самойлов") in found


def test_every_language_word_lists_are_built_once_per_key() -> None:
    # the quote rules ask for two lists in turn: each must stay cached
    from bot.nlp.quotes.wordlists import all_words

    all_words("anonymous")
    all_words("determiners")
    before = all_words.cache_info()
    for _ in range(3):
        all_words("anonymous")
        all_words("determiners")
    after = all_words.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 6
