"""Texts of the ``evalkit`` command line in Dutch and English: help, argparse's own
messages and the one-line reasons for a user's mistakes.

Every option of every command has a help text here, keyed by command and ``dest``
(``HELP["demo"]["workers"]``). A command added to ``evalkit.cli._COMMANDS`` needs its
entries here too: ``tests/test_cli_errors.py`` fails, naming the missing ones.
The texts of the command modules themselves (``help=`` in ``cli_<command>``) are used
when the catalogue has no entry, so nothing is ever without a text.
"""

from __future__ import annotations

import difflib
import re

__all__ = ["HELP", "COMMAND_HELP", "EPILOG", "UI", "translate_argparse", "did_you_mean"]

#: Help of each command: (summary in the command list, description at the top of its help).
COMMAND_HELP: dict[str, dict[str, tuple[str, str]]] = {
    "validate": {
        "nl": (
            "controleer een databestand met een codeboek (exitcode 1 bij fouten)",
            "Controleer een CSV-, Excel- of SPSS-bestand met een codeboek en toon elk probleem "
            "met de rij en kolom zoals Excel ze toont. Exitcode 0 = geen fouten, 1 = fouten, "
            "2 = bestand of codeboek niet gevonden.",
        ),
        "en": (
            "check a data file against a codebook (exit code 1 on errors)",
            "Check a CSV, Excel or SPSS file against a codebook and print every problem with "
            "the row and column as Excel shows them. Exit code 0 = no errors, 1 = errors, "
            "2 = file or codebook not found.",
        ),
    },
    "template": {
        "nl": (
            "maak een Excel-invulsjabloon voor een codeboek",
            "Maak een Excel-invulsjabloon: kolomkoppen, keuzelijsten met de toegestane "
            "antwoorden, bereiken die Excel bewaakt en een blad dat elke kolom uitlegt.",
        ),
        "en": (
            "write an Excel input template for a codebook",
            "Write an Excel input template: headers, drop-down lists of allowed answers, "
            "ranges enforced, and a sheet that explains every column.",
        ),
    },
    "codebook": {
        "nl": (
            "zet codeboeken om in leesbare pagina's",
            "Zet codeboeken om in leesbare Markdown- of HTML-pagina's (Nederlands NAAM.md, "
            "Engels NAAM.en.md).",
        ),
        "en": (
            "render codebooks to readable pages",
            "Render codebooks to readable Markdown or HTML pages (Dutch pages NAME.md, "
            "English pages NAME.en.md).",
        ),
    },
    "demo": {
        "nl": (
            "maak de rapporten van de voorbeeldcoalities (de hoofdtaak op voorbeeldgegevens)",
            "Schrijft de gegevens van de voorbeeldcoalities (verzonnen deelnemers) naar "
            "voorbeelddata/ naast de uitvoermap (of --data MAP), maakt per coalitie een "
            "rapport met het opschrift 'voorbeeldgegevens' en toont waar index.html staat.",
        ),
        "en": (
            "render the reports of the example coalitions (the main job on example data)",
            "Writes the example coalitions' data files (invented participants) to "
            "voorbeelddata/ beside OUT (or --data DIR), renders one report per coalition, "
            "each marked 'voorbeeldgegevens', and prints where index.html is.",
        ),
    },
    "report": {
        "nl": (
            "maak één rapport voor één coalitie",
            "Voer een rapportsjabloon (notebook) uit met parameters en schrijf één HTML-pagina "
            "die zonder internet werkt. Waarden krijgen het type van de standaardwaarde in "
            "het sjabloon, dus '-p coalition_code GM0363' blijft tekst.",
        ),
        "en": (
            "render one report for one coalition",
            "Execute a report template (notebook) with parameters and write one self-contained "
            "HTML page. Values get the type of the template's default, so '-p coalition_code "
            "GM0363' stays text.",
        ),
    },
    "batch": {
        "nl": (
            "maak een rapport voor elke coalitie plus een overzicht (index.html)",
            "COALITIES is een CSV- of Excel-bestand met één regel per coalitie (kolommen = "
            "parameters van het sjabloon: coalition_code, coalition_name, data_path, ...) of "
            "een map met per coalitie één databestand met een naam als GM0363*.csv.",
        ),
        "en": (
            "render a report for every coalition plus index.html",
            "COALITIONS is a CSV/Excel file with one row per coalition (columns = template "
            "parameters: coalition_code, coalition_name, data_path, ...) or a folder with one "
            "data file per coalition named GM0363*.csv.",
        ),
    },
    "audit": {
        "nl": (
            "controleer rapportpagina's op de privacyregels",
            "Controleert elke rapportpagina in de opgegeven map (en index.html) tegen het "
            "openbaarmakingsverslag ernaast en de regels R1-R4; exitcode 1 bij een "
            "overtreding (publiceer die pagina's dan niet).",
        ),
        "en": (
            "check report pages against the privacy rules",
            "Checks every report page in the given folder (and index.html) against the disclosure record "
            "written beside it and the rules R1-R4; exit code 1 on any violation.",
        ),
    },
    "serve": {
        "nl": (
            "start het webportaal (standaard alleen op deze computer)",
            "Start het evalkit-portaal. Lokaal (standaard): 127.0.0.1, zonder inloggen, opent "
            "de browser, er gaat niets van de computer af. Gehost (--hosted): accounts en "
            "rollen, database uit --database.",
        ),
        "en": (
            "start the web portal (local by default)",
            "Start the evalkit portal. Local mode (default): 127.0.0.1, no login, opens the "
            "browser, nothing leaves the machine. Hosted mode (--hosted): accounts and roles, "
            "database from --database.",
        ),
    },
    "store": {
        "nl": (
            "database van het portaal: sleutel, bijwerken, opruimen (bewaartermijn)",
            "Onderhoud van de database van het portaal: 'key' maakt een nieuwe "
            "versleutelsleutel (geheim houden), 'upgrade' maakt of vernieuwt de tabellen, "
            "'purge' verwijdert uploads na hun bewaartermijn (dagelijks draaien). Zonder "
            "--database komt de URL uit EVALKIT_DATABASE_URL, anders de ingebouwde "
            "SQLite-database (docs/portal_storage.md).",
        ),
        "en": (
            "portal database: key, upgrade, purge (retention)",
            "Maintenance of the portal's database: 'key' prints a new encryption key (keep "
            "it secret), 'upgrade' creates or migrates the schema, 'purge' deletes uploads "
            "past their retention date (run daily). Without --database the URL comes from "
            "EVALKIT_DATABASE_URL, else the embedded SQLite database (docs/portal_storage.md).",
        ),
    },
    "users": {
        "nl": (
            "beheer de accounts van het portaal",
            "Voeg accounts van het portaal toe, verwijder ze of toon ze.",
        ),
        "en": ("manage portal accounts", "Add, remove or list the accounts of the portal."),
    },
}

