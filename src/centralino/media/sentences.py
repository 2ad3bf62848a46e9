"""The sentences Centralino speaks, per language: queue announcements, spoken values, system prompts.

espeak-ng reads digits itself in every language it has, and reads them in their plain
(nominative, masculine) form. That is right most of the time; where the grammar of the
language needs another form, the sentence is written here with the word instead of the
digit, so espeak-ng has nothing to guess:

- Polish nouns agree with the number (1 minuta, 2-4 minuty, 5+ minut; 22 minuty, 25 minut)
  and a feminine noun takes "jedna"/"dwie" (espeak-ng says "dwa"): "dwadzieścia dwie minuty"
  is written as ``20 dwie minuty``. Dates use genitive ordinals ("siedemnastego maja").
- Spanish apocopates "uno" before a noun ("un euro", "veintiún euros", "treinta y un euros").
- Italian and German use the article form for one ("un minuto", "una sterlina", "ein Euro",
  "eine Minute"); German dates are ordinals ("am siebzehnten Mai").
- Albanian says "një" for one and puts the plural noun after every other number.

The functions are pure: they return text, and ``centralino.media.prompts`` speaks it. The
``say:`` kinds are those of the IVR's prompt references (``centralino.ivr.prompts``):
number, digits, currency, date and time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from centralino.media.player import PromptError

__all__ = [
    "CURRENCIES", "LANGUAGES", "SAY_KINDS", "SYSTEM_PROMPTS", "count_phrase", "position_sentence",
    "say_sentence", "wait_sentence",
]

LANGUAGES = ("en", "pl", "it", "es", "de", "sq")
SAY_KINDS = ("number", "digits", "currency", "date", "time")


@dataclass(frozen=True, slots=True)
class Noun:
    """A noun's forms: singular, plural (Polish: 2-4), Polish genitive plural (5+), and gender m/f/n."""

    one: str
    few: str
    many: str = ""
    gender: str = "m"


def _noun(one: str, few: str | None = None, many: str | None = None, gender: str = "m") -> Noun:
    few = one if few is None else few
    return Noun(one, few, few if many is None else many, gender)


_ONE = {"en": {"m": "one", "f": "one", "n": "one"}, "pl": {"m": "jeden", "f": "jedna", "n": "jedno"},
        "it": {"m": "un", "f": "una", "n": "un"}, "es": {"m": "un", "f": "una", "n": "un"},
        "de": {"m": "ein", "f": "eine", "n": "ein"}, "sq": {"m": "një", "f": "një", "n": "një"}}


def _check(language: str) -> None:
    if language not in LANGUAGES:
        raise PromptError(f"no sentences for language {language!r}; use one of {', '.join(LANGUAGES)}")


def _polish_form(n: int, noun: Noun) -> str:
    if n == 1:
        return noun.one
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return noun.few
    return noun.many


def count_phrase(n: int, noun: Noun, language: str) -> str:
    """``n`` followed by ``noun`` in the form the language needs, the numeral written where it must be."""
    _check(language)
    if n == 1:
        return f"{_ONE[language][noun.gender]} {noun.one}"
    if language == "pl":
        number = str(n)
        if noun.gender == "f" and n % 10 == 2 and n % 100 != 12:
            number = "dwie" if n == 2 else f"{n - 2} dwie"
        return f"{number} {_polish_form(n, noun)}"
    if language == "es" and n % 10 == 1 and n % 100 != 11 and n < 100:
        one = "un" if noun.gender != "f" else "una"
        number = f"veinti{'ún' if one == 'un' else 'una'}" if n == 21 else f"{n - 1} y {one}"
        return f"{number} {noun.few}"
    return f"{n} {noun.few}"


_MINUTE = {"en": _noun("minute", "minutes"), "pl": _noun("minuta", "minuty", "minut", "f"),
           "it": _noun("minuto", "minuti"), "es": _noun("minuto", "minutos"),
           "de": _noun("Minute", "Minuten", gender="f"), "sq": _noun("minutë", "minuta", gender="f")}

_POSITION = {
    "en": "You are caller number {n}.",
    "pl": "Twoje miejsce w kolejce: {n}.",
    "it": "Lei è il chiamante numero {n}.",
    "es": "Su llamada ocupa el puesto {n} en la cola.",
    "de": "Sie sind Anrufer Nummer {n}.",
    "sq": "Ju jeni telefonuesi numër {n}.",
}

