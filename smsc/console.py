"""`smsc console`: the smsc web resources in a browser, without a Dynamics organisation.

One server on 127.0.0.1 serves
- the web resources as Dynamics does (`/WebResources/smsc_/...`, from solution/webresources),
- pages standing for the forms, the grid and the admin page, with a small `Xrm` stand-in
  (smsc/console_static/xrm_standin.js): the form's attributes are an in-page model of the record, saved
  through the Dataverse emulator's Web API; `Xrm.WebApi` goes to that Web API through a same-origin proxy
  (`/api/data/v9.2/...`, the token added here),
- the function app's routes (`/api/...`, smsc.serve.FunctionHost: queue outputs drained in-process;
  due queue messages and the timer functions run as under `smsc serve`).

What Dataverse's webhook steps would do after a save, the console does: a write that sets an SMS to
Send requested, or a campaign's `smsc_action`, is followed by the webhook body Dataverse would post
(emulators.webhook_bodies), handled by the real dispatch before the save is answered.
"""
from __future__ import annotations

import html
import json
import logging
import mimetypes
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import requests
from werkzeug.wrappers import Request, Response

import solution
from emulators import dataverse_seed as seed
from emulators.dataverse_seed_hooks import backdate
from emulators.stack import DATAVERSE_TOKEN, LocalStack
from emulators.webhook_bodies import option, remote_execution_context, webhook_headers
from smsc.serve import FunctionHost, run_due_messages

WEBRESOURCES = Path(solution.__file__).resolve().parent / "webresources"
STATIC = Path(__file__).resolve().parent / "console_static"
PUBLISHER_PREFIX = "smsc_/"
API = "/api/data/v9.2/"
ANNOTATIONS = 'odata.include-annotations="*"'
FORMATTED = "@OData.Community.Display.V1.FormattedValue"
LOGICAL_NAME = "@Microsoft.Dynamics.CRM.lookuplogicalname"
USER_COOKIE = "smsc_console_user"

# The tables the pages use: entity set, primary id, primary name (Xrm.WebApi takes logical names).
TABLES: dict[str, tuple[str, str, str]] = {
    "contact": ("contacts", "contactid", "fullname"), "lead": ("leads", "leadid", "fullname"),
    "account": ("accounts", "accountid", "name"), "campaign": ("campaigns", "campaignid", "name"),
    "smsc_textmessage": ("smsc_textmessages", "activityid", "subject"),
    "smsc_smstemplate": ("smsc_smstemplates", "smsc_smstemplateid", "smsc_name"),
    "smsc_workflow": ("smsc_workflows", "smsc_workflowid", "smsc_name"),
    "smsc_configuration": ("smsc_configurations", "smsc_configurationid", "smsc_name"),
    "annotation": ("annotations", "annotationid", "subject"), "systemuser": ("systemusers", "systemuserid", "fullname"),
    "salesorder": ("salesorders", "salesorderid", "name"), "incident": ("incidents", "incidentid", "title"),
    "list": ("lists", "listid", "listname"),
    "smsc_providerevent": ("smsc_providerevents", "smsc_providereventid", "smsc_name"),
    "environmentvariabledefinition": ("environmentvariabledefinitions", "environmentvariabledefinitionid",
                                      "schemaname"),
}
USERS = {"fr": (seed.CLAIRE_MARTIN_ID, "Claire Martin", 1036), "en": (seed.JOHN_BAKER_ID, "John Baker", 1033)}

SMS_STATUS = {1: ("Brouillon", "Draft"), 2: ("Envoi demandé", "Send requested"), 3: ("Envoi en cours", "Sending"),
              4: ("Programmé", "Scheduled"), 5: ("Envoyé", "Sent"), 6: ("Remis", "Delivered"),
              7: ("Non remis", "Undeliverable"), 8: ("Échec", "Failed"), 9: ("Annulé", "Cancelled"),
              10: ("Reçu", "Received")}
SMS_TYPE = {1: ("Marketing", "Marketing"), 2: ("Transactionnel", "Transactional")}
CHEAPER_TEXT = {1: ("Oui", "Yes"), 2: ("Non", "No")}      # empty (« -- »): the configuration's choice
CONTROLS = ("webresource", "subgrid")       # form fields that hold no column of the record