#: Text after the options: examples, and for ``report`` the parameters it needs.
EPILOG: dict[str, dict[str, str]] = {
    "validate": {
        "nl": "Voorbeeld: evalkit validate invoer.xlsx --codebook intervention",
        "en": "Example: evalkit validate input.xlsx --codebook intervention",
    },
    "template": {
        "nl": "Voorbeeld: evalkit template intervention --out invoer.xlsx",
        "en": "Example: evalkit template intervention --out input.xlsx",
    },
    "codebook": {
        "nl": "Voorbeeld: evalkit codebook intervention --out codeboeken",
        "en": "Example: evalkit codebook intervention --out codebooks",
    },
    "demo": {"nl": "Voorbeeld: evalkit demo --out rapporten", "en": "Example: evalkit demo --out reports"},
    "report": {
        "nl": (
            "Verplichte parameters van het standaardsjabloon: coalition_code (CBS-code, GM en "
            "vier cijfers), coalition_name (naam van de gemeente of coalitie) en data_path "
            "(het ingevulde databestand, .xlsx/.csv/.sav, codeboek intervention). "
            "Voorbeeld: evalkit report -p coalition_code GM0363 -p coalition_name Amsterdam "
            "-p data_path invoer.xlsx --out rapporten"
        ),
        "en": (
            "Required parameters of the default template: coalition_code (CBS code, GM and "
            "four digits), coalition_name (name of the municipality or coalition) and "
            "data_path (the filled-in data file, .xlsx/.csv/.sav, codebook intervention). "
            "Example: evalkit report -p coalition_code GM0363 -p coalition_name Amsterdam "
            "-p data_path input.xlsx --out reports"
        ),
    },
    "batch": {
        "nl": "Voorbeeld: evalkit batch coalities.csv --out rapporten --workers 2",
        "en": "Example: evalkit batch coalitions.csv --out reports --workers 2",
    },
    "audit": {"nl": "Voorbeeld: evalkit audit rapporten", "en": "Example: evalkit audit reports"},
    "serve": {"nl": "Voorbeeld: evalkit serve", "en": "Example: evalkit serve"},
    "store": {
        "nl": "Voorbeeld: evalkit store purge --database sqlite:///portaal.db",
        "en": "Example: evalkit store purge --database sqlite:///portal.db",
    },
    "users": {
        "nl": "Voorbeeld: evalkit users add jan --role coalition --codes GM0363 --database sqlite:///portaal.db",
        "en": "Example: evalkit users add jan --role coalition --codes GM0363 --database sqlite:///portal.db",
    },
}