# (less than a minute, about {phrase}); the phrase is count_phrase(minutes, minute)
_WAIT = {
    "en": ("The expected wait is less than a minute.", "The expected wait is about {phrase}."),
    "pl": ("Przewidywany czas oczekiwania: mniej niż minuta.",
           "Przewidywany czas oczekiwania to mniej więcej {phrase}."),
    "it": ("L'attesa prevista è di meno di un minuto.", "L'attesa prevista è di circa {phrase}."),
    "es": ("La espera estimada es de menos de un minuto.",
           "La espera estimada es de {phrase} aproximadamente."),
    "de": ("Die voraussichtliche Wartezeit beträgt weniger als eine Minute.",
           "Die voraussichtliche Wartezeit beträgt etwa {phrase}."),
    "sq": ("Koha e pritjes është më pak se një minutë.", "Koha e pritjes është rreth {phrase}."),
}


def position_sentence(n: int, language: str) -> str:
    """The caller's place in the queue, as a sentence in ``language``."""
    _check(language)
    return _POSITION[language].format(n=n)


def wait_sentence(minutes: int, language: str) -> str:
    """An expected wait, rounded to whole minutes by the caller, as a sentence in ``language``."""
    _check(language)
    less, about = _WAIT[language]
    if minutes < 1:
        return less
    return about.format(phrase=count_phrase(minutes, _MINUTE[language], language))


# System prompts: what a call hears when no flow says otherwise. Built into
# <data>/prompts/<lang>/system/<name>.wav by `centralino prompts build`.
SYSTEM_PROMPTS: dict[str, dict[str, str]] = {
    "please_hold": {"en": "Please hold.", "pl": "Proszę czekać.", "it": "Attenda in linea, prego.",
                    "es": "Por favor, espere.", "de": "Bitte warten Sie.", "sq": "Ju lutem prisni."},
    "agents_busy": {
        "en": "All our agents are busy. Please hold.",
        "pl": "Wszyscy konsultanci są zajęci. Proszę czekać.",
        "it": "Tutti i nostri operatori sono occupati. Attenda in linea, prego.",
        "es": "Todos nuestros agentes están ocupados. Por favor, espere.",
        "de": "Alle unsere Mitarbeiter sind im Gespräch. Bitte warten Sie.",
        "sq": "Të gjithë operatorët tanë janë të zënë. Ju lutem prisni.",
    },
    "goodbye": {"en": "Goodbye.", "pl": "Do widzenia.", "it": "Arrivederci.", "es": "Adiós.",
                "de": "Auf Wiederhören.", "sq": "Mirupafshim."},
    "invalid_option": {"en": "That is not a valid option.", "pl": "Nieprawidłowy wybór.",
                       "it": "Scelta non valida.", "es": "Opción no válida.", "de": "Ungültige Auswahl.",
                       "sq": "Zgjedhje e pavlefshme."},
    "leave_message": {
        "en": "Please leave a message after the tone.",
        "pl": "Proszę zostawić wiadomość po sygnale.",
        "it": "Lasci un messaggio dopo il segnale acustico.",
        "es": "Deje su mensaje después de la señal.",
        "de": "Bitte hinterlassen Sie eine Nachricht nach dem Signalton.",
        "sq": "Ju lutem lini një mesazh pas sinjalit.",
    },
    "no_input": {"en": "We did not receive your choice.", "pl": "Nie otrzymaliśmy odpowiedzi.",
                 "it": "Non abbiamo ricevuto la sua scelta.", "es": "No hemos recibido su selección.",
                 "de": "Wir haben keine Eingabe erhalten.", "sq": "Nuk morëm zgjedhjen tuaj."},
}

