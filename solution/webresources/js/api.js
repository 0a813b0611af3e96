// smsc_/js/api.js — what every smsc web resource shares: the client API (Xrm), the user's language,
// and calls to the connector's HTTP API (the function app).
//
// Where the API is: no secret ever lives in a web resource. In Dynamics the base URL and the keys are
// Dataverse environment variables (smsc_ApiBaseUrl, smsc_ApiFunctionKey, smsc_ApiKey), read with
// Xrm.WebApi when a page first needs them; in `smsc console` the stand-in hands them over
// (window.SmscConsole.api). The function key goes in `x-functions-key`, the connector's key in
// `x-smsc-webhook-key`, as the routes expect.
var Smsc = window.Smsc = window.Smsc || {};
Smsc.Api = (function () {
    "use strict";
    var ENVIRONMENT_VARIABLES = {smsc_ApiBaseUrl: "baseUrl", smsc_ApiFunctionKey: "functionKey", smsc_ApiKey: "key"};
    var configurationPromise = null;

    /** The client API: this window's (form scripts, pages given it) or the form's that holds this page. */
    function xrm() {
        if (window.Xrm && window.Xrm.WebApi) { return window.Xrm; }
        try {
            if (window.parent && window.parent !== window && window.parent.Xrm) { return window.parent.Xrm; }
        } catch (e) { /* another origin: no parent Xrm */ }
        return null;
    }

    function consoleSettings() {
        if (window.SmscConsole) { return window.SmscConsole; }
        try { return (window.parent && window.parent.SmscConsole) || null; } catch (e) { return null; }
    }

    /** "fr" when the user's language is French (1036), else "en". */
    function language() {
        var client = xrm();
        var id = client ? client.Utility.getGlobalContext().userSettings.languageId : 1036;
        return Number(id) === 1036 ? "fr" : "en";
    }

    /** The label `key` in the user's language from `labels` ({fr: {...}, en: {...}}), `{name}` replaced. */
    function say(labels, key, values) {
        var text = (labels[language()] || labels.fr)[key];
        if (text === undefined) { text = labels.fr[key] || key; }
        Object.keys(values || {}).forEach(function (name) { text = text.split("{" + name + "}").join(values[name]); });
        return text;
    }

    /** A GUID as the Web API and the connector write it: no braces, lower case. */
    function bareId(id) { return (id || "").replace(/[{}]/g, "").toLowerCase(); }

    function userId() {
        var client = xrm();
        return client ? bareId(client.Utility.getGlobalContext().userSettings.userId) : null;
    }

    function fromEnvironmentVariables(client) {
        var options = "?$select=schemaname,defaultvalue&$filter=startswith(schemaname,'smsc_Api')" +
            "&$expand=environmentvariabledefinition_environmentvariablevalue($select=value)";
        return client.WebApi.retrieveMultipleRecords("environmentvariabledefinition", options).then(function (result) {
            var settings = {};
            result.entities.forEach(function (row) {
                var name = ENVIRONMENT_VARIABLES[row.schemaname];
                var values = row.environmentvariabledefinition_environmentvariablevalue || [];
                if (name) { settings[name] = values.length ? values[0].value : row.defaultvalue; }
            });
            return settings;
        });
    }

    /** {baseUrl, functionKey, key}: from the console stand-in, else the environment variables. */
    function configuration() {
        if (!configurationPromise) {
            var standIn = consoleSettings();
            var client = xrm();
            if (standIn && standIn.api) {
                configurationPromise = Promise.resolve(standIn.api);
            } else if (client) {
                configurationPromise = fromEnvironmentVariables(client);
            } else {
                configurationPromise = Promise.resolve({});
            }
        }
        return configurationPromise.then(function (settings) {
            if (settings.baseUrl === undefined || settings.baseUrl === null) {
                var error = new Error(say(MESSAGES, "not_configured"));
                error.code = "not_configured";
                throw error;
            }
            return settings;
        });
    }

    var MESSAGES = {
        fr: {not_configured: "L'adresse du connecteur SMS n'est pas configurée (variable d'environnement smsc_ApiBaseUrl).",
             unreachable: "Le connecteur SMS ne répond pas ({detail}).",
             failed: "Le connecteur SMS a refusé la demande ({status})."},
        en: {not_configured: "The SMS connector's address is not configured (environment variable smsc_ApiBaseUrl).",
             unreachable: "The SMS connector does not answer ({detail}).",
             failed: "The SMS connector refused the request ({status})."}
    };

    /** Calls `route` (under /api) and resolves with the JSON answer; rejects with an Error carrying
     *  `code` and `status` and the connector's own message ({"error": {"code", "message"}}). */
    function call(method, route, body) {
        return configuration().then(function (settings) {
            var headers = {"Accept": "application/json"};
            if (settings.functionKey) { headers["x-functions-key"] = settings.functionKey; }
            if (settings.key) { headers["x-smsc-webhook-key"] = settings.key; }
            var init = {method: method, headers: headers};
            if (body !== undefined) {
                headers["Content-Type"] = "application/json";
                init.body = JSON.stringify(body);
            }
            var url = settings.baseUrl.replace(/\/+$/, "") + "/api/" + route;
            return fetch(url, init).catch(function (problem) {
                var error = new Error(say(MESSAGES, "unreachable", {detail: problem.message}));
                error.code = "unreachable";
                throw error;
            }).then(function (response) {
                return response.text().then(function (text) {
                    var data = null;
                    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
                    if (!response.ok) {
                        var detail = data && data.error;
                        var error = new Error(detail && detail.message ? detail.message
                            : say(MESSAGES, "failed", {status: response.status}));
                        error.code = detail ? detail.code : "http_" + response.status;
                        error.status = response.status;
                        throw error;
                    }
                    return data;
                });
            });
        });
    }

    /** Hands the client API and the form to the form's web resources, the way Microsoft documents it
     *  (getContentWindow, then the page's setClientApiContext). */
    function connectWebResources(formContext) {
        formContext.ui.controls.forEach(function (control) {
            if (control.getControlType() !== "webresource" || !control.getContentWindow) { return; }
            control.getContentWindow().then(function (contentWindow) {
                if (contentWindow && typeof contentWindow.setClientApiContext === "function") {
                    contentWindow.setClientApiContext(window.Xrm, formContext);
                }
            });
        });
    }

    return {
        connectWebResources: connectWebResources,
        xrm: xrm, language: language, say: say, bareId: bareId, userId: userId, configuration: configuration,
        call: call,
        preview: function (request) { return call("POST", "textmessages/preview", request); },
        credit: function () { return call("GET", "credit"); },
        validateWorkflow: function (definition) { return call("POST", "workflows/validate", {definition: definition}); },
        dryRunWorkflow: function (request) { return call("POST", "workflows/dry-run", request); }
    };
}());

/** Escapes text for innerHTML. */
Smsc.escape = function (text) {
    return String(text === null || text === undefined ? "" : text).replace(/[&<>"']/g, function (c) {
        return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
};

/** Formats a number the user's way (decimal comma in French). */
Smsc.formatNumber = function (value, digits) {
    if (value === null || value === undefined || value === "") { return "—"; }
    var locale = Smsc.Api.language() === "fr" ? "fr-FR" : "en-GB";
    return Number(value).toLocaleString(locale, {minimumFractionDigits: digits || 0, maximumFractionDigits: digits || 2});
};
