"""Every text of the portal, Dutch and English, picked through :func:`evalkit.core.i18n.t`.

Pages call ``_("key", **values)`` (a Jinja global bound to the visitor's language); Python
code calls :func:`tr`. A test checks that every key has both languages and that every key
used in the templates exists.
"""

from __future__ import annotations

from evalkit.core.i18n import t

__all__ = ["MESSAGES", "tr"]

MESSAGES: dict[str, dict[str, str]] = {
    # frame
    "app_title": {
        "nl": "evalkit: portaal voor lokale coalities",
        "en": "evalkit: portal for local coalitions",
    },
    "skip": {"nl": "Naar de inhoud", "en": "Skip to content"},
    "nav_home": {"nl": "Start", "en": "Home"},
    "nav_upload": {"nl": "Bestand aanleveren", "en": "Upload a file"},
    "nav_history": {"nl": "Geschiedenis", "en": "History"},
    "nav_reports": {"nl": "Rapporten", "en": "Reports"},
    "nav_overview": {"nl": "Overzicht", "en": "Overview"},
    "nav_results": {"nl": "Resultaten", "en": "Results"},
    "nav_audit": {"nl": "Logboek", "en": "Audit log"},
    "nav_users": {"nl": "Accounts", "en": "Accounts"},
    "nav_logout": {"nl": "Uitloggen", "en": "Log out"},
    "lang_switch": {"nl": "English", "en": "Nederlands"},
    "local_mode": {
        "nl": "Lokaal: uw gegevens blijven op deze computer.",
        "en": "Local: your data stay on this computer.",
    },
    "signed_in_as": {"nl": "Ingelogd als {name} ({role})", "en": "Signed in as {name} ({role})"},
    "role_coalition": {"nl": "coalitie", "en": "coalition"},
    "role_programme": {"nl": "programmateam", "en": "programme team"},
    "role_committee": {"nl": "adviescommissie", "en": "advisory committee"},
    "role_admin": {"nl": "beheerder", "en": "administrator"},
    "role_local": {"nl": "lokaal", "en": "local"},
    # login
    "login_title": {"nl": "Inloggen", "en": "Log in"},
    "login_user": {"nl": "Gebruikersnaam", "en": "User name"},
    "login_password": {"nl": "Wachtwoord", "en": "Password"},
    "login_button": {"nl": "Inloggen", "en": "Log in"},
    "login_failed": {
        "nl": "Gebruikersnaam of wachtwoord klopt niet.",
        "en": "User name or password is not correct.",
    },
    "login_throttled": {
        "nl": "Te veel mislukte pogingen. Probeer het over een kwartier opnieuw.",
        "en": "Too many failed attempts. Try again in a quarter of an hour.",
    },
    # home
    "home_title": {"nl": "Welkom", "en": "Welcome"},
    "home_steps": {"nl": "Zo komt u aan uw rapport:", "en": "How to get your report:"},
    "step_template": {
        "nl": "Download het Excel-sjabloon en vul per deelnemer en meting één regel in.",
        "en": "Download the Excel template and fill in one row per participant and measurement.",
    },
    "step_upload": {
        "nl": "Lever het ingevulde bestand aan (xlsx, csv of sav).",
        "en": "Upload the filled-in file (xlsx, csv or sav).",
    },
    "step_fix": {
        "nl": "Staan er fouten in, dan ziet u per fout de rij en kolom zoals Excel ze toont, en hoe u ze herstelt. Lever daarna opnieuw aan.",
        "en": "If there are mistakes, you see each one at the row and column Excel shows, and how to fix it. Then upload again.",
    },
    "step_report": {
        "nl": "Is het bestand in orde, dan maakt het portaal uw rapport. U kunt het bekijken en downloaden.",
        "en": "When the file is fine, the portal makes your report. You can view and download it.",
    },
    "download_template": {"nl": "Excel-sjabloon downloaden", "en": "Download the Excel template"},
    "your_codes": {"nl": "Uw gemeenten", "en": "Your municipalities"},
    "committee_home": {
        "nl": "U ziet de geaggregeerde resultaten van alle coalities en jaren, nooit gegevens van deelnemers.",
        "en": "You see the aggregated results of every coalition and year, never participants' data.",
    },
    "admin_home": {"nl": "U beheert de accounts van het portaal.", "en": "You manage the portal's accounts."},
    "programme_home": {
        "nl": "U ziet de rapporten van alle coalities en kunt de batch draaien over de laatste geldige bestanden.",
        "en": "You see every coalition's reports and can run the batch over the latest valid files.",
    },
    # upload
    "upload_title": {"nl": "Bestand aanleveren", "en": "Upload a file"},
    "upload_code": {"nl": "Gemeente", "en": "Municipality"},
    "upload_file": {
        "nl": "Bestand (xlsx, csv of sav, hoogstens {mb} MB)",
        "en": "File (xlsx, csv or sav, at most {mb} MB)",
    },
    "upload_button": {"nl": "Controleren", "en": "Check"},
    "upload_privacy": {
        "nl": "Het bestand bevat persoonsgegevens. Het wordt versleuteld bewaard en na {days} dagen verwijderd; u kunt het eerder laten verwijderen.",
        "en": "The file holds personal data. It is stored encrypted and deleted after {days} days; you can have it deleted sooner.",
    },
    "upload_no_file": {"nl": "Kies eerst een bestand.", "en": "Choose a file first."},
    "upload_bad_code": {
        "nl": "U kunt alleen aanleveren voor uw eigen gemeente(n).",
        "en": "You can only upload for your own municipality or municipalities.",
    },
    "upload_too_large": {
        "nl": "Het bestand is groter dan {mb} MB.",
        "en": "The file is larger than {mb} MB.",
    },
    "upload_empty": {"nl": "Het bestand is leeg.", "en": "The file is empty."},
    "upload_macro": {
        "nl": "Werkmappen met macro's (.xlsm) worden niet aangenomen. Sla het bestand in Excel op als 'Excel-werkmap (.xlsx)'.",
        "en": "Workbooks with macros (.xlsm) are not accepted. Save the file in Excel as 'Excel Workbook (.xlsx)'.",
    },
    "upload_zip_bomb": {
        "nl": "Dit Excel-bestand pakt uit tot een onredelijk grote omvang en wordt niet geopend.",
        "en": "This Excel file unpacks to an unreasonable size and is not opened.",
    },
    "upload_bad_xlsx": {
        "nl": "Dit lijkt een zip-bestand, maar het is geen Excel-werkmap (.xlsx).",
        "en": "This looks like a zip file, but it is not an Excel workbook (.xlsx).",
    },
    "upload_xls": {
        "nl": "Oude Excel-bestanden (.xls) worden niet gelezen. Sla het bestand op als .xlsx of .csv.",
        "en": "Old Excel files (.xls) are not read. Save the file as .xlsx or .csv.",
    },
    "upload_unknown_type": {
        "nl": "Dit is geen xlsx-, csv- of sav-bestand.",
        "en": "This is not an xlsx, csv or sav file.",
    },
    "upload_unreadable": {"nl": "Het bestand kon niet worden gelezen.", "en": "The file could not be read."},
    # submission
    "sub_title": {"nl": "Controle van {name}", "en": "Check of {name}"},
    "sub_ok": {
        "nl": "Het bestand is in orde: {rows} regels, geen fouten.",
        "en": "The file is fine: {rows} rows, no errors.",
    },
    "sub_errors": {
        "nl": "Het bestand heeft {n} fout(en). Herstel ze in uw bestand en lever het opnieuw aan.",
        "en": "The file has {n} error(s). Fix them in your file and upload it again.",
    },
    "sub_more": {
        "nl": "Er zijn nog {n} fouten meer; herstel eerst deze.",
        "en": "There are {n} more errors; fix these first.",
    },
    "sub_deleted": {"nl": "Dit bestand is verwijderd.", "en": "This file has been deleted."},
    "col_row": {"nl": "Rij", "en": "Row"},
    "col_column": {"nl": "Kolom", "en": "Column"},
    "col_value": {"nl": "Waarde", "en": "Value"},
    "col_rule": {"nl": "Regel", "en": "Rule"},
    "col_fix": {"nl": "Zo herstelt u het", "en": "How to fix it"},
    "whole_file": {"nl": "hele bestand", "en": "whole file"},
    "errors_csv": {"nl": "Fouten als CSV downloaden", "en": "Download the errors as CSV"},
    "upload_again": {"nl": "Opnieuw aanleveren", "en": "Upload again"},
    "delete_file": {"nl": "Bestand nu verwijderen", "en": "Delete the file now"},
    "deleted_done": {"nl": "Het bestand is verwijderd.", "en": "The file has been deleted."},
    "status_valid": {"nl": "in orde", "en": "valid"},
    "status_invalid": {"nl": "fouten", "en": "errors"},
    "status_received": {"nl": "ontvangen", "en": "received"},
    "status_deleted": {"nl": "verwijderd", "en": "deleted"},
    # history / reports
    "history_title": {"nl": "Aangeleverde bestanden", "en": "Uploaded files"},
    "reports_title": {"nl": "Rapporten", "en": "Reports"},
    "h_date": {"nl": "Datum", "en": "Date"},
    "h_code": {"nl": "Gemeente", "en": "Municipality"},
    "h_file": {"nl": "Bestand", "en": "File"},
    "h_status": {"nl": "Status", "en": "Status"},
    "h_by": {"nl": "Door", "en": "By"},
    "h_report": {"nl": "Rapport", "en": "Report"},
    "h_action": {"nl": "Actie", "en": "Action"},
    "h_object": {"nl": "Object", "en": "Object"},
    "none_yet": {"nl": "Nog niets.", "en": "Nothing yet."},
    "open": {"nl": "openen", "en": "open"},
    "view_report": {"nl": "Rapport bekijken", "en": "View the report"},
    "download_report": {"nl": "Rapport downloaden (HTML)", "en": "Download the report (HTML)"},
    "report_title": {"nl": "Rapport {title}", "en": "Report {title}"},
    # jobs
    "job_title": {"nl": "Rapport wordt gemaakt", "en": "Report being made"},
    "job_queued": {
        "nl": "In de wachtrij. Deze pagina ververst zichzelf.",
        "en": "Queued. This page refreshes itself.",
    },
    "job_running": {
        "nl": "Het rapport wordt gemaakt. Deze pagina ververst zichzelf.",
        "en": "The report is being made. This page refreshes itself.",
    },
    "job_done": {"nl": "Het rapport is klaar.", "en": "The report is ready."},
    "job_failed": {"nl": "Het rapport kon niet worden gemaakt.", "en": "The report could not be made."},
    "job_failed_render": {
        "nl": "Er ging iets mis bij het maken van het rapport. Er is geen (half) rapport opgeslagen. Probeer het later opnieuw of neem contact op met het programmateam.",
        "en": "Something went wrong while making the report. No (partial) report was stored. Try again later or contact the programme team.",
    },
    "job_failed_killed": {
        "nl": "Het maken van het rapport is afgebroken. Er is geen (half) rapport opgeslagen. Probeer het opnieuw.",
        "en": "Making the report was stopped. No (partial) report was stored. Try again.",
    },
    "job_failed_timeout": {
        "nl": "Het maken van het rapport duurde te lang en is gestopt. Er is geen (half) rapport opgeslagen.",
        "en": "Making the report took too long and was stopped. No (partial) report was stored.",
    },
    "job_failed_validation": {
        "nl": "Het bestand voldoet niet aan de regels; bekijk de fouten bij het bestand.",
        "en": "The file does not meet the rules; see the errors with the file.",
    },
    "job_failed_analysis": {
        "nl": "De analyse van dit bestand lukte niet. Er is geen rapport opgeslagen.",
        "en": "The analysis of this file did not succeed. No report was stored.",
    },
    "job_failed_disclosure": {
        "nl": "Het rapport haalde de privacycontrole niet en is niet opgeslagen.",
        "en": "The report failed the privacy check and was not stored.",
    },
    # overview / batch
    "overview_title": {"nl": "Overzicht van alle coalities", "en": "Overview of all coalitions"},
    "overview_latest": {"nl": "Laatste geldige bestand", "en": "Latest valid file"},
    "overview_job": {"nl": "Laatste opdracht", "en": "Latest job"},
    "overview_change": {"nl": "Verandering DJG-11 (95%-BI)", "en": "Change DJG-11 (95% CI)"},
    "overview_note": {
        "nl": "Verandering: gemiddelde verandering van de eenzaamheidsscore (0-11) tussen voor- en nameting, zoals het gecontroleerde rapport hem toont; n = deelnemers met beide metingen. Geen ranglijst: vergelijk coalities met de trechterplot in de rapporten.",
        "en": "Change: mean change of the loneliness score (0-11) between pre- and post-test, as the audited report shows it; n = participants with both measurements. Not a league table: compare coalitions with the funnel plot in the reports.",
    },
    "job_done_short": {"nl": "klaar", "en": "done"},
    "job_failed_short": {"nl": "mislukt", "en": "failed"},
    "overview_report": {"nl": "Laatste rapport", "en": "Latest report"},
    "batch_button": {
        "nl": "Batch draaien over de laatste geldige bestanden",
        "en": "Run the batch over the latest valid files",
    },
    "batch_started": {"nl": "{n} rapport(en) in de wachtrij gezet.", "en": "{n} report(s) queued."},
    # results (committee)
    "results_title": {
        "nl": "Resultaten van alle coalities en jaren",
        "en": "Results of every coalition and year",
    },
    "results_note": {
        "nl": "Alleen geaggregeerde, op privacy gecontroleerde uitkomsten; nooit gegevens van deelnemers.",
        "en": "Only aggregated, privacy-checked results; never participants' data.",
    },
    "results_csv": {"nl": "Als CSV downloaden", "en": "Download as CSV"},
    # audit
    "audit_title": {"nl": "Logboek", "en": "Audit log"},
    "audit_entry": {"nl": "Logboekregel {id}", "en": "Audit entry {id}"},
    # users
    "users_title": {"nl": "Accounts", "en": "Accounts"},
    "users_add": {"nl": "Account toevoegen", "en": "Add an account"},
    "users_role": {"nl": "Rol", "en": "Role"},
    "users_codes": {
        "nl": "Gemeentecodes (bijv. GM0363 GM0599)",
        "en": "Municipality codes (e.g. GM0363 GM0599)",
    },
    "users_remove": {"nl": "Verwijderen", "en": "Remove"},
    "users_added": {"nl": "Account {name} toegevoegd.", "en": "Account {name} added."},
    "users_removed": {"nl": "Account {name} verwijderd.", "en": "Account {name} removed."},
    "users_bad": {
        "nl": "Het account kon niet worden toegevoegd: {reason}",
        "en": "The account could not be added: {reason}",
    },
    # errors
    "forbidden_title": {"nl": "Geen toegang", "en": "No access"},
    "forbidden": {"nl": "U heeft geen toegang tot deze pagina.", "en": "You have no access to this page."},
    "notfound_title": {"nl": "Niet gevonden", "en": "Not found"},
    "notfound": {
        "nl": "Deze pagina bestaat niet (of niet voor u).",
        "en": "This page does not exist (or not for you).",
    },
    "csrf_failed": {
        "nl": "Het formulier is verlopen of kwam niet van dit portaal. Laad de pagina opnieuw en probeer het nog eens.",
        "en": "The form expired or did not come from this portal. Reload the page and try again.",
    },
    "back_home": {"nl": "Terug naar start", "en": "Back to the start"},
}


def tr(key: str, lang: str = "nl", **values: object) -> str:
    """The text ``key`` in ``lang`` (``KeyError`` for an unknown key: a bug, not input)."""
    return t(MESSAGES[key], lang, **values)