# currency code -> language -> (main unit, minor unit or None)
CURRENCIES: dict[str, dict[str, tuple[Noun, Noun | None]]] = {
    "EUR": {"en": (_noun("euro", "euros"), _noun("cent", "cents")),
            "pl": (_noun("euro", gender="n"), _noun("cent", "centy", "centów")),
            "it": (_noun("euro"), _noun("centesimo", "centesimi")),
            "es": (_noun("euro", "euros"), _noun("céntimo", "céntimos")),
            "de": (_noun("Euro"), _noun("Cent")),
            "sq": (_noun("euro"), _noun("cent", "centë"))},
    "USD": {"en": (_noun("dollar", "dollars"), _noun("cent", "cents")),
            "pl": (_noun("dolar", "dolary", "dolarów"), _noun("cent", "centy", "centów")),
            "it": (_noun("dollaro", "dollari"), _noun("centesimo", "centesimi")),
            "es": (_noun("dólar", "dólares"), _noun("centavo", "centavos")),
            "de": (_noun("Dollar"), _noun("Cent")),
            "sq": (_noun("dollar", "dollarë"), _noun("cent", "centë"))},
    "GBP": {"en": (_noun("pound", "pounds"), _noun("penny", "pence")),
            "pl": (_noun("funt", "funty", "funtów"), _noun("pens", "pensy", "pensów")),
            "it": (_noun("sterlina", "sterline", gender="f"), _noun("penny", "pence")),
            "es": (_noun("libra", "libras", gender="f"), _noun("penique", "peniques")),
            "de": (_noun("Pfund", gender="n"), _noun("Penny", "Pence")),
            "sq": (_noun("sterlinë", "sterlina", gender="f"), _noun("peni"))},
    "PLN": {"en": (_noun("zloty", "zlotys"), _noun("grosz", "groszy")),
            "pl": (_noun("złoty", "złote", "złotych"), _noun("grosz", "grosze", "groszy")),
            "it": (_noun("zloty"), _noun("grosz")),
            "es": (_noun("esloti", "eslotis"), _noun("grosz")),
            "de": (_noun("Złoty"), _noun("Groschen")),
            "sq": (_noun("zllot", "zllotë"), _noun("grosh"))},
    "CHF": {"en": (_noun("franc", "francs"), _noun("centime", "centimes")),
            "pl": (_noun("frank", "franki", "franków"), _noun("centym", "centymy", "centymów")),
            "it": (_noun("franco", "franchi"), _noun("centesimo", "centesimi")),
            "es": (_noun("franco", "francos"), _noun("céntimo", "céntimos")),
            "de": (_noun("Franken"), _noun("Rappen")),
            "sq": (_noun("frang", "frangë"), _noun("cent", "centë"))},
    "ALL": {"en": (_noun("lek", "lekë"), None), "pl": (_noun("lek", "leki", "leków"), None),
            "it": (_noun("lek"), None), "es": (_noun("lek", "leks"), None), "de": (_noun("Lek"), None),
            "sq": (_noun("lek", "lekë"), None)},
}

_AND = {"en": "and", "pl": "i", "it": "e", "es": "y", "de": "und", "sq": "e"}
_MINUS = {"en": "minus", "pl": "minus", "it": "meno", "es": "menos", "de": "minus", "sq": "minus"}
_DECIMAL = {"en": "."}  # the others write (and espeak-ng reads) a decimal comma

_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada "
          "grudnia",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre dicembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "sq": "janar shkurt mars prill maj qershor korrik gusht shtator tetor nëntor dhjetor",
}


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# Polish ordinals in the genitive (siedemnastego maja, roku dwa tysiące dwudziestego czwartego)
_PL_UNITS = ("", *_words("pierwszego drugiego trzeciego czwartego piątego szóstego siódmego ósmego "
                         "dziewiątego"))
_PL_TEENS = _words("dziesiątego jedenastego dwunastego trzynastego czternastego piętnastego szesnastego "
                   "siedemnastego osiemnastego dziewiętnastego")
_PL_TENS = ("", "", "dwudziestego", "trzydziestego", "czterdziestego", "pięćdziesiątego", "sześćdziesiątego",
            "siedemdziesiątego", "osiemdziesiątego", "dziewięćdziesiątego")
# German ordinals 1-31 in the dative after "am" (am ersten, am siebzehnten, am einunddreißigsten)
_DE_ORDINALS = _words(
    "ersten zweiten dritten vierten fünften sechsten siebten achten neunten zehnten elften zwölften "
    "dreizehnten vierzehnten fünfzehnten sechzehnten siebzehnten achtzehnten neunzehnten zwanzigsten "
    "einundzwanzigsten zweiundzwanzigsten dreiundzwanzigsten vierundzwanzigsten fünfundzwanzigsten "
    "sechsundzwanzigsten siebenundzwanzigsten achtundzwanzigsten neunundzwanzigsten dreißigsten "
    "einunddreißigsten"
)


