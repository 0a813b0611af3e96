"""The low-credit alert in Dataverse (connector.repositories.low_credit_alerts).

Told: one in-app notification (`appnotification`, POST /appnotifications, `ownerid` the recipient:
Dataverse notifies users one by one, never a team) per user holding the *System Administrator* role
(`roles` by name, then `roles(id)/systemuserroles_association`), a warning icon, shown as a toast.
Remembered: a note on the configuration row (subject `ALERT_SUBJECT`), where the admins also read it on
the configuration page; deleted when the credit is back above the threshold. A note rather than a column:
no schema change, and its creation time says since when the credit has been low.
"""
from __future__ import annotations

from connector.crm.odata import odata_literal
from connector.crm.port import Crm

ALERT_SUBJECT = "Crédit SMS bas / Low SMS credit"
NOTE_SET, NOTIFICATION_SET = "annotations", "appnotifications"
SYSTEM_ADMINISTRATOR = "System Administrator"
ICON_WARNING = 100000003          # appnotification.icontype: Info 100000000 … Warning 100000003
TOAST_TIMED = 200000000           # appnotification.toasttype: Timed (shown, then in the notification centre)
NOTIFICATION_SECONDS = 7 * 24 * 3600


class DataverseLowCreditAlerts:
    def __init__(self, crm: Crm):
        self.crm = crm
        self._configuration_id: str | None = None

    def _configuration(self) -> str | None:
        if self._configuration_id is None:
            row = next(iter(self.crm.retrieve_multiple("smsc_configurations", select=["smsc_configurationid"],
                                                       orderby="createdon asc", top=1)), None)
            self._configuration_id = row["smsc_configurationid"] if row else None
        return self._configuration_id

    def _notes(self) -> list[str]:
        configuration = self._configuration()
        if configuration is None:
            return []
        notes = self.crm.retrieve_multiple(NOTE_SET, select=["annotationid"], filter=(
            f"_objectid_value eq {configuration} and subject eq {odata_literal(ALERT_SUBJECT)}"))
        return [note["annotationid"] for note in notes]

    def standing(self) -> bool:
        return bool(self._notes())

    def remember(self, text: str) -> None:
        configuration = self._configuration()
        if configuration is not None:
            self.crm.create_note("smsc_configuration", configuration, subject=ALERT_SUBJECT, text=text)

    def forget(self) -> None:
        for note_id in self._notes():
            self.crm.delete(NOTE_SET, note_id)

    def admins(self) -> list[str]:
        users: list[str] = []
        roles = self.crm.retrieve_multiple("roles", select=["roleid"],
                                           filter=f"name eq {odata_literal(SYSTEM_ADMINISTRATOR)}")
        for role in roles:      # one System Administrator role per business unit
            for user in self.crm.related("roles", role["roleid"], "systemuserroles_association",
                                         select=["systemuserid", "isdisabled"]):
                if not user.get("isdisabled") and user["systemuserid"] not in users:
                    users.append(user["systemuserid"])
        return users

    def notify(self, user_id: str, title: str, body: str) -> None:
        self.crm.create(NOTIFICATION_SET, {"title": title, "body": body, "icontype": ICON_WARNING,
                                           "toasttype": TOAST_TIMED, "ttlinseconds": NOTIFICATION_SECONDS,
                                           "ownerid@odata.bind": f"/systemusers({user_id})"})