def _field(name: str, fr: str, en: str, kind: str = "text", **more: Any) -> dict:
    return {"name": name, "label": {"fr": fr, "en": en}, "kind": kind, **more}


def _choices(options: dict[int, tuple[str, str]]) -> list[dict]:
    return [{"value": value, "label": {"fr": fr, "en": en}} for value, (fr, en) in options.items()]


# The forms as the solution lays them out (the fields the scripts use), with their events and commands.
FORMS: dict[str, dict] = {
    "smsc_textmessage": {
        "title": {"fr": "SMS", "en": "SMS"},
        "libraries": ["smsc_/js/encoding.js", "smsc_/js/api.js", "smsc_/js/textmessage_form.js"],
        "onload": ["Smsc.TextMessageForm.onLoad"],
        "onchange": {"description": ["Smsc.TextMessageForm.onTextChange"]},
        "commands": [{"label": {"fr": "Enregistrer", "en": "Save"}, "save": True},
                     {"label": {"fr": "Aperçu", "en": "Preview"}, "function": "Smsc.TextMessageForm.preview"},
                     {"label": {"fr": "Envoyer", "en": "Send"}, "function": "Smsc.TextMessageForm.send",
                      "primary": True},
                     {"label": {"fr": "Annuler l'envoi", "en": "Cancel sending"},
                      "function": "Smsc.TextMessageForm.cancelSend"}],
        "fields": [
            _field("subject", "Objet", "Subject"),
            _field("regardingobjectid", "Destinataire", "Recipient", "lookup", readonly=True,
                   targets=["contact", "lead", "account"], bind="regardingobjectid_{target}_smsc_textmessage"),
            _field("smsc_phonenumber", "Numéro destinataire", "Recipient number"),
            _field("smsc_smstype", "Type de SMS", "SMS type", "choice", options=_choices(SMS_TYPE)),
            _field("smsc_sender", "Expéditeur", "Sender"),
            _field("scheduledend", "Date d'échéance", "Due date", "datetime"),
            _field("smsc_templateid", "Modèle de SMS", "SMS template", "lookup", targets=["smsc_smstemplate"],
                   bind="smsc_TemplateId", button={"label": {"fr": "Appliquer le modèle", "en": "Apply the template"},
                                                   "function": "Smsc.TextMessageForm.applyTemplate"}),
            _field("description", "Texte", "Text", "memo"),
            _field("smsc_cheapertext", "Texte économique", "Cheaper text", "choice", options=_choices(CHEAPER_TEXT)),
            _field("smsc_status", "Statut", "Status", "choice", readonly=True, options=_choices(SMS_STATUS)),
            _field("smsc_encoding", "Encodage", "Encoding", "choice", readonly=True,
                   options=_choices({1: ("GSM-7", "GSM-7"), 2: ("UCS-2", "UCS-2")})),
            _field("smsc_segments", "Segments", "Segments", "number", readonly=True),
            _field("smsc_error", "Erreur", "Error", "memo", readonly=True),
            _field("WebResource_conversation", "Conversation", "Conversation", "webresource",
                   src="smsc_/html/conversation.html", pass_parameters=True, height=560),
            _field("smsc_providerevents", "Historique fournisseur", "Provider history", "subgrid",
                   table="smsc_providerevent", lookup="smsc_textmessageid", order="smsc_receivedon asc",
                   columns=[{"name": "smsc_receivedon", "label": {"fr": "Reçu le", "en": "Received on"}},
                            {"name": "smsc_kind", "label": {"fr": "Type", "en": "Kind"}},
                            {"name": "smsc_providerstatus", "label": {"fr": "Statut reçu", "en": "Status received"}},
                            {"name": "smsc_ticket", "label": {"fr": "Ticket", "en": "Ticket"}},
                            {"name": "smsc_processedon", "label": {"fr": "Traité le", "en": "Processed on"}}]),
        ],
    },
    "smsc_smstemplate": {
        "title": {"fr": "Modèle de SMS", "en": "SMS template"},
        "libraries": ["smsc_/js/api.js", "smsc_/js/template_form.js"],
        "onload": ["Smsc.TemplateForm.onLoad"],
        "commands": [{"label": {"fr": "Enregistrer", "en": "Save"}, "save": True, "primary": True}],
        "fields": [
            _field("smsc_name", "Nom du modèle", "Template name"),
            _field("smsc_templatestatus", "Statut", "Status", "choice",
                   options=_choices({1: ("En cours de création", "Draft"), 2: ("Publié", "Published")})),
            _field("smsc_entity", "Entité applicable", "Table", "choice", text_values=True,
                   options=[{"value": v, "label": {"fr": fr, "en": en}} for v, fr, en in (
                       ("contact", "Contact", "Contact"), ("lead", "Prospect", "Lead"),
                       ("account", "Compte", "Account"))]),
            _field("smsc_text", "Texte du modèle", "Template text", "memo", hidden=True),
            _field("WebResource_mergefields", "Texte du modèle", "Template text", "webresource",
                   src="smsc_/html/mergefield_picker.html", height=260),
        ],
    },
    "campaign": {
        "title": {"fr": "Campagne", "en": "Campaign"},
        "libraries": ["smsc_/js/api.js"],
        "commands": [{"label": {"fr": "Enregistrer", "en": "Save"}, "save": True, "primary": True}],
        "fields": [
            _field("name", "Nom", "Name"),
            _field("smsc_recipienttype", "Type de destinataires", "Recipient type", "choice", readonly=True,
                   options=_choices({1: ("Compte", "Account"), 2: ("Contact", "Contact"), 4: ("Prospect", "Lead")})),
            _field("smsc_text", "Texte", "Text", "memo"),
            _field("smsc_cheapertext", "Texte économique", "Cheaper text", "choice", options=_choices(CHEAPER_TEXT)),
            _field("smsc_smstype", "Type de SMS", "SMS type", "choice", options=_choices(SMS_TYPE)),
            _field("smsc_sender", "Expéditeur", "Sender"),
            _field("othercost", "Coûts divers", "Miscellaneous costs", "number", readonly=True),
            _field("smsc_action", "Action demandée", "Requested action", "number", hidden=True),
            _field("WebResource_smscpanel", "Simulation et lancement de la campagne", "Campaign simulation and launch",
                   "webresource", src="smsc_/html/campaign_panel.html", pass_parameters=True, height=500),
        ],
    },
}