_LANG = {
    "nl": "taal van de uitvoer: nl (Nederlands, standaard) of en (Engels)",
    "en": "language of the output: nl (Dutch, default) or en (English)",
}
_QUIET = {"nl": "geen voortgangsbalk", "en": "no progress bar"}
_WORKERS = {
    "nl": "aantal processen (standaard: aantal processorkernen)",
    "en": "number of processes (default: number of cores)",
}
_RERUN = {
    "nl": "welke rapporten opnieuw: changed (gewijzigde, standaard), failed (mislukte) of all",
    "en": "which reports to redo: changed (default), failed or all",
}
_TIMEOUT = {"nl": "seconden per notebookcel (standaard 600)", "en": "seconds per notebook cell (default 600)"}
_KERNEL_NAME = {
    "nl": "naam van de Jupyter-kernel (standaard python3)",
    "en": "name of the Jupyter kernel (default python3)",
}

#: Help of every option: HELP[command][dest] = {"nl": ..., "en": ...}.
HELP: dict[str, dict[str, dict[str, str]]] = {
    "validate": {
        "file": {"nl": "het databestand (.xlsx, .csv of .sav)", "en": "the data file (.xlsx, .csv or .sav)"},
        "codebook": {
            "nl": "codeboek: intervention, municipal_panel, youth_instrument, benchmark, djg11, "
            "djg6, health_monitor, of het pad van een JSON-codeboek",
            "en": "codebook: intervention, municipal_panel, youth_instrument, benchmark, djg11, "
            "djg6, health_monitor, or the path of a JSON codebook",
        },
        "lang": _LANG,
        "max": {
            "nl": "hoeveel meldingen tonen (standaard 50)",
            "en": "number of messages to print (default 50)",
        },
    },
    "template": {
        "codebook": {
            "nl": "codeboek: intervention, municipal_panel, youth_instrument, benchmark (of een JSON-pad)",
            "en": "codebook: intervention, municipal_panel, youth_instrument, benchmark (or a JSON path)",
        },
        "out": {
            "nl": "het Excel-bestand dat wordt gemaakt (eindigt op .xlsx)",
            "en": "the Excel file to write (ends in .xlsx)",
        },
        "lang": {
            "nl": "taal van koppen en keuzelijsten: nl (standaard) of en",
            "en": "language of headers and drop-down lists: nl (default) or en",
        },
        "items": {
            "nl": "versie van de vragenlijst, bijvoorbeeld djg11 of djg6 bij intervention",
            "en": "item version, e.g. djg11 or djg6 for intervention",
        },
        "force": {"nl": "overschrijf een bestaand bestand", "en": "overwrite an existing file"},
    },
    "codebook": {
        "names": {
            "nl": "namen of JSON-paden van codeboeken (standaard: alle codeboeken)",
            "en": "codebook names or JSON paths (default: every codebook)",
        },
        "out": {
            "nl": "map voor de pagina's (standaard: ./codebooks)",
            "en": "output folder (default: ./codebooks)",
        },
        "format": {"nl": "md (Markdown, standaard) of html", "en": "md (Markdown, default) or html"},
        "lang": {
            "nl": "taal van de pagina's: nl, en of both (standaard: beide)",
            "en": "language of the pages: nl, en or both (default)",
        },
    },
    "demo": {
        "out": {"nl": "map voor de rapporten (standaard: reports)", "en": "output folder (default: reports)"},
        "workers": _WORKERS,
        "data": {
            "nl": "map voor de voorbeeldinvoer (standaard: voorbeelddata/ naast de uitvoermap)",
            "en": "folder for the example input files (default: voorbeelddata/ beside OUT)",
        },
        "all": {
            "nl": "een gegenereerde evaluatie voor alle 345 gemeenten",
            "en": "a generated evaluation for all 345 municipalities",
        },
        "rerun": _RERUN,
        "lang": {
            "nl": "taal van de rapporten: nl (standaard) of en",
            "en": "language of the reports: nl (default) or en",
        },
        "quiet": _QUIET,
    },
    "report": {
        "template": {
            "nl": "het rapportsjabloon (standaard: het coalitierapport)",
            "en": "the report template (default: the coalition report)",
        },
        "param": {
            "nl": "een parameter van het sjabloon met zijn waarde, getypeerd door het sjabloon "
            "(-p coalition_code GM0363; -p min_cell 15)",
            "en": "a template parameter and its value, typed by the template "
            "(-p coalition_code GM0363; -p min_cell 15)",
        },
        "raw_param": {
            "nl": "hetzelfde als -p (voor gelijkheid met evalkit batch -r)",
            "en": "the same as -p (kept for compatibility with evalkit batch -r)",
        },
        "notebook": {
            "nl": "voer het notebook-sjabloon uit met papermill in plaats van het "
            "coalitierapport in dit proces te maken",
            "en": "execute the notebook template with papermill instead of rendering the "
            "coalition report in this process",
        },
        "out": {"nl": "map voor het rapport (standaard: reports)", "en": "output folder (default: reports)"},
        "kernel_name": _KERNEL_NAME,
        "cwd": {
            "nl": "werkmap van de kernel (relatieve paden gelden vanaf hier)",
            "en": "working directory of the kernel (relative paths start here)",
        },
        "execution_timeout": _TIMEOUT,
    },
    "batch": {
        "coalitions": {
            "nl": "CSV- of Excel-bestand met één regel per coalitie, of een map met databestanden",
            "en": "CSV or Excel file with one row per coalition, or a folder of data files",
        },
        "template": {
            "nl": "het rapportsjabloon (standaard: het coalitierapport)",
            "en": "the report template (default: the coalition report)",
        },
        "out": {"nl": "map voor de rapporten (standaard: reports)", "en": "output folder (default: reports)"},
        "workers": _WORKERS,
        "scheduler": {
            "nl": "adres van een Dask-scheduler (tcp://host:8786) om op een cluster te rekenen",
            "en": "Dask scheduler address (tcp://host:8786) to run on a cluster",
        },
        "rerun": _RERUN,
        "kernel": {
            "nl": "warm (één kernel per proces, snel) of fresh (nieuwe kernel per rapport)",
            "en": "warm (one kernel per process, fast) or fresh (a new kernel per report)",
        },
        "kernel_name": _KERNEL_NAME,
        "execution_timeout": _TIMEOUT,
        "lang": {
            "nl": "taal van de rapporten: nl of en (standaard: zoals in het sjabloon)",
            "en": "language of the reports: nl or en (default: as in the template)",
        },
        "param": {
            "nl": "een parameter voor alle coalities, getypeerd door het sjabloon (-r min_cell 15)",
            "en": "a parameter shared by all coalitions, typed by the template (-r min_cell 15)",
        },
        "registry": {
            "nl": "database (bijvoorbeeld die van het portaal) waarvan het resultatenregister de "
            "kerngetallen van elk gecontroleerd rapport vastlegt",
            "en": "database (e.g. the portal's) whose results registry records the key numbers "
            "of every audited report",
        },
        "typed_param": {
            "nl": "hetzelfde als -r (zoals bij evalkit report)",
            "en": "the same as -r (as in evalkit report)",
        },
        "renderer": {
            "nl": "auto (coalitierapporten in dit proces), inprocess of notebook (via papermill)",
            "en": "auto (coalition reports in this process), inprocess or notebook (through papermill)",
        },
        "quiet": _QUIET,
    },
    "audit": {
        "directory": {
            "nl": "de map met rapportpagina's (zoals gemaakt door evalkit batch of report)",
            "en": "the folder of report pages (as written by evalkit batch or report)",
        },
    },
    "serve": {
        "hosted": {"nl": "server met accounts en rollen", "en": "server with accounts and roles"},
        "database": {
            "nl": "database-URL (sqlite:///BESTAND of postgresql://GEBRUIKER@HOST/DB)",
            "en": "database URL (sqlite:///FILE or postgresql://USER@HOST/DB)",
        },
        "host": {
            "nl": "adres om op te luisteren (standaard 127.0.0.1)",
            "en": "address to listen on (default 127.0.0.1)",
        },
        "port": {"nl": "poort (standaard 8765)", "en": "port (default 8765)"},
        "workers": {
            "nl": "aantal processen dat rapporten maakt (standaard 1)",
            "en": "report render workers (default 1)",
        },
        "max_upload_mb": {
            "nl": "grootste toegestane bestand in MB (standaard 20)",
            "en": "largest accepted file in MB (default 20)",
        },
        "retention_days": {
            "nl": "dagen dat een geüpload bestand bewaard blijft (standaard 90)",
            "en": "days an uploaded file is kept (default 90)",
        },
        "no_browser": {"nl": "open geen browser", "en": "do not open a browser"},
    },
    "store": {
        "action": {
            "nl": "key (nieuwe sleutel), upgrade (tabellen bijwerken) of purge (oude uploads verwijderen)",
            "en": "key (new key), upgrade (migrate the schema) or purge (delete old uploads)",
        },
        "database": {
            "nl": "database-URL: sqlite:///PAD of postgresql://GEBRUIKER@HOST/DB (standaard: "
            "EVALKIT_DATABASE_URL of de ingebouwde database)",
            "en": "database URL: sqlite:///PATH or postgresql://USER@HOST/DB (default: "
            "EVALKIT_DATABASE_URL or the embedded database)",
        },
        "retention_days": {
            "nl": "purge: verwijder ook uploads ouder dan N dagen",
            "en": "purge: also delete uploads older than N days",
        },
    },
    "users": {
        "action": {
            "nl": "add (toevoegen), remove (verwijderen) of list (tonen)",
            "en": "add, remove or list",
        },
        "name": {"nl": "gebruikersnaam", "en": "user name"},
        "role": {
            "nl": "rol: coalition, programme, committee of admin",
            "en": "role: coalition, programme, committee or admin",
        },
        "codes": {
            "nl": "gemeentecodes van een coalitiegebruiker (GM0363 ...)",
            "en": "municipality codes of a coalition user (GM0363 ...)",
        },
        "database": {
            "nl": "database-URL (standaard: zoals evalkit serve)",
            "en": "database URL (default: as evalkit serve)",
        },
        "password_stdin": {
            "nl": "lees het wachtwoord van standaardinvoer (voor scripts)",
            "en": "read the password from standard input (for scripts)",
        },
    },
}

