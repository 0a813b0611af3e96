// smsc_/js/textmessage_form.js — the SMS activity form (smsc_textmessage). Needs smsc_/js/encoding.js
// and smsc_/js/api.js loaded before it on the form.
//
// Form events: OnLoad -> Smsc.TextMessageForm.onLoad, OnChange of `description` ->
// Smsc.TextMessageForm.onTextChange (pass the execution context). Command bar: « Envoyer » ->
// Smsc.TextMessageForm.send (PrimaryControl), « Appliquer le modèle » -> Smsc.TextMessageForm.applyTemplate
// (PrimaryControl), « Annuler l'envoi » -> Smsc.TextMessageForm.cancelSend (PrimaryControl). The counter
// also follows each key typed (addOnKeyPress on the text control).
var Smsc = window.Smsc = window.Smsc || {};
Smsc.TextMessageForm = (function () {
    "use strict";
    var TEXT = "description", STATUS = "smsc_status", TEMPLATE = "smsc_templateid", REGARDING = "regardingobjectid";
    var SEND_REQUESTED = 2, SENDING = 3, SCHEDULED = 4, CANCELLED = 9, DUE = "scheduledend", PUBLISHED = 2, FOLLOW_MS = 2000, FOLLOW_TIMES = 15, MARKETING_TYPE = "smsc_smstype", SENDER = "smsc_sender";
    var CHEAPER = "smsc_cheapertext", CHEAPER_YES = 1, CHEAPER_NO = 2;
    var COUNTER_ID = "smsc-counter", ENCODING_ID = "smsc-encoding", TEMPLATE_ID = "smsc-template";
    var LABELS = {
        fr: {counter: "{characters} caractères · {segments} SMS · {encoding} · reste {remaining}",
             empty: "0 caractères",
             ucs2: "Encodage UCS-2 (70 caractères par SMS au lieu de 160) à cause de : {characters}",
             ucs2_short: "Caractères hors alphabet GSM : {characters}",
             choose_template: "Choisissez d'abord un modèle de SMS.",
             not_published: "Le modèle « {name} » n'est pas publié.",
             template_applied: "Modèle « {name} » appliqué.",
             template_waiting: "Cliquez sur « Appliquer le modèle » pour remplacer le texte par celui du modèle.",
             preview_title: "Texte réellement envoyé",
             confirm_title: "Envoyer le SMS ?",
             send: "Envoyer", cancel: "Annuler",
             details: "{encoding}, {segments} SMS, {characters} caractères. Coût estimé : {cost}.",
             number: "Numéro : {number}",
             warnings: "Attention : {warnings}",
             refused: "Ce SMS serait refusé : {message}",
             preview_unavailable: "Aperçu indisponible : {message}\nEnvoyer quand même ?",
             no_text: "Le texte du SMS est vide.",
             sent: "Envoi demandé : le statut du SMS se met à jour dès que le connecteur l'a traité.",
             already: "Ce SMS a déjà été envoyé ou est en cours d'envoi.",
             scheduled: "SMS planifié : il partira le {when}. Vous pouvez l'annuler jusque-là (« Annuler l'envoi »).",
             cancel_title: "Annuler l'envoi du SMS ?",
             cancel_text: "Le SMS prévu le {when} ne partira pas.",
             cancel_yes: "Annuler l'envoi", cancel_no: "Garder",
             not_cancellable: "Seul un SMS planifié (ou dont l'envoi est demandé) peut être annulé : celui-ci est déjà parti ou n'a pas été envoyé.",
             already_cancelled: "L'envoi de ce SMS est déjà annulé.",
             cancelled: "Envoi annulé : ce SMS ne partira pas.",
             cancel_refused: "Trop tard : le SMS était déjà parti. {error}"},
        en: {counter: "{characters} characters · {segments} SMS · {encoding} · {remaining} left",
             empty: "0 characters",
             ucs2: "UCS-2 encoding (70 characters per SMS instead of 160) because of: {characters}",
             ucs2_short: "Characters outside the GSM alphabet: {characters}",
             choose_template: "Choose an SMS template first.",
             not_published: "The template '{name}' is not published.",
             template_applied: "Template '{name}' applied.",
             template_waiting: "Click 'Apply the template' to replace the text with the template's.",
             preview_title: "Text really sent",
             confirm_title: "Send the SMS?",
             send: "Send", cancel: "Cancel",
             details: "{encoding}, {segments} SMS, {characters} characters. Estimated cost: {cost}.",
             number: "Number: {number}",
             warnings: "Warning: {warnings}",
             refused: "This SMS would be refused: {message}",
             preview_unavailable: "Preview unavailable: {message}\nSend anyway?",
             no_text: "The SMS text is empty.",
             sent: "Sending requested: the SMS status updates as soon as the connector has handled it.",
             already: "This SMS was sent already or is being sent.",
             scheduled: "Scheduled SMS: it leaves on {when}. You can cancel it until then ('Cancel sending').",
             cancel_title: "Cancel sending the SMS?",
             cancel_text: "The SMS due on {when} will not go out.",
             cancel_yes: "Cancel sending", cancel_no: "Keep it",
             not_cancellable: "Only a scheduled SMS (or one whose sending is requested) can be cancelled: this one left already or was never sent.",
             already_cancelled: "Sending this SMS is already cancelled.",
             cancelled: "Sending cancelled: this SMS will not go out.",
             cancel_refused: "Too late: the SMS had already left. {error}"}
    };

    function say(key, values) { return Smsc.Api.say(LABELS, key, values); }

    function quoted(characters) {
        return characters.map(function (c) {
            var code = c.codePointAt(0).toString(16).toUpperCase();
            return "« " + c + " » (U+" + ("0000" + code).slice(-Math.max(4, code.length)) + ")";
        }).join(", ");
    }

    /** The counter under the text, and the characters that force UCS-2 pointed at on the text control. */
    function showCounter(form, text) {
        var stats = Smsc.Encoding.analyze(text || "");
        var message = stats.characters === 0 ? say("empty") : say("counter", {
            characters: stats.characters, segments: stats.segments, encoding: stats.encoding,
            remaining: stats.remaining});
        form.ui.setFormNotification(message, "INFO", COUNTER_ID);
        var control = form.getControl(TEXT);
        if (stats.nonGsm.length) {
            form.ui.setFormNotification(say("ucs2", {characters: quoted(stats.nonGsm)}), "WARNING", ENCODING_ID);
            if (control && control.addNotification) {     // a recommendation: unlike setNotification, never blocks the save
                control.clearNotification(ENCODING_ID);
                control.addNotification({messages: [say("ucs2_short", {characters: quoted(stats.nonGsm)})],
                                         notificationLevel: "RECOMMENDATION", uniqueId: ENCODING_ID});
            }
        } else {
            form.ui.clearFormNotification(ENCODING_ID);
            if (control && control.clearNotification) { control.clearNotification(ENCODING_ID); }
        }
        return stats;
    }

    function textOf(form) {
        var attribute = form.getAttribute(TEXT);
        return attribute ? attribute.getValue() || "" : "";
    }

    function onLoad(executionContext) {
        var form = executionContext.getFormContext();
        Smsc.Api.connectWebResources(form);     // the conversation follows the form's data (saved, refreshed)
        var control = form.getControl(TEXT);
        if (control && control.addOnKeyPress) {
            control.addOnKeyPress(function (keyContext) {
                var source = keyContext.getEventSource();
                showCounter(form, source && source.getValue ? source.getValue() : textOf(form));
            });
        }
        var template = form.getControl(TEMPLATE);
        if (template && template.addPreSearch) {      // only published templates are offered
            template.addPreSearch(function () {
                template.addCustomFilter("<filter type=\"and\"><condition attribute=\"smsc_templatestatus\" " +
                                         "operator=\"eq\" value=\"" + PUBLISHED + "\" /></filter>", "smsc_smstemplate");
            });
        }
        var templateAttribute = form.getAttribute(TEMPLATE);
        if (templateAttribute) {
            templateAttribute.addOnChange(function () {
                if (!templateAttribute.getValue()) { form.ui.clearFormNotification(TEMPLATE_ID); return; }
                if (textOf(form).trim() === "") { applyTemplate(form); } else {
                    form.ui.setFormNotification(say("template_waiting"), "INFO", TEMPLATE_ID);
                }
            });
        }
        showCounter(form, textOf(form));
        var status = form.getAttribute(STATUS);
        if (status && status.getValue() === SCHEDULED) {
            form.ui.setFormNotification(say("scheduled", {when: dueText(form)}), "INFO", "smsc-scheduled");
        }
    }

    function onTextChange(executionContext) {
        var form = executionContext.getFormContext();
        showCounter(form, textOf(form));
    }

    /** « Appliquer le modèle »: the chosen published template's text (merge fields kept) in the text. */
    function applyTemplate(primaryControl) {
        var form = primaryControl, xrm = Smsc.Api.xrm();
        var chosen = form.getAttribute(TEMPLATE) && form.getAttribute(TEMPLATE).getValue();
        if (!chosen || !chosen.length) {
            return xrm.Navigation.openAlertDialog({text: say("choose_template")});
        }
        var id = Smsc.Api.bareId(chosen[0].id);
        return xrm.WebApi.retrieveRecord("smsc_smstemplate", id, "?$select=smsc_name,smsc_text,smsc_templatestatus")
            .then(function (template) {
                if (template.smsc_templatestatus !== PUBLISHED) {
                    return xrm.Navigation.openAlertDialog({text: say("not_published", {name: template.smsc_name})});
                }
                var text = form.getAttribute(TEXT);
                text.setValue(template.smsc_text || "");
                text.fireOnChange();
                showCounter(form, text.getValue());
                form.ui.setFormNotification(say("template_applied", {name: template.smsc_name}), "INFO", TEMPLATE_ID);
                return template;
            }, function (error) {
                return xrm.Navigation.openAlertDialog({text: error.message});
            });
    }

    /** The preview request for the form's SMS: its text (or template) merged with the regarding record. */
    function previewRequest(form) {
        var request = {text: textOf(form), userid: Smsc.Api.userId()};
        var template = form.getAttribute(TEMPLATE) && form.getAttribute(TEMPLATE).getValue();
        var regarding = form.getAttribute(REGARDING) && form.getAttribute(REGARDING).getValue();
        if (regarding && regarding.length && ["contact", "lead", "account"].indexOf(regarding[0].entityType) >= 0) {
            request.regarding = {entity: regarding[0].entityType, id: Smsc.Api.bareId(regarding[0].id)};
            if (!request.text.trim() && template && template.length) {
                delete request.text;
                request.templateid = Smsc.Api.bareId(template[0].id);
            }
        }
        var type = form.getAttribute(MARKETING_TYPE) && form.getAttribute(MARKETING_TYPE).getValue();
        if (type) { request.smstype = type; }
        var sender = form.getAttribute(SENDER) && form.getAttribute(SENDER).getValue();
        if (sender) { request.sender = sender; }
        // « Texte économique »: 1 Oui, 2 Non; empty: the configuration's choice (the preview's default too).
        var cheaper = form.getAttribute(CHEAPER) && form.getAttribute(CHEAPER).getValue();
        if (cheaper === CHEAPER_YES || cheaper === CHEAPER_NO) { request.cheaper = cheaper === CHEAPER_YES; }
        return request;
    }

    function describe(answer) {
        var lines = [answer.text, "", say("details", {encoding: answer.encoding, segments: answer.segments,
            characters: answer.characters, cost: Smsc.formatNumber(answer.cost, 2)})];
        if (answer.phonenumber) { lines.push(say("number", {number: answer.phonenumber})); }
        if (answer.warnings && answer.warnings.length) { lines.push(say("warnings", {warnings: answer.warnings.join(" ")})); }
        return lines.join("\n");
    }

    /** The text really sent (merge fields resolved, STOP appended), its cost and warnings. */
    function preview(primaryControl) {
        var form = primaryControl, xrm = Smsc.Api.xrm();
        return Smsc.Api.preview(previewRequest(form)).then(function (answer) {
            return xrm.Navigation.openAlertDialog({title: say("preview_title"), text: describe(answer)}).then(function () {
                return answer;
            });
        }, function (error) {
            return xrm.Navigation.openAlertDialog({text: error.message});
        });
    }

    /** « Envoyer »: shows what will really go, then sets Send requested and saves (the webhook sends). */
    function send(primaryControl) {
        var form = primaryControl, xrm = Smsc.Api.xrm();
        var status = form.getAttribute(STATUS);
        if (status && status.getValue() && status.getValue() > SEND_REQUESTED) {
            return xrm.Navigation.openAlertDialog({text: say("already")});
        }
        var template = form.getAttribute(TEMPLATE) && form.getAttribute(TEMPLATE).getValue();
        if (!textOf(form).trim() && !(template && template.length)) {
            return xrm.Navigation.openAlertDialog({text: say("no_text")});
        }
        return Smsc.Api.preview(previewRequest(form)).then(function (answer) {
            return xrm.Navigation.openConfirmDialog(
                {title: say("confirm_title"), text: describe(answer), confirmButtonLabel: say("send"),
                 cancelButtonLabel: say("cancel")});
        }, function (error) {
            if (error.status === 422 || error.status === 400) {
                return xrm.Navigation.openAlertDialog({text: say("refused", {message: error.message})}).then(function () {
                    return {confirmed: false};
                });
            }
            return xrm.Navigation.openConfirmDialog({text: say("preview_unavailable", {message: error.message}),
                                                     confirmButtonLabel: say("send"), cancelButtonLabel: say("cancel")});
        }).then(function (choice) {
            if (!choice || !choice.confirmed) { return false; }
            var before = status.getValue();
            status.setValue(SEND_REQUESTED);
            status.setSubmitMode("always");
            return form.data.save().then(function () {
                form.ui.setFormNotification(say("sent"), "INFO", "smsc-sent");
                follow(form, 0);
                return true;
            }, function (error) {
                status.setValue(before);
                return xrm.Navigation.openAlertDialog({text: error.message}).then(function () { return false; });
            });
        });
    }

    function dueText(form) {
        var due = form.getAttribute(DUE) && form.getAttribute(DUE).getValue();
        return due ? due.toLocaleString(Smsc.Api.language()) : "?";
    }

    /** The webhook works after the save: the form looks again a few times while the SMS is on its way. */
    function follow(form, attempt) {
        var status = form.getAttribute(STATUS);
        var value = status ? status.getValue() : null;
        if (value === SCHEDULED) {      // held by the connector until its time: say when, and that it can be cancelled
            form.ui.clearFormNotification("smsc-sent");
            form.ui.setFormNotification(say("scheduled", {when: dueText(form)}), "INFO", "smsc-scheduled");
            return;
        }
        if (value !== SEND_REQUESTED && value !== SENDING) { form.ui.clearFormNotification("smsc-sent"); return; }
        if (attempt >= FOLLOW_TIMES) { return; }
        window.setTimeout(function () {
            form.data.refresh(false).then(function () { follow(form, attempt + 1); });
        }, FOLLOW_MS);
    }

    /** « Annuler l'envoi »: a scheduled SMS (held by the connector until it leaves) set Cancelled and saved.
     *  The release timer takes only Scheduled SMS, under their ETag: a cancel saved first wins. One saved
     *  after the release took it is refused by the connector (the webhook writes the status back with
     *  the reason), which the form then shows. */
    function cancelSend(primaryControl) {
        var form = primaryControl, xrm = Smsc.Api.xrm();
        return form.data.refresh(false).then(function () {      // decide on the row as it is now, not as loaded
            var status = form.getAttribute(STATUS);
            var value = status ? status.getValue() : null;
            if (value === CANCELLED) { return xrm.Navigation.openAlertDialog({text: say("already_cancelled")}); }
            if (value !== SCHEDULED && value !== SEND_REQUESTED) {
                return xrm.Navigation.openAlertDialog({text: say("not_cancellable")});
            }
            return xrm.Navigation.openConfirmDialog({title: say("cancel_title"), text: say("cancel_text", {when: dueText(form)}),
                                                     confirmButtonLabel: say("cancel_yes"), cancelButtonLabel: say("cancel_no")})
                .then(function (choice) {
                    if (!choice || !choice.confirmed) { return false; }
                    status.setValue(CANCELLED);
                    status.setSubmitMode("always");
                    return form.data.save().then(function () {
                        form.ui.clearFormNotification("smsc-scheduled");
                        followCancel(form, 0);
                        return true;
                    }, function (error) {
                        status.setValue(value);
                        return xrm.Navigation.openAlertDialog({text: error.message}).then(function () { return false; });
                    });
                });
        });
    }

    /** The connector answers a cancel that came too late by writing the status back: shown when it does. */
    function followCancel(form, attempt) {
        var value = form.getAttribute(STATUS) ? form.getAttribute(STATUS).getValue() : null;
        if (value !== CANCELLED) {
            var error = form.getAttribute("smsc_error") ? form.getAttribute("smsc_error").getValue() || "" : "";
            form.ui.setFormNotification(say("cancel_refused", {error: error}), "WARNING", "smsc-cancel");
            return;
        }
        form.ui.setFormNotification(say("cancelled"), "INFO", "smsc-cancel");
        if (attempt >= 3) { return; }
        window.setTimeout(function () {
            form.data.refresh(false).then(function () { followCancel(form, attempt + 1); });
        }, FOLLOW_MS);
    }

    return {onLoad: onLoad, onTextChange: onTextChange, send: send, applyTemplate: applyTemplate, preview: preview,
            cancelSend: cancelSend, showCounter: showCounter};
}());
