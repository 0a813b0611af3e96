"""The per-recipient checks of a campaign (product guide, "Simulation de la campagne"), after merge:
text not empty and within 489 characters, a valid mobile number, the STOP mention for marketing SMS
to French numbers, the sender, opt-out, and each number once; what the provider cannot carry (its
capabilities: ACS sends no marketing SMS to France from an alphanumeric sender), so the marketer reads it
before validating, release leaving such numbers out only as a last safety; and, at validate, the opt-outs
that came after the preparation (`LateOptOuts`)."""
from __future__ import annotations

import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from connector.campaigns.personalize import provider_merge
from connector.configuration import Configuration
from connector.consent import consent_missing
from connector.repositories.campaign_recipients import CampaignRecipients, Candidate
from connector.send_policy import (CAMPAIGN_MAX_LENGTH, SmsRejected, cheaper_form, check_sender, check_text,
                                   phone_number, stop_missing, text_budget, with_stop_mention)
from connector.sms.capabilities import Capabilities
from connector.sms.port import LONGEST_TEXT, SmsType
from connector.text.templates import MessageTemplate, TemplateError, record_context
from connector.user_texts import CAMPAIGN_REPORT_DETAILS as DETAIL
from connector.user_texts import say


@dataclass(frozen=True)
class Verdict:
    candidate: Candidate
    ok: bool
    detail: str
    number: str
    text: str
    provider_text: str | None = None          # the text with provider placeholders, when it applies
    slots: dict | None = None                 # this recipient's placeholder values


class NumberLedger:
    """Opted-out numbers and numbers already taken, in a private SQLite file: constant memory
    whatever the size of the campaign."""

    def __init__(self, optouts: Iterable[str] = ()):
        self.db = sqlite3.connect("")          # "" = a temporary on-disk database
        self.db.executescript("CREATE TABLE optout(number TEXT PRIMARY KEY);"
                              "CREATE TABLE seen(number TEXT PRIMARY KEY);")
        self.db.executemany("INSERT OR IGNORE INTO optout VALUES (?)", ((number,) for number in optouts))

    def opted_out(self, number: str) -> bool:
        return self.db.execute("SELECT 1 FROM optout WHERE number = ?", (number,)).fetchone() is not None

    def first_time(self, number: str) -> bool:
        return self.db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (number,)).rowcount == 1

    def opted_out_among(self, numbers: Iterable[str]) -> set[str]:
        """Which of `numbers` are opted out: one query per 500."""
        return self._among("optout", numbers)

    def seen_among(self, numbers: Iterable[str]) -> set[str]:
        return self._among("seen", numbers)

    def mark_seen(self, numbers: Iterable[str]) -> None:
        self.db.executemany("INSERT OR IGNORE INTO seen VALUES (?)", ((number,) for number in numbers))

    def _among(self, table: str, numbers: Iterable[str]) -> set[str]:
        wanted, found = list(dict.fromkeys(numbers)), set[str]()
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            found.update(row[0] for row in self.db.execute(
                f"SELECT number FROM {table} WHERE number IN ({','.join('?' * len(part))})", part))
        return found

    def close(self) -> None:
        self.db.close()


class LateOptOuts:
    """Validate reads the opt-out list again: a STOP that came after the preparation must still keep its
    number out (DESIGN §7). The numbers it left out are kept, to be reported."""

    def __init__(self, optouts: Iterable[str]):
        self.ledger = NumberLedger(optouts)
        self.left_out: list[str] = []

    def excludes(self, number: str) -> bool:
        if not self.ledger.opted_out(number):
            return False
        self.left_out.append(number)
        return True

    def close(self) -> None:
        self.ledger.close()


@dataclass(frozen=True)
class ProviderRules:
    """What the campaign's provider carries (its capabilities); its refusals are report details, French in
    every language like the others (connector.user_texts.CAMPAIGN_REPORT_DETAILS)."""
    capabilities: Capabilities
    label: str                 # the provider as users name it

    def refused(self, sms_type: SmsType, number: str, sender: str | None) -> str | None:
        refusal = self.capabilities.refusal(sms_type, number, sender)
        return None if refusal is None else say("fr", refusal.key, provider=self.label, **refusal.values)

    def check(self, sms_type: SmsType, sender: str | None) -> Callable[[str], str | None]:
        """`refused` for one campaign's SMS: number -> refusal. Without rules by country the answer is
        the same for every number: asked once."""
        if self.capabilities.by_country:
            return lambda number: self.refused(sms_type, number, sender)
        anywhere = self.refused(sms_type, "", sender)
        return lambda number: anywhere