# A conversation with David Smith for « Afficher toute la conversation »: what the loop back writes (outgoing
# SMS with their delivery status, incoming replies with smsc_direction 2 and status Received), and one
# delivery report per SMS sent for « Historique fournisseur ». (id, minutes ago, direction, status, text)
CONVERSATION_NUMBER = "+33649819006"
CONVERSATION = [
    ("5a000000-0000-4000-8000-000000000001", 180, 1, 6,
     "Bonjour David, votre commande 1042 est arrivée. Répondez OUI pour une livraison demain."),
    ("5a000000-0000-4000-8000-000000000002", 150, 2, 10, "OUI merci, plutôt après 14 h"),
    ("5a000000-0000-4000-8000-000000000003", 120, 1, 5, "C'est noté : livraison demain après 14 h."),
    ("5a000000-0000-4000-8000-000000000004", 60, 2, 10, "Parfait, à demain !"),
]
ELSEWHERE_SMS_ID = "5a000000-0000-4000-8000-000000000005"     # to John Doe: not in David's conversation
CONVERSATION_REPLY_ID = CONVERSATION[-1][0]


def seed_conversation(dataverse: Any, now: datetime | None = None) -> None:
    """The console's own demo rows (the emulator's seed stays the connector's): inserted once."""
    now = now or datetime.now(timezone.utc)
    bind = {"regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({seed.DAVID_SMITH_ID})"}
    rows = [(sms_id, minutes, direction, status, text, CONVERSATION_NUMBER, bind)
            for sms_id, minutes, direction, status, text in CONVERSATION]
    rows.append((ELSEWHERE_SMS_ID, 90, 1, 5, "Bonjour John, votre rendez-vous est confirmé.", "+33600000002",
                 {"regardingobjectid_contact_smsc_textmessage@odata.bind": f"/contacts({seed.JOHN_DOE_ID})"}))
    for sms_id, minutes, direction, status, text, number, regarding in rows:
        if dataverse.store.get("smsc_textmessages", sms_id) is not None:
            continue
        when = now - timedelta(minutes=minutes)
        dataverse.insert("smsc_textmessages", {
            "activityid": sms_id, "subject": "SMS" if direction == 1 else "Réponse SMS", "description": text,
            "smsc_phonenumber": number, "smsc_direction": direction, "smsc_status": status, "smsc_smstype": 2,
            "actualend": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "smsc_providermessageid": f"console-{sms_id[-4:]}" if direction == 1 else None, **regarding})
        backdate(dataverse, "smsc_textmessages", sms_id, when)
        if direction == 1 and number == CONVERSATION_NUMBER:
            for n, (status_received, later) in enumerate((("ACK", 1), ("DELIVERED", 2))):
                if status == 5 and status_received == "DELIVERED":     # still waiting for its report
                    continue
                received = (when + timedelta(minutes=later)).strftime("%Y-%m-%dT%H:%M:%SZ")
                dataverse.insert("smsc_providerevents", {
                    "smsc_providereventid": f"5e000000-0000-4000-8000-{sms_id[-4:]}0000000{n}",
                    "smsc_name": f"delivery {status_received} {number}", "smsc_kind": 1,
                    "smsc_ticket": f"console-{sms_id[-4:]}", "smsc_phonenumber": number,
                    "smsc_providerstatus": status_received, "smsc_receivedon": received, "smsc_processedon": received,
                    "smsc_TextMessageId@odata.bind": f"/smsc_textmessages({sms_id})"})


