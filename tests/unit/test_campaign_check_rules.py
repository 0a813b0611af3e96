"""The campaign checks apply the shared send policy, in the words of the guide's simulation report."""
import pytest

from connector.campaigns.checks import CampaignChecker, NumberLedger
from connector.repositories.campaign_recipients import Candidate
from connector.configuration import Configuration
from connector.sms.port import SmsType

STOP = "STOP au 30101"


def verdict(text: str, mobile: str | None = "06 49 81 90 06", *, sms_type=SmsType.TRANSACTIONAL, sender=None,
            config: Configuration | None = None, no_primary_contact=False, ledger: NumberLedger | None = None):
    checker = CampaignChecker(None, None, text, config or Configuration(), sms_type, sender,  # type: ignore[arg-type]
                              ledger or NumberLedger(), {})
    return checker.check(Candidate("contact", "c-1", "David Smith", mobile, {}, "Liste",
                                   no_primary_contact=no_primary_contact))


@pytest.mark.parametrize("text, mobile, sms_type, sender, detail", [
    ("Bonjour", None, SmsType.TRANSACTIONAL, None, "Aucun numéro de mobile."),
    ("Bonjour", "  ", SmsType.TRANSACTIONAL, None, "Aucun numéro de mobile."),
    ("Bonjour", " 06 49 ", SmsType.TRANSACTIONAL, None,
     "Le numéro doit être au format international (+XXXXXX ou 00XXXXX) : 06 49."),
    ("   ", "0649819006", SmsType.TRANSACTIONAL, None, "Le message est vide."),
    ("x" * 490, "0649819006", SmsType.TRANSACTIONAL, None, "Le message dépasse 489 caractères (490)."),
    ("Promo", "0649819006", SmsType.MARKETING, None, "La mention 'STOP au 30101' doit être présente."),
    # Another short number is not the configured mention (Octopush would refuse it with code 121).
    ("Promo STOP au 36180", "0649819006", SmsType.MARKETING, None,
     "La mention 'STOP au 30101' doit être présente."),
    ("Promo", "0692123456", SmsType.MARKETING, None, "La mention 'STOP au 30101' doit être présente."),
    ("Bonjour", "0649819006", SmsType.TRANSACTIONAL, "AB",
     "Émetteur invalide : Sender 'AB' has 2 characters: 3 to 11 allowed"),
])
def test_each_problem_keeps_the_reports_detail(text, mobile, sms_type, sender, detail):
    found = verdict(text, mobile, sms_type=sms_type, sender=sender)
    assert (found.ok, found.detail) == (False, detail)


def test_a_valid_recipient_gets_its_e164_number_and_the_exact_text():
    found = verdict("  Bonjour  ")
    assert (found.ok, found.detail, found.number, found.text) == (True, "", "+33649819006", "Bonjour")


def test_the_limit_is_the_campaigns_489_characters():
    assert verdict("x" * 489).ok


def test_the_stop_mention_is_appended_when_configured():
    found = verdict("Promo", sms_type=SmsType.MARKETING, config=Configuration(append_stop=True))
    assert found.ok and found.text == f"Promo\n{STOP}"


def test_the_number_problem_comes_before_the_text_problem():
    assert verdict("", None).detail == "Aucun numéro de mobile."
    assert verdict("", no_primary_contact=True).detail == "Le compte n'a pas de contact principal."


def test_an_opted_out_or_repeated_number_is_reported():
    ledger = NumberLedger()
    ledger.db.execute("INSERT INTO optout VALUES ('+33611111111')")
    assert verdict("Bonjour", "0611111111", ledger=ledger).detail == "Le destinataire s'est désinscrit (STOP)."
    assert verdict("Bonjour", ledger=ledger).ok
    repeated = verdict("Bonjour", "+33 6 49 81 90 06", ledger=ledger)
    assert repeated.detail == "Doublon : ce numéro reçoit déjà le SMS."


def test_a_chunk_looks_up_opt_outs_and_repeats_once_with_the_verdicts_of_one_by_one():
    mobiles = ["0611111111", "0649819006", "+33 6 49 81 90 06", "bad", "0649819006", "0622222222",
               "0611111111", "0622222222"]
    candidates = [Candidate("contact", f"c-{n}", "X", mobile, {}, "Liste") for n, mobile in enumerate(mobiles)]

    def checker(ledger):
        ledger.db.execute("INSERT INTO optout VALUES ('+33611111111')")
        ledger.mark_seen(["+33622222222"])                       # taken by an earlier chunk
        return CampaignChecker(None, None, "Bonjour", Configuration(), SmsType.TRANSACTIONAL,  # type: ignore[arg-type]
                               None, ledger, {})

    one_by_one = checker(NumberLedger())
    expected = [one_by_one.check(c) for c in candidates]
    statements: list[str] = []
    ledger = NumberLedger()
    chunked = checker(ledger)
    ledger.db.set_trace_callback(statements.append)
    assert chunked.check_chunk(candidates) == expected
    assert [v.ok for v in expected] == [False, True, False, False, False, False, False, False]
    assert sum(s.startswith("SELECT") for s in statements) == 2     # opt-outs and numbers taken: per chunk


def test_consent_refusal_and_consent_columns():
    from connector.consent import consent_missing

    assert consent_missing({"donotphone": True}, "donotphone") and not consent_missing({"donotphone": False}, "donotphone")
    assert not consent_missing({}, "donotphone")                      # a refusal column left empty refuses nothing
    assert consent_missing({}, "new_smsoptin") and consent_missing({"new_smsoptin": False}, "new_smsoptin")
    assert not consent_missing({"new_smsoptin": True}, "new_smsoptin") and not consent_missing({}, None)


def test_only_marketing_sms_need_consent():
    config = Configuration(consent_column="new_smsoptin")
    assert verdict(f"Promo {STOP}", sms_type=SmsType.MARKETING, config=config).detail == \
        "Le destinataire n'a pas accepté les SMS marketing (colonne new_smsoptin)."
    assert verdict("Votre commande", config=config).ok


def test_with_the_cheaper_text_option_the_report_shows_the_text_really_sent():
    found = verdict("Votre commande n° 123 est prête ’", config=Configuration(cheaper_text=True))
    assert (found.ok, found.text, found.provider_text) == (True, "Votre commande no 123 est prete '", None)


def test_the_length_budget_of_the_configuration_is_checked_at_simulation():
    found = verdict("x" * 150, config=Configuration(max_text_length=149))
    assert found.detail == "Le message dépasse 149 caractères (150)."


def test_what_the_provider_cannot_carry_is_refused_at_the_checks_in_french_like_every_report_detail():
    from connector.campaigns.checks import ProviderRules
    from connector.sms import acs

    def checked(sms_type, mobile):
        rules = ProviderRules(acs.capabilities(), "Azure Communication Services")
        checker = CampaignChecker(None, None, f"Soldes {STOP}", Configuration(), sms_type,  # type: ignore[arg-type]
                                  "ShopA", NumberLedger(), {}, rules)
        return checker.check(Candidate("contact", "c-1", "David Smith", mobile, {}, "Liste"))

    refused = checked(SmsType.MARKETING, "0649819006")
    assert (refused.ok, refused.detail) == (False, (
        "Azure Communication Services n'envoie pas de SMS marketing vers un numéro français avec un émetteur "
        "alphanumérique (« ShopA ») : choisissez le type transactionnel si le message n'est pas commercial, "
        "ou un émetteur numérique."))
    assert checked(SmsType.MARKETING, "+447400123456").ok          # not French
    assert checked(SmsType.TRANSACTIONAL, "0649819006").ok
