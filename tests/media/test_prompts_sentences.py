"""The sentences per language: numerals in the form the noun needs, currencies, dates and times."""

import pytest

from centralino.media.player import PromptError
from centralino.media.sentences import (
    CURRENCIES,
    LANGUAGES,
    SYSTEM_PROMPTS,
    position_sentence,
    say_sentence,
    wait_sentence,
)


def test_caller_number_three_in_every_language() -> None:
    assert [position_sentence(3, lang) for lang in LANGUAGES] == [
        "You are caller number 3.",
        "Twoje miejsce w kolejce: 3.",
        "Lei è il chiamante numero 3.",
        "Su llamada ocupa el puesto 3 en la cola.",
        "Sie sind Anrufer Nummer 3.",
        "Ju jeni telefonuesi numër 3.",
    ]


def test_about_four_minutes_in_every_language() -> None:
    assert [wait_sentence(4, lang) for lang in LANGUAGES] == [
        "The expected wait is about 4 minutes.",
        "Przewidywany czas oczekiwania to mniej więcej 4 minuty.",
        "L'attesa prevista è di circa 4 minuti.",
        "La espera estimada es de 4 minutos aproximadamente.",
        "Die voraussichtliche Wartezeit beträgt etwa 4 Minuten.",
        "Koha e pritjes është rreth 4 minuta.",
    ]


def test_english_one_and_many() -> None:
    assert wait_sentence(1, "en") == "The expected wait is about one minute."
    assert wait_sentence(0, "en") == "The expected wait is less than a minute."
    assert say_sentence("en", "currency", "1.01", "USD") == "one dollar and one cent"
    assert say_sentence("en", "currency", "2", "GBP") == "2 pounds"


def test_polish_plural_and_feminine_numerals() -> None:
    tails = {n: wait_sentence(n, "pl").removeprefix("Przewidywany czas oczekiwania to mniej więcej ")
             for n in (1, 2, 4, 5, 12, 21, 22, 25, 30)}
    assert tails == {1: "jedna minuta.", 2: "dwie minuty.", 4: "4 minuty.", 5: "5 minut.", 12: "12 minut.",
                     21: "21 minut.", 22: "20 dwie minuty.", 25: "25 minut.", 30: "30 minut."}
    # masculine and neuter nouns keep espeak-ng's "dwa"
    assert say_sentence("pl", "currency", "2.05", "PLN") == "2 złote i 5 groszy"
    assert say_sentence("pl", "currency", "22.22", "PLN") == "22 złote i 22 grosze"
    assert say_sentence("pl", "currency", "1.01", "PLN") == "jeden złoty i jeden grosz"
    assert say_sentence("pl", "currency", "115", "PLN") == "115 złotych"
    assert say_sentence("pl", "currency", "123.45", "EUR") == "123 euro i 45 centów"
    may_17 = "siedemnastego maja dwa tysiące dwudziestego czwartego roku"
    assert say_sentence("pl", "date", "2024-05-17") == may_17
    assert say_sentence("pl", "date", "2000-12-31") == "trzydziestego pierwszego grudnia dwutysięcznego roku"


def test_italian_article_for_one() -> None:
    assert wait_sentence(1, "it") == "L'attesa prevista è di circa un minuto."
    assert say_sentence("it", "currency", "123.45", "EUR") == "123 euro e 45 centesimi"
    assert say_sentence("it", "currency", "1.01", "GBP") == "una sterlina e un penny"
    assert say_sentence("it", "date", "2024-05-01") == "primo maggio 2024"
    assert say_sentence("it", "time", "01:05") == "l'una e 5"


def test_spanish_apocope_of_uno() -> None:
    assert say_sentence("es", "currency", "1", "EUR") == "un euro"
    assert say_sentence("es", "currency", "21", "EUR") == "veintiún euros"
    assert say_sentence("es", "currency", "31.01", "USD") == "30 y un dólares y un centavo"
    assert say_sentence("es", "currency", "21", "GBP") == "veintiuna libras"
    assert say_sentence("es", "currency", "11", "EUR") == "11 euros"
    assert wait_sentence(21, "es") == "La espera estimada es de veintiún minutos aproximadamente."
    assert say_sentence("es", "time", "14:00") == "las 14 en punto"


def test_german_ein_eine_and_ordinal_dates() -> None:
    assert wait_sentence(1, "de").endswith("etwa eine Minute.")
    assert say_sentence("de", "currency", "1.01", "EUR") == "ein Euro und ein Cent"
    assert say_sentence("de", "currency", "1", "GBP") == "ein Pfund"
    assert say_sentence("de", "currency", "21.50", "CHF") == "21 Franken und 50 Rappen"
    assert say_sentence("de", "date", "2024-05-17") == "am siebzehnten Mai 2024"
    assert say_sentence("de", "time", "01:00") == "ein Uhr"


def test_albanian_nje_and_plurals() -> None:
    assert wait_sentence(0, "sq") == "Koha e pritjes është më pak se një minutë."
    assert wait_sentence(1, "sq") == "Koha e pritjes është rreth një minutë."
    assert say_sentence("sq", "currency", "5", "ALL") == "5 lekë"
    assert say_sentence("sq", "currency", "1", "ALL") == "një lek"
    assert say_sentence("sq", "date", "2024-05-17") == "17 maj 2024"
    assert say_sentence("sq", "time", "14:30") == "ora 14 e 30"


def test_numbers_digits_and_unknown_currency() -> None:
    assert say_sentence("en", "number", "-1234.50") == "minus 1234.5"
    assert say_sentence("de", "number", "3.25") == "3,25"
    assert say_sentence("it", "digits", "4711") == "4 7 1 1"
    assert say_sentence("en", "currency", "5", "SEK") == "5 S E K"
    assert say_sentence("en", "date", "2024-05-22") == "the 22nd of May 2024"
    assert say_sentence("en", "time", "14:05") == "14 oh 5"


@pytest.mark.parametrize(("kind", "value", "match"), [
    ("number", "12x", "as a number"), ("digits", "12a", "digit by digit"),
    ("date", "17/05/2024", "YYYY-MM-DD"), ("time", "25:00", "HH:MM"), ("currency", "NaN", "currency amount"),
    ("colour", "red", "unknown say: kind"),
])
def test_values_that_cannot_be_said_are_named(kind: str, value: str, match: str) -> None:
    with pytest.raises(PromptError, match=match):
        say_sentence("en", kind, value)


def test_every_language_has_every_text() -> None:
    for texts in SYSTEM_PROMPTS.values():
        assert set(texts) == set(LANGUAGES)
    for by_language in CURRENCIES.values():
        assert set(by_language) == set(LANGUAGES)
    with pytest.raises(PromptError, match="use one of"):
        position_sentence(2, "xx")