def _polish_ordinal(n: int) -> str:
    """Genitive ordinal of 1..99."""
    if 10 <= n < 20:
        return _PL_TEENS[n - 10]
    tens, units = divmod(n, 10)
    return " ".join(w for w in (_PL_TENS[tens], _PL_UNITS[units]) if w)


def _english_ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 < 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise PromptError(f"cannot say {text!r} as a {what}; give a number such as 123.45")
    return value


def _number(value: Decimal, language: str) -> str:
    sign = f"{_MINUS[language]} " if value < 0 else ""
    text = format(abs(value).normalize(), "f")
    return sign + text.replace(".", _DECIMAL.get(language, ","))


def _currency(value: Decimal, code: str | None, language: str) -> str:
    sign = f"{_MINUS[language]} " if value < 0 else ""
    cents_total = int((abs(value) * 100).to_integral_value())
    units, cents = divmod(cents_total, 100)
    names = CURRENCIES.get((code or "").upper())
    if names is None:  # an unknown currency: the amount, then its code letter by letter
        spelled = " ".join((code or "").upper())
        return f"{sign}{_number(abs(value), language)} {spelled}".strip()
    main, minor = names[language]
    if minor is None or cents == 0:
        return sign + count_phrase(units, main, language)
    if units == 0:
        return sign + count_phrase(cents, minor, language)
    whole, minor_part = count_phrase(units, main, language), count_phrase(cents, minor, language)
    return f"{sign}{whole} {_AND[language]} {minor_part}"


def _date(text: str, language: str) -> str:
    match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if not match or not (1 <= int(match[2]) <= 12 and 1 <= int(match[3]) <= 31):
        raise PromptError(f"cannot say {text!r} as a date; write it as YYYY-MM-DD, e.g. 2024-05-17")
    year, month, day = int(match[1]), int(match[2]), int(match[3])
    name = _MONTHS[language].split()[month - 1]
    if language == "en":
        return f"the {_english_ordinal(day)} of {name} {year}"
    if language == "pl":
        if 2000 <= year < 2100:
            spoken_year = "dwutysięcznego" if year == 2000 else f"dwa tysiące {_polish_ordinal(year - 2000)}"
            return f"{_polish_ordinal(day)} {name} {spoken_year} roku"
        return f"{_polish_ordinal(day)} {name} {year}"
    if language == "it":
        return f"{'primo' if day == 1 else day} {name} {year}"
    if language == "es":
        return f"{day} de {name} de {year}"
    if language == "de":
        return f"am {_DE_ORDINALS[day - 1]} {name} {year}"
    return f"{day} {name} {year}"


def _time(text: str, language: str) -> str:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", text)
    if not match or int(match[1]) > 23 or int(match[2]) > 59:
        raise PromptError(f"cannot say {text!r} as a time; write it as HH:MM, e.g. 14:30")
    hour, minute = int(match[1]), int(match[2])
    if language == "en":
        if minute == 0:
            return f"{hour} o'clock"
        return f"{hour} {'oh ' if minute < 10 else ''}{minute}"
    if language == "pl":
        return f"godzina {hour}" + (f" {minute:02d}" if minute else " zero zero")
    if language == "it":
        head = "l'una" if hour == 1 else f"le {hour}"
        return head + (f" e {minute}" if minute else "")
    if language == "es":
        head = "la una" if hour == 1 else f"las {hour}"
        return head + (f" y {minute}" if minute else " en punto")
    if language == "de":
        head = "ein Uhr" if hour == 1 else f"{hour} Uhr"
        return head + (f" {minute}" if minute else "")
    return f"ora {hour}" + (f" e {minute}" if minute else "")


def say_sentence(language: str, kind: str, value: str, currency: str | None = None) -> str:
    """The text espeak-ng should speak for ``say:<language>:<kind>:<value>[:<currency>]``."""
    _check(language)
    if kind == "number":
        return _number(_decimal(value, "number"), language)
    if kind == "digits":
        if not value.isdigit():
            raise PromptError(f"cannot say {value!r} digit by digit; only the digits 0-9 can be said")
        return " ".join(value)
    if kind == "currency":
        return _currency(_decimal(value, "currency amount"), currency, language)
    if kind == "date":
        return _date(value, language)
    if kind == "time":
        return _time(value, language)
    raise PromptError(f"unknown say: kind {kind!r}; use one of {', '.join(SAY_KINDS)}")