@dataclass
class Written:
    """A write that went through: what Dataverse's webhook steps look at."""
    method: str
    logical: str
    record_id: str
    body: dict
    before: dict | None = None      # the step's pre-image: the columns it names, as they were before the write


class Console:
    """The WSGI application of `smsc console` (see the module's docstring)."""

    def __init__(self, stack: LocalStack, host: FunctionHost | None = None, language: str = "fr"):
        # Like smsc serve, the in-process queues' due messages run after each request (a validate's parts).
        self.stack, self.host = stack, host or FunctionHost(after_request=run_due_messages)
        self.language = language if language in USERS else "fr"
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {DATAVERSE_TOKEN}", "OData-MaxVersion": "4.0",
                                  "OData-Version": "4.0", "Accept": "application/json"})
        self.dispatched: list[dict] = []        # the webhook calls made after saves (what and the answer)
        if "smsc_textmessages" in stack.dataverse.schema.by_set():     # not on a bare organisation
            seed_conversation(stack.dataverse)

    # -- routing -------------------------------------------------------------------------------------------
    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        return self.handle(Request(environ))(environ, start_response)

    def handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith(API):
            return self.proxy(request)
        if path.startswith("/api/"):
            return self.host.handle(request)
        if path.startswith("/WebResources/"):
            return self.webresource(path.removeprefix("/WebResources/"))
        if path.startswith("/console/static/"):
            return _file(STATIC, path.removeprefix("/console/static/"))
        pages: dict[str, Callable[[Request], Response]] = {
            "/": self.index, "/console/config.js": self.config_js, "/console/form": self.form_page,
            "/console/grid": self.grid_page, "/console/page": self.page, "/console/record": self.record,
            "/console/save": self.save}
        if path == "/favicon.ico":
            return Response(status=204)
        page = pages.get(path)
        return page(request) if page else _text(404, "not found")

    def language_of(self, request: Request) -> str:
        wanted = request.args.get("lang") or request.cookies.get(USER_COOKIE) or self.language
        return wanted if wanted in USERS else self.language

    # -- the web resources -----------------------------------------------------------------------------------
    def webresource(self, name: str) -> Response:
        if not name.startswith(PUBLISHER_PREFIX):
            return _text(404, f"no web resource {name}")
        return _file(WEBRESOURCES, name.removeprefix(PUBLISHER_PREFIX))

    # -- the stand-in's configuration ----------------------------------------------------------------------
    def config_js(self, request: Request) -> Response:
        language = self.language_of(request)
        user_id, user_name, language_id = USERS[language]
        settings = {
            "clientUrl": request.host_url.rstrip("/"),
            # The pages get the form key, as smsc_ApiKey holds it in Dynamics: never the webhook key.
            "api": {"baseUrl": request.host_url.rstrip("/"), "key": self.stack.form_key},
            "user": {"id": user_id, "name": user_name, "languageId": language_id, "language": language},
            "tables": {logical: {"set": s, "id": i, "name": n} for logical, (s, i, n) in TABLES.items()},
        }
        script = (f"window.SmscConsole = {json.dumps(settings, ensure_ascii=False)};\n"
                  f"document.cookie = '{USER_COOKIE}={language}; path=/; SameSite=Strict';\n")
        return Response(script, content_type="application/javascript; charset=utf-8",
                        headers={"Cache-Control": "no-store"})

    # -- pages -----------------------------------------------------------------------------------------------
    def index(self, request: Request) -> Response:
        links = [
            ("/console/form?entity=smsc_textmessage&regarding=contact:" + seed.DAVID_SMITH_ID,
             "Nouveau SMS à David Smith (formulaire SMS : compteur, « Appliquer le modèle », « Envoyer »)"),
            ("/console/form?entity=smsc_smstemplate&id=" + seed.TEMPLATE_ORDER_ID,
             "Modèle « Confirmation de commande » (champs de fusion, « Insérer »)"),
            ("/console/form?entity=campaign&id=" + seed.CAMPAIGN_ORDERS_ID,
             "Campagne « Confirmation commandes » (« Simulation et lancement de la campagne »)"),
            ("/console/form?entity=smsc_textmessage&id=" + CONVERSATION_REPLY_ID,
             "Réponse de David Smith (« Afficher toute la conversation », « Répondre », historique fournisseur)"),
            ("/console/grid?entity=contact", "Contacts : « SMS » sur les enregistrements sélectionnés"),
            ("/console/page?name=smsc_/html/workflow_editor.html", "Éditeur de workflows (administrateurs)"),
        ]
        items = "".join(f'<li><a href="{html.escape(href)}">{html.escape(text)}</a></li>' for href, text in links)
        body = (f"<h1>smsc console</h1><p>Les ressources web du connecteur sur les émulateurs locaux (Dataverse, "
                f"Octopush). <a href='?lang=en'>English</a> · <a href='?lang=fr'>Français</a></p><ul>{items}</ul>")
        return _page("smsc console", body, request)

    def form_page(self, request: Request) -> Response:
        entity = request.args.get("entity", "")
        layout = FORMS.get(entity)
        if layout is None:
            return _text(404, f"no form for '{entity}'")
        record_id = request.args.get("id")
        model = self.model(entity, record_id) if record_id else self.new_model(entity, request.args.get("regarding"))
        scripts = "".join(f'<script src="/WebResources/{html.escape(name)}"></script>' for name in layout["libraries"])
        body = (f"{scripts}<div id='console-commandbar' class='console-commandbar'></div>"
                f"<div id='console-notifications'></div><h1 id='console-title'></h1>"
                f"<div id='console-form' class='console-form'></div>"
                f"<script>SmscConsole.openForm({json.dumps(layout, ensure_ascii=False)}, "
                f"{json.dumps(model, ensure_ascii=False)});</script>")
        return _page(layout["title"]["fr"], body, request)

    def grid_page(self, request: Request) -> Response:
        entity = request.args.get("entity", "contact")
        if entity not in ("contact", "lead", "account"):
            return _text(404, f"no grid for '{entity}'")
        body = ("<script src='/WebResources/smsc_/js/api.js'></script>"
                "<script src='/WebResources/smsc_/js/grid_sms.js'></script>"
                f"<div id='console-grid'></div><script>SmscConsole.openGrid({json.dumps(entity)});</script>")
        return _page("Grille", body, request)

    def page(self, request: Request) -> Response:
        name = request.args.get("name", "")
        if not name.startswith(PUBLISHER_PREFIX):
            return _text(404, "no such web resource")
        src = "/WebResources/" + html.escape(name)
        body = f"<iframe id='console-page' class='console-page' src='{src}' title='{html.escape(name)}'></iframe>"
        return _page(name, body, request)

    # -- records: the in-page model and its save -------------------------------------------------------------
    def new_model(self, entity: str, regarding: str | None) -> dict:
        attributes: dict[str, Any] = {f["name"]: None for f in FORMS[entity]["fields"] if f["kind"] not in CONTROLS}
        if entity == "smsc_textmessage":
            attributes.update({"subject": "SMS", "smsc_status": 1, "smsc_smstype": 2})
            if regarding and ":" in regarding:
                table, record_id = regarding.split(":", 1)
                name = TABLES[table][2]
                row = self.get(table, record_id, name)
                attributes["regardingobjectid"] = [{"id": record_id, "entityType": table, "name": row[name]}]
        return {"entity": entity, "id": None, "attributes": attributes}

    def model(self, entity: str, record_id: str) -> dict:
        fields = [f for f in FORMS[entity]["fields"] if f["kind"] not in CONTROLS]
        select = ",".join(f"_{f['name']}_value" if f["kind"] == "lookup" else f["name"] for f in fields)
        row = self.get(entity, record_id, select)
        attributes: dict[str, Any] = {}
        for f in fields:
            if f["kind"] == "lookup":
                key = f"_{f['name']}_value"
                attributes[f["name"]] = [{"id": row[key], "entityType": row.get(key + LOGICAL_NAME),
                                          "name": row.get(key + FORMATTED)}] if row.get(key) else None
            else:
                attributes[f["name"]] = row.get(f["name"])
        return {"entity": entity, "id": record_id, "attributes": attributes}

    def get(self, entity: str, record_id: str, select: str) -> dict:
        answer = self.http.get(f"{self.stack.dataverse_url}{API}{TABLES[entity][0]}({record_id})",
                               params={"$select": select}, headers={"Prefer": ANNOTATIONS}, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def record(self, request: Request) -> Response:
        entity, record_id = request.args.get("entity", ""), request.args.get("id", "")
        if entity not in FORMS or not record_id:
            return _text(404, "no such record")
        return _json(self.model(entity, record_id))

    def save(self, request: Request) -> Response:
        """The form's save: its changed attributes written through the Web API, then the webhook steps."""
        payload = json.loads(request.get_data() or b"{}")
        entity, record_id, changes = payload.get("entity"), payload.get("id"), payload.get("changes") or {}
        if entity not in FORMS:
            return _json({"error": {"message": f"no form for '{entity}'"}}, 400)
        fields = {f["name"]: f for f in FORMS[entity]["fields"]}
        forced = set(payload.get("forced") or ())     # setSubmitMode("always"): saved even when read-only
        body: dict[str, Any] = {}
        for name, value in changes.items():
            field = fields.get(name)
            if field is None or field.get("readonly") and record_id and name not in forced:
                continue
            if field["kind"] == "lookup":
                if value:
                    target = value[0]["entityType"]
                    bind = field["bind"].format(target=target)
                    body[f"{bind}@odata.bind"] = f"/{TABLES[target][0]}({value[0]['id'].strip('{}').lower()})"
            else:
                body[name] = value
        language = self.language_of(request)
        url = f"{self.stack.dataverse_url}{API}{TABLES[entity][0]}"
        before = None
        if record_id and entity == "smsc_textmessage" and "smsc_status" in body:     # the status step's pre-image
            before = {"smsc_status": self.stack.dataverse.get(TABLES[entity][0], record_id).get("smsc_status")}
        if record_id:
            answer = self.http.patch(f"{url}({record_id})", json=body, timeout=30)
        else:
            answer = self.http.post(url, json=body, timeout=30)
        if answer.status_code >= 400:
            return Response(answer.content, status=answer.status_code, content_type="application/json")
        if not record_id:
            record_id = answer.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
        self.after_write(Written("PATCH" if payload.get("id") else "POST", entity, record_id, body, before), language)
        return _json(self.model(entity, record_id))

    # -- Xrm.WebApi: the proxy to the emulator's Web API -----------------------------------------------------
    def proxy(self, request: Request) -> Response:
        forwarded = {name: value for name, value in request.headers.items()
                     if name.lower() in ("content-type", "prefer", "if-match", "if-none-match", "accept",
                                         "odata-maxversion", "odata-version", "mscrm.suppressduplicatedetection")}
        answer = self.http.request(request.method, self.stack.dataverse_url + request.full_path.rstrip("?"),
                                   data=request.get_data(), headers=forwarded, timeout=60)
        headers = {name: value for name, value in answer.headers.items()
                   if name.lower() in ("content-type", "odata-entityid", "etag", "preference-applied", "location",
                                       "odata-version")}
        if headers.get("OData-EntityId"):
            headers["OData-EntityId"] = headers["OData-EntityId"].replace(self.stack.dataverse_url,
                                                                          request.host_url.rstrip("/"))
        if answer.status_code < 400 and request.method in ("POST", "PATCH"):
            written = self._written(request, answer)
            if written:
                self.after_write(written, self.language_of(request))
        return Response(answer.content, status=answer.status_code, headers=headers)

    def _written(self, request: Request, answer: requests.Response) -> Written | None:
        segment = request.path.removeprefix(API)
        entity_set, _, rest = segment.partition("(")
        logical = next((name for name, (s, _i, _n) in TABLES.items() if s == entity_set), None)
        if logical is None or "/" in rest:
            return None
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            return None
        if request.method == "PATCH":
            record_id = rest.rstrip(")")
        else:
            entity_id = answer.headers.get("OData-EntityId", "")
            record_id = entity_id.rsplit("(", 1)[-1].rstrip(")") if "(" in entity_id else ""
        return Written(request.method, logical, record_id, body) if record_id and isinstance(body, dict) else None

    # -- what Dataverse's webhook steps do -------------------------------------------------------------------
    def after_write(self, written: Written, language: str) -> None:
        """The SDK steps the solution registers: an SMS set to Send requested, a campaign button."""
        pre_image = None
        if written.logical == "smsc_textmessage" and written.body.get("smsc_status") == 2:
            message, attributes = ("Create" if written.method == "POST" else "Update"), {"smsc_status": option(2)}
        elif (written.logical == "smsc_textmessage" and written.body.get("smsc_status") == 9
              and written.method == "PATCH"):
            message, attributes = "Update", {"smsc_status": option(9)}      # « Annuler l'envoi »
            status_before = (written.before or {}).get("smsc_status")
            pre_image = {"smsc_status": option(status_before)} if status_before is not None else None
        elif written.logical == "campaign" and isinstance(written.body.get("smsc_action"), int):
            message, attributes = "Update", {"smsc_action": option(written.body["smsc_action"])}
        else:
            return
        event = remote_execution_context(message, written.logical, written.record_id, user_id=USERS[language][0],
                                         attributes=attributes, pre_image=pre_image)
        headers = webhook_headers(message, written.logical, self.stack.webhook_key)
        answer = self.host.call("POST", "dataverse/events", body=json.dumps(event).encode(), headers=headers)
        self.dispatched.append({"message": message, "table": written.logical, "id": written.record_id,
                                "status": answer.status, "answer": answer.json()})


def _page(title: str, body: str, request: Request) -> Response:
    language = request.args.get("lang")
    config = "/console/config.js" + (f"?lang={html.escape(language)}" if language in USERS else "")
    document = (f"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                "<link rel='stylesheet' href='/WebResources/smsc_/css/smsc.css'>"
                "<link rel='stylesheet' href='/console/static/console.css'>"
                f"<script src='{config}'></script><script src='/console/static/xrm_standin.js'></script></head>"
                "<body class='console'><nav class='console-nav'><a href='/'>smsc console</a></nav>"
                f"{body}</body></html>")
    return Response(document, content_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"})


def _file(root: Path, relative: str) -> Response:
    path = (root / relative).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        return _text(404, f"not found: {relative}")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind == "application/javascript":
        kind += "; charset=utf-8"
    return Response(path.read_bytes(), content_type=kind, headers={"Cache-Control": "no-store"})


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json; charset=utf-8")


def _text(status: int, text: str) -> Response:
    return Response(text, status=status, content_type="text/plain; charset=utf-8")


def console_command(args: Any) -> int:
    """`smsc console [--port N] [--db FILE] [--lang fr|en] [--no-timers]`: like `smsc serve`, the queue
    messages and the timer functions run while it is up."""
    from contextlib import ExitStack

    from connector.bootstrap import reset
    from emulators.stack import local_stack
    from smsc.serve import bound_server, connect_provider, start_local_functions, until_interrupted

    server, app = bound_server(args.port)
    logging.basicConfig(level=logging.INFO, format="%(message)s", force=True)   # a server shows its log
    with ExitStack() as scope:
        scope.callback(server.stop)
        # The provider's emulator calls back the console's own address (it serves the app's routes too).
        stack = scope.enter_context(local_stack(args.db, on_environment_change=reset, public_url=server.url))
        after_request = start_local_functions(scope, timers=not getattr(args, "no_timers", False), db=args.db)
        app.app = Console(stack, FunctionHost(after_request=after_request), language=args.lang)
        server.start()
        print(f"smsc console: open {server.url}/ in a browser (Ctrl-C to stop).")
        print(f"  Dataverse emulator {stack.dataverse_url}, Octopush emulator {stack.octopush_url}")
        print(f"  Callbacks: {connect_provider(stack, server.url)}")
        until_interrupted(server)
    return 0