class CampaignChecker:
    def __init__(self, records: CampaignRecipients, template: MessageTemplate | None, text: str,
                 config: Configuration, sms_type: SmsType, sender: str | None, ledger: NumberLedger, locale: dict,
                 provider: ProviderRules | None = None):
        self.records, self.template, self.text, self.config = records, template, text, config
        self.merge = provider_merge(text) if template else None
        self.sms_type, self.ledger, self.locale = sms_type, ledger, locale
        self.sender, self.provider = sender, provider
        self.sender_error = _sender_error(sender)
        self.provider_check = provider.check(sms_type, sender) if provider else None
        self._related: OrderedDict[tuple[str, str], dict] = OrderedDict()   # bounded lookup cache

    def check(self, candidate: Candidate) -> Verdict:
        return self.check_chunk([candidate])[0]

    def check_chunk(self, candidates: Sequence[Candidate]) -> list[Verdict]:
        """The verdicts of a chunk, in order: each recipient's own checks, then the opt-outs and the
        numbers already taken looked up once for the chunk (the first valid occurrence keeps its number)."""
        checked = [self._own_checks(candidate) for candidate in candidates]
        valid = [c[2] for c in checked if c[1] is None]
        opted = self.ledger.opted_out_among(valid) if self.config.exclude_optouts and valid else set()
        seen = self.ledger.seen_among(valid) if valid else set()
        taken: list[str] = []
        verdicts = []
        for candidate, problem, number, text, provider_text, slots in checked:
            if problem is None and number in opted:
                problem = DETAIL["opted_out"]
            elif problem is None and number in seen:
                problem = DETAIL["duplicate"]
            elif problem is None:
                seen.add(number)
                taken.append(number)
            verdicts.append(Verdict(candidate, problem is None, problem or "", number, text, provider_text, slots))
        self.ledger.mark_seen(taken)
        return verdicts

    def _own_checks(self, candidate: Candidate) -> tuple:
        """(candidate, problem, number, text, provider text, slots) before the opt-out and duplicate lookups."""
        try:
            context = self.context(candidate)
            text, values = self._text(context)
        except TemplateError as error:
            return candidate, DETAIL["template"].format(error=error), candidate.raw_mobile or "", "", None, None
        number, problem = self._number(candidate)
        provider_text, slots = self._provider_form(values, text)
        if problem is None:
            text = with_stop_mention(text, self.sms_type, number, self.config)
            provider_text = provider_text and with_stop_mention(provider_text, self.sms_type, number, self.config)
            found = cheaper_form(text, self.config)
            if found is not None and found.changed:     # the report shows the text really sent
                text, provider_text, slots = found.text, None, None
        problem = (problem or self._text_problem(text, number) or self.sender_error
                   or self._consent_problem(candidate) or self._provider_problem(number))
        return candidate, problem, number, text, provider_text, slots

    def _provider_problem(self, number: str) -> str | None:
        """The same rule release applies (connector.campaigns.release leaves such numbers out)."""
        return self.provider_check(number) if self.provider_check else None

    def _consent_problem(self, candidate: Candidate) -> str | None:
        column = self.config.consent_column
        if self.sms_type == SmsType.MARKETING and consent_missing(candidate.row, column):
            return DETAIL["no_consent"].format(column=column)
        return None

    def context(self, candidate: Candidate) -> dict:
        if self.template is None:
            return {}
        lookups = {name: self._lookup(candidate.row, name, columns)
                   for name, columns in self.template.fields.lookups.items()}
        return record_context(candidate.row, {k: v for k, v in lookups.items() if v})

    def _text(self, context: dict) -> tuple[str, dict[str, str] | None]:
        """The recipient's text, rendered once: from its placeholder values when the template has the
        provider's form (and those values, to be sent with it), else by the template itself."""
        if self.template is None:
            return self.text.strip(), None
        if self.merge is not None:
            try:
                values = self.merge.values(context, self.locale)
            except TemplateError:       # the whole template's render says it, with its line
                values = None
            if values is not None:
                text = self.merge.compose(values)
                if len(text) <= LONGEST_TEXT:
                    return text.strip(), values
        return self.template.render(context, **self.locale).strip(), None

    def _provider_form(self, values: dict[str, str] | None, text: str) -> tuple[str | None, dict | None]:
        """The provider placeholders and this recipient's values, if they rebuild `text` exactly."""
        if values is None or self.merge is None:
            return None, None
        if any("{" in value for value in values.values()) and self.merge.rebuild(values).strip() != text:
            return None, None           # without a "{" in a value the rebuild is the composed text
        return self.merge.text.strip(), values

    def _number(self, candidate: Candidate) -> tuple[str, str | None]:
        if candidate.no_primary_contact:
            return "", DETAIL["no_primary_contact"]
        try:
            return phone_number(candidate.raw_mobile, self.config), None
        except SmsRejected as refusal:
            return (candidate.raw_mobile or "").strip(), _detail(refusal)

    def _text_problem(self, text: str, number: str) -> str | None:
        try:
            check_text(text, text_budget(CAMPAIGN_MAX_LENGTH, self.config))
        except SmsRejected as refusal:
            return _detail(refusal)
        if stop_missing(text, self.sms_type, number, self.config):
            return DETAIL["stop_missing"].format(stop=self.config.stop_text)
        return None

    def _lookup(self, row: dict, name: str, columns) -> dict | None:
        key = self.records.lookup_target(row, name)
        if key is None:
            return None
        if key not in self._related:
            self._related[key] = self.records.related_record(*key, columns=sorted(columns))
            if len(self._related) > 2000:
                self._related.popitem(last=False)
        return self._related[key]


def _sender_error(sender: str | None) -> str | None:
    if not sender:
        return None
    try:
        check_sender(sender)
    except SmsRejected as refusal:
        return _detail(refusal)
    return None


def _detail(refusal: SmsRejected) -> str:
    """A refusal of the send policy in the words of the guide's simulation report."""
    return DETAIL["sender" if refusal.key == "bad_sender" else refusal.key].format(**refusal.values)