#: The command line's own words.
UI: dict[str, dict[str, str]] = {
    "nl": {
        "usage": "gebruik: ",
        "positionals": "argumenten",
        "options": "opties",
        "help": "toon deze hulp en stop",
        "version": "toon het versienummer en stop",
        "commands": "opdrachten",
        "command": "OPDRACHT",
        "ui_lang": "taal van hulp en meldingen: nl (standaard) of en",
        "description": "evalkit: evalueren wat werkt tegen eenzaamheid. Kies een opdracht; "
        "'evalkit OPDRACHT --help' legt hem uit.",
        "more": "Meer uitleg: {prog} --help",
        "error": "fout",
        "interrupted": "afgebroken.",
        "not_int": "'{value}' is geen geheel getal.",
        "not_number": "'{value}' is geen getal.",
        "too_small": "{value} is te klein; geef een getal groter dan 0.",
        "did_you_mean": "Bedoelde u {cand}?",
    },
    "en": {
        "usage": "usage: ",
        "positionals": "arguments",
        "options": "options",
        "help": "show this help and exit",
        "version": "show the version number and exit",
        "commands": "commands",
        "command": "COMMAND",
        "ui_lang": "language of help and messages: nl (default) or en",
        "description": "evalkit: evaluate what works against loneliness. Choose a command; "
        "'evalkit COMMAND --help' explains it.",
        "more": "More help: {prog} --help",
        "error": "error",
        "interrupted": "interrupted.",
        "not_int": "'{value}' is not a whole number.",
        "not_number": "'{value}' is not a number.",
        "too_small": "{value} is too small; give a number greater than 0.",
        "did_you_mean": "Did you mean {cand}?",
    },
}

# argparse's own messages (Python 3.11-3.13) in Dutch
_ARGPARSE_NL: list[tuple[str, str]] = [
    (r"^the following arguments are required: (.*)$", r"deze argumenten ontbreken (verplicht): \1"),
    (r"^one of the arguments (.*) is required$", r"een van deze argumenten is verplicht: \1"),
    (r"^unrecognized arguments: (.*)$", r"onbekende argumenten: \1"),
    (r"^ambiguous option: (\S+) could match (.*)$", r"optie \1 is niet eenduidig; bedoelt u \2?"),
    (
        r"^argument (?:OPDRACHT|COMMAND): invalid choice: (.+?) \(choose from (.*)\)$",
        r"onbekende opdracht \1 (kies uit \2).",
    ),
    (
        r"^argument (.+?): invalid choice: (.+?) \(choose from (.*)\)$",
        r"\1: ongeldige keuze \2 (kies uit \3).",
    ),
    (r"^argument (.+?): invalid int value: (.*)$", r"\1: \2 is geen geheel getal."),
    (r"^argument (.+?): invalid float value: (.*)$", r"\1: \2 is geen getal."),
    (r"^argument (.+?): invalid (\w+) value: (.*)$", r"\1: \3 is geen geldige waarde."),
    (r"^argument (.+?): expected one argument$", r"\1: hier hoort één waarde achter."),
    (r"^argument (.+?): expected at most one argument$", r"\1: hier hoort hoogstens één waarde achter."),
    (r"^argument (.+?): expected at least one argument$", r"\1: hier hoort minstens één waarde achter."),
    (r"^argument (.+?): expected (\d+) arguments?$", r"\1: hier horen \2 waarden achter."),
    (r"^argument (.+?): not allowed with argument (.*)$", r"\1 mag niet samen met \2."),
    (r"^argument (.+?): ignored explicit argument (.*)$", r"\1: de waarde \2 hoort hier niet."),
    (r"^argument (.+?): (.*)$", r"\1: \2"),
]
_ARGPARSE_EN: list[tuple[str, str]] = [
    (
        r"^argument (?:OPDRACHT|COMMAND): invalid choice: (.+?) \(choose from (.*)\)$",
        r"unknown command \1 (choose from \2).",
    ),
    (r"^argument (.+?): (.*)$", r"\1: \2"),
]


def did_you_mean(value: str, candidates, lang: str = "nl") -> str:
    """``" Bedoelde u 'intervention'?"`` for the closest candidate, or ``""``."""
    close = difflib.get_close_matches(str(value), [str(c) for c in candidates], n=1, cutoff=0.6)
    return (" " + UI[lang]["did_you_mean"].format(cand=f"'{close[0]}'")) if close else ""


def translate_argparse(message: str, lang: str = "nl") -> str:
    """argparse's English error message in ``lang``, with a suggestion for a wrong choice."""
    hint = ""
    m = re.match(r"^argument .+?: invalid choice: '([^']*)' \(choose from (.*)\)$", message)
    if m:
        choices = re.findall(r"'([^']*)'", m.group(2))
        hint = did_you_mean(m.group(1), choices, lang)
    for pattern, repl in _ARGPARSE_NL if lang == "nl" else _ARGPARSE_EN:
        if re.match(pattern, message):
            return re.sub(pattern, repl, message) + hint
    return message + hint
