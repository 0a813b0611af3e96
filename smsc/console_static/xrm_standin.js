// The `Xrm` stand-in of `smsc console`: the part of Microsoft's client API the smsc web resources use,
// backed by the local emulators. Not deployed: in Dynamics the real Xrm is there.
// - Xrm.WebApi: the Dataverse emulator's Web API through the console's same-origin proxy (/api/data/v9.2).
// - Forms: an in-page model of the record (attributes, controls, notifications) saved through the console
//   (/console/save), which writes through the Web API and then does what the webhook steps would.
// - Xrm.Navigation: dialogs drawn in the page (alert, confirm, web resources).
(function () {
    "use strict";
    var cfg = window.SmscConsole;
    var language = cfg.user.language;

    function text(label) { return typeof label === "string" ? label : (label[language] || label.fr); }
    function tableOf(logical) {
        var table = cfg.tables[logical];
        if (!table) { throw new Error("the console knows no table '" + logical + "'"); }
        return table;
    }
    function bare(id) { return String(id || "").replace(/[{}]/g, "").toLowerCase(); }
    function escapeHtml(value) {
        return String(value === null || value === undefined ? "" : value).replace(/[&<>"']/g, function (c) {
            return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
        });
    }
    function el(tag, attributes, children) {
        var node = document.createElement(tag);
        Object.keys(attributes || {}).forEach(function (name) {
            if (name === "text") { node.textContent = attributes[name]; } else { node.setAttribute(name, attributes[name]); }
        });
        (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
        return node;
    }

    // ---- Xrm.WebApi -------------------------------------------------------------------------------------
    function request(method, path, body, headers) {
        var all = {"Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0",
                   "Prefer": "odata.include-annotations=\"*\""};
        Object.keys(headers || {}).forEach(function (name) { all[name] = headers[name]; });
        var init = {method: method, headers: all};
        if (body !== undefined) { all["Content-Type"] = "application/json; charset=utf-8"; init.body = JSON.stringify(body); }
        return fetch(cfg.clientUrl + "/api/data/v9.2/" + path, init).then(function (response) {
            return response.text().then(function (raw) {
                var data = raw ? JSON.parse(raw) : null;
                if (!response.ok) {
                    var error = (data && data.error) || {};
                    return Promise.reject({errorCode: error.code, message: error.message || ("HTTP " + response.status),
                                           status: response.status});
                }
                return {data: data, headers: response.headers};
            });
        });
    }
    function idFrom(headers) {
        var entityId = headers.get("OData-EntityId") || "";
        var match = /\(([0-9a-fA-F-]{36})\)\s*$/.exec(entityId);
        return match ? match[1] : null;
    }
    var WebApi = {
        retrieveRecord: function (entity, id, options) {
            return request("GET", tableOf(entity).set + "(" + bare(id) + ")" + (options || "")).then(function (r) { return r.data; });
        },
        retrieveMultipleRecords: function (entity, options, maxPageSize) {
            var headers = maxPageSize ? {"Prefer": "odata.include-annotations=\"*\",odata.maxpagesize=" + maxPageSize} : {};
            return request("GET", tableOf(entity).set + (options || ""), undefined, headers).then(function (r) {
                return {entities: r.data.value, nextLink: r.data["@odata.nextLink"]};
            });
        },
        createRecord: function (entity, data) {
            return request("POST", tableOf(entity).set, data).then(function (r) { return {entityType: entity, id: idFrom(r.headers)}; });
        },
        updateRecord: function (entity, id, data) {
            return request("PATCH", tableOf(entity).set + "(" + bare(id) + ")", data).then(function () {
                return {entityType: entity, id: bare(id)};
            });
        },
        deleteRecord: function (entity, id) {
            return request("DELETE", tableOf(entity).set + "(" + bare(id) + ")").then(function () {
                return {entityType: entity, id: bare(id)};
            });
        }
    };
    /** Xrm.WebApi.online.execute for actions (operationType 0): bound to `request.entity` ({entityType, id})
     *  or not; the other own properties are the parameters, sent as JSON. Resolves with a Response-like
     *  object (ok, status, json()), rejects like the other calls when the Web API refuses. */
    WebApi.online = {
        execute: function (requestObject) {
            var meta = requestObject.getMetadata();
            if (meta.operationType !== 0) { return Promise.reject({message: "the console only executes actions"}); }
            var path = meta.operationName, body = {};
            if (meta.boundParameter === "entity") {
                var bound = requestObject.entity;
                path = tableOf(bound.entityType).set + "(" + bare(bound.id) + ")/Microsoft.Dynamics.CRM." + meta.operationName;
            }
            Object.keys(requestObject).forEach(function (name) {
                if (name !== "entity" && name !== "getMetadata") { body[name] = requestObject[name]; }
            });
            return request("POST", path, body).then(function (r) {
                return {ok: true, status: r.data === null ? 204 : 200, json: function () { return Promise.resolve(r.data); }};
            });
        }
    };
    WebApi.execute = WebApi.online.execute;

    // ---- Xrm.Navigation: dialogs drawn in the page -------------------------------------------------------
    function dialog(title, body, buttons) {
        return new Promise(function (resolve) {
            var box = el("div", {"class": "console-dialog", role: "dialog", "aria-modal": "true"});
            if (title) { box.appendChild(el("h3", {text: title})); }
            box.appendChild(body);
            var row = el("div", {"class": "console-dialog-buttons"});
            buttons.forEach(function (b) {
                var button = el("button", {type: "button", "class": "smsc-button" + (b.primary ? " smsc-primary" : ""), text: b.label});
                button.addEventListener("click", function () { overlay.remove(); resolve(b.value); });
                row.appendChild(button);
            });
            box.appendChild(row);
            var overlay = el("div", {"class": "console-overlay"}, [box]);
            document.body.appendChild(overlay);
        });
    }
    var OK = {fr: "OK", en: "OK"};
    var Navigation = {
        openAlertDialog: function (strings, options) {
            return dialog(strings.title, el("p", {"class": "console-dialog-text", text: strings.text}),
                          [{label: strings.confirmButtonLabel || text(OK), value: undefined, primary: true}]);
        },
        /** confirmStrings {title, subtitle, text, confirmButtonLabel, cancelButtonLabel}; options: size only. */
        openConfirmDialog: function (strings, options) {
            return dialog(strings.title, el("p", {"class": "console-dialog-text", text: strings.text}), [
                {label: strings.confirmButtonLabel || "OK", value: {confirmed: true}, primary: true},
                {label: strings.cancelButtonLabel || (language === "fr" ? "Annuler" : "Cancel"), value: {confirmed: false}}]);
        },
        openErrorDialog: function (options) { return Navigation.openAlertDialog({text: options.message}); },
        /** pageType "webresource" in a dialog (target 2) or in place of the page (target 1). */
        navigateTo: function (pageInput, navigationOptions) {
            var src = "/WebResources/" + pageInput.webresourceName + (pageInput.data ? "?data=" + encodeURIComponent(pageInput.data) : "");
            if (!navigationOptions || navigationOptions.target !== 2) { window.location.href = src; return Promise.resolve(); }
            var frame = el("iframe", {src: src, "class": "console-dialog-frame", title: pageInput.webresourceName});
            return dialog(navigationOptions.title, frame, [{label: language === "fr" ? "Fermer" : "Close", value: undefined}]);
        },
        openWebResource: function (name, options, data) {
            window.open("/WebResources/" + name + (data ? "?data=" + encodeURIComponent(data) : ""), "_blank");
        },
        openForm: function (options) {
            window.location.href = "/console/form?entity=" + options.entityName + (options.entityId ? "&id=" + bare(options.entityId) : "");
            return Promise.resolve();
        }
    };

    var globalContext = {
        userSettings: {userId: "{" + cfg.user.id.toUpperCase() + "}", userName: cfg.user.name, languageId: cfg.user.languageId},
        getClientUrl: function () { return cfg.clientUrl; },
        getVersion: function () { return "9.2.0.0"; }
    };
    window.Xrm = {
        WebApi: WebApi, Navigation: Navigation,
        Utility: {
            getGlobalContext: function () { return globalContext; },
            showProgressIndicator: function () {}, closeProgressIndicator: function () {}
        },
        Page: null
    };

    // ---- forms -------------------------------------------------------------------------------------------
    function resolveFunction(name) {
        return name.split(".").reduce(function (scope, part) { return scope ? scope[part] : undefined; }, window);
    }

    function Form(layout, model) {
        var form = this, attributes = {}, controls = {}, order = [], notifications = {}, loaded = [];
        this.layout = layout;
        this.model = model;

        function executionContext(source) {
            return {getFormContext: function () { return formContext; }, getEventSource: function () { return source; },
                    getDepth: function () { return 1; }, getEventArgs: function () { return null; }};
        }

        function Attribute(field) {
            var handlers = [], value = model.attributes[field.name], dirty = false, submit = "dirty", attribute = this;
            this.controls = [];
            this.getName = function () { return field.name; };
            this.getValue = function () { return value === undefined ? null : value; };
            this.setValue = function (v) {
                value = v;
                dirty = true;
                attribute.controls.forEach(function (c) { c.render(); });
            };
            this.getIsDirty = function () { return dirty; };
            this.setSubmitMode = function (mode) { submit = mode; };
            this.getSubmitMode = function () { return submit; };
            this.getAttributeType = function () {
                return {lookup: "lookup", memo: "memo", choice: "optionset", number: "integer", datetime: "datetime"}[field.kind] || "string";
            };
            this.getRequiredLevel = function () { return "none"; };
            this.setRequiredLevel = function () {};
            this.addOnChange = function (handler) { handlers.push(handler); };
            this.removeOnChange = function (handler) { handlers = handlers.filter(function (h) { return h !== handler; }); };
            this.fireOnChange = function () {
                handlers.forEach(function (h) { h(executionContext(attribute)); });
            };
            this.reset = function (v) { value = v; dirty = false; submit = "dirty"; };
            this.wanted = function () { return dirty || submit === "always"; };
        }

        function Control(field, attribute) {
            var control = this, keyHandlers = [], presearch = [], filters = [], node = el("div", {"class": "console-field"});
            var input = null, disabled = !!field.readonly, messages = {};
            this.node = node;
            this.getName = function () { return field.name; };
            this.getAttribute = function () { return attribute; };
            this.getLabel = function () { return text(field.label); };
            this.getControlType = function () {
                return {lookup: "lookup", choice: "optionset", webresource: "webresource", subgrid: "subgrid"}[field.kind] || "standard";
            };
            this.getDisabled = function () { return disabled; };
            this.setDisabled = function (d) { disabled = d; if (input) { input.disabled = d; } };
            this.setVisible = function (v) { node.hidden = !v; };
            this.getVisible = function () { return !node.hidden; };
            /** The text as typed so far (key presses update it before the attribute). */
            this.getValue = function () { return input ? input.value : attribute.getValue(); };
            this.addOnKeyPress = function (handler) { keyHandlers.push(handler); };
            this.setNotification = function (message, id) { messages[id || "default"] = {text: message, level: "ERROR"}; draw(); return true; };
            this.addNotification = function (notification) {
                messages[notification.uniqueId || "default"] = {text: notification.messages.join(" "), level: notification.notificationLevel || "ERROR"};
                draw();
                return true;
            };
            this.clearNotification = function (id) {
                if (id) { delete messages[id]; } else { messages = {}; }
                draw();
                return true;
            };
            this.addPreSearch = function (handler) { presearch.push(handler); };
            this.addCustomFilter = function (fetchFilter) { filters.push(fetchFilter); };
            this.getContentWindow = function () {
                var frame = node.querySelector("iframe");
                return new Promise(function (resolve) {
                    if (frame.contentDocument && frame.contentDocument.readyState === "complete" && frame.getAttribute("data-ready")) {
                        resolve(frame.contentWindow);
                    } else {
                        frame.addEventListener("load", function () { resolve(frame.contentWindow); }, {once: true});
                    }
                });
            };
            var notes = el("div", {"class": "console-control-notifications"});
            function draw() {
                notes.innerHTML = "";
                Object.keys(messages).forEach(function (id) {
                    notes.appendChild(el("div", {"class": "console-control-notification console-" + messages[id].level.toLowerCase(),
                                                 "data-id": id, text: messages[id].text}));
                });
            }

            /** FetchXML conditions of addCustomFilter as an OData $filter (eq only: what the scripts use). */
            function odataFilter() {
                presearch.forEach(function (h) { h(executionContext(control)); });
                var found = [], pattern = /<condition attribute="([^"]+)" operator="eq" value="([^"]*)"/g, m;
                filters.forEach(function (f) {
                    while ((m = pattern.exec(f)) !== null) { found.push(m[1] + " eq " + (/^\d+$/.test(m[2]) ? m[2] : "'" + m[2] + "'")); }
                });
                filters = [];
                return found.length ? "&$filter=" + found.join(" and ") : "";
            }

            function fillLookup(select) {
                var target = field.targets[0], table = tableOf(target);
                return WebApi.retrieveMultipleRecords(target, "?$select=" + table.id + "," + table.name + odataFilter() +
                                                      "&$orderby=" + table.name + " asc").then(function (answer) {
                    var current = attribute.getValue(), currentId = current ? bare(current[0].id) : "";
                    select.innerHTML = "";
                    select.appendChild(el("option", {value: "", text: "--"}));
                    answer.entities.forEach(function (row) {
                        var o = el("option", {value: row[table.id], text: row[table.name]});
                        if (bare(row[table.id]) === currentId) { o.selected = true; }
                        select.appendChild(o);
                    });
                });
            }

            /** A read-only subgrid: the rows of field.table whose lookup field.lookup is this record. */
            function fillSubgrid(grid) {
                var head = "<thead><tr>" + field.columns.map(function (c) { return "<th>" + escapeHtml(text(c.label)) + "</th>"; })
                    .join("") + "</tr></thead>";
                if (!model.id) { grid.innerHTML = head; return Promise.resolve(); }
                var options = "?$select=" + field.columns.map(function (c) { return c.name; }).join(",") +
                    "&$filter=_" + field.lookup + "_value eq " + bare(model.id) + "&$orderby=" + field.order;
                return WebApi.retrieveMultipleRecords(field.table, options).then(function (answer) {
                    grid.innerHTML = head + "<tbody>" + answer.entities.map(function (row) {
                        return "<tr>" + field.columns.map(function (c) {
                            var shown = row[c.name + "@OData.Community.Display.V1.FormattedValue"];
                            var value = shown === undefined ? row[c.name] : shown;
                            if (typeof value === "string" && /^\d{4}-\d\d-\d\dT[\d:]+Z$/.test(value)) {
                                value = new Date(value).toLocaleString(language === "fr" ? "fr-FR" : "en-GB");
                            }
                            return "<td>" + escapeHtml(value) + "</td>";
                        }).join("") + "</tr>";
                    }).join("") + "</tbody>";
                    grid.setAttribute("data-rows", String(answer.entities.length));
                });
            }

            this.render = function () {
                var value = attribute ? attribute.getValue() : null;
                if (!input) { return; }
                if (field.kind === "lookup") {
                    if (input.tagName === "SPAN") {
                        input.textContent = value && value.length ? value[0].name : "--";
                    } else if (value && value.length && !input.querySelector("option[value='" + bare(value[0].id) + "']")) {
                        input.appendChild(el("option", {value: bare(value[0].id), text: value[0].name || value[0].id}));
                        input.value = bare(value[0].id);
                    } else {
                        input.value = value && value.length ? bare(value[0].id) : "";
                    }
                } else if (input.value !== (value === null || value === undefined ? "" : String(value))) {
                    input.value = value === null || value === undefined ? "" : String(value);
                }
            };

            this.build = function () {
                var id = "field-" + field.name;
                if (field.kind === "subgrid") {
                    node.classList.add("console-subgrid-field");
                    node.appendChild(el("h3", {"class": "console-subgrid-title", text: text(field.label)}));
                    var grid = el("table", {id: id, "class": "smsc-table console-subgrid"});
                    node.appendChild(grid);
                    control.refresh = function () { return fillSubgrid(grid); };
                    control.refresh();
                    return node;
                }
                if (field.kind === "webresource") {
                    var src = "/WebResources/" + field.src + (field.pass_parameters && model.id
                        ? "?id=%7B" + model.id.toUpperCase() + "%7D&typename=" + model.entity + "&userlcid=" + cfg.user.languageId
                          + "&orglcid=1036" : "");
                    var frame = el("iframe", {src: src, id: id, "class": "console-webresource", title: text(field.label),
                                              style: "height:" + (field.height || 200) + "px"});
                    frame.addEventListener("load", function () { frame.setAttribute("data-ready", "1"); });
                    node.classList.add("console-webresource-field");
                    node.appendChild(frame);
                    return node;
                }
                node.appendChild(el("label", {"for": id, "class": "console-field-label", text: text(field.label)}));
                if (field.kind === "memo") {
                    input = el("textarea", {id: id, rows: "4"});
                } else if (field.kind === "choice") {
                    input = el("select", {id: id});
                    input.appendChild(el("option", {value: "", text: "--"}));
                    field.options.forEach(function (o) { input.appendChild(el("option", {value: String(o.value), text: text(o.label)})); });
                } else if (field.kind === "lookup" && field.readonly) {
                    input = el("span", {id: id, "class": "console-lookup-readonly"});
                } else if (field.kind === "lookup") {
                    input = el("select", {id: id});     // searched once the form's OnLoad added its filters
                    input.addEventListener("focus", function () { fillLookup(input); });
                    control.search = function () { return fillLookup(input); };
                } else {
                    input = el("input", {id: id, type: "text"});
                }
                var wrapper = el("div", {"class": "console-field-input"}, [input]);
                if (field.button) {
                    var button = el("button", {type: "button", "class": "smsc-button", text: text(field.button.label)});
                    button.addEventListener("click", function () { resolveFunction(field.button["function"])(formContext); });
                    wrapper.appendChild(button);
                }
                node.appendChild(wrapper);
                node.appendChild(notes);
                if (input.tagName !== "SPAN") {
                    input.disabled = disabled;
                    input.addEventListener("input", function () {
                        keyHandlers.forEach(function (h) { h(executionContext(control)); });
                    });
                    input.addEventListener("change", function () {
                        var v = input.value;
                        if (field.kind === "lookup") {
                            var chosen = input.selectedOptions[0];
                            v = v ? [{id: v, entityType: field.targets[0], name: chosen ? chosen.textContent : ""}] : null;
                        } else if (field.kind === "choice" && !field.text_values) {
                            v = v === "" ? null : Number(v);
                        } else if (field.kind === "number") {
                            v = v === "" ? null : Number(v);
                        } else if (v === "") {
                            v = null;
                        }
                        attribute.setValue(v);
                        attribute.fireOnChange();
                    });
                }
                control.render();
                return node;
            };
        }

        layout.fields.forEach(function (field) {
            var attribute = null;
            if (field.kind !== "webresource" && field.kind !== "subgrid") {
                attribute = new Attribute(field);
                attributes[field.name] = attribute;
                (layout.onchange && layout.onchange[field.name] || []).forEach(function (name) {
                    attribute.addOnChange(function (context) { resolveFunction(name)(context); });
                });
            }
            var control = new Control(field, attribute);
            if (attribute) { attribute.controls.push(control); }
            controls[field.name] = control;
            order.push({field: field, control: control});
        });

        function drawNotifications() {
            var box = document.getElementById("console-notifications");
            box.innerHTML = "";
            Object.keys(notifications).forEach(function (id) {
                box.appendChild(el("div", {"class": "console-notification console-" + notifications[id].level.toLowerCase(),
                                           "data-id": id, text: notifications[id].text}));
            });
        }

        // The data OnLoad event, as in Dynamics: after formContext.data.refresh and after a save (handlers added
        // with formContext.data.addOnLoad; the form's first load runs the form OnLoad handlers instead).
        function dataLoaded() {
            loaded.forEach(function (handler) { handler(executionContext(null)); });
        }

        function refreshFrom(next) {
            model = form.model = next;
            Object.keys(attributes).forEach(function (name) {
                attributes[name].reset(next.attributes[name]);
                attributes[name].controls.forEach(function (c) { c.render(); });
            });
            document.getElementById("console-title").textContent = text(layout.title) + (next.id ? "" : (language === "fr" ? " (nouveau)" : " (new)"));
        }

        function save() {
            var changes = {}, forced = [];
            Object.keys(attributes).forEach(function (name) {
                var value = attributes[name].getValue();     // a new record takes every value it has
                if (attributes[name].wanted() || (!model.id && value !== null)) { changes[name] = value; }
                if (attributes[name].getSubmitMode() === "always") { forced.push(name); }
            });
            var language = cfg.user.language;
            return fetch("/console/save?lang=" + language, {method: "POST", headers: {"Content-Type": "application/json"},
                body: JSON.stringify({entity: model.entity, id: model.id, changes: changes, forced: forced})})
                .then(function (response) {
                    return response.json().then(function (body) {
                        if (!response.ok) {
                            return Promise.reject({message: (body.error && body.error.message) || ("HTTP " + response.status)});
                        }
                        var created = !model.id;
                        refreshFrom(body);
                        dataLoaded();
                        if (created) { history.replaceState(null, "", "/console/form?entity=" + model.entity + "&id=" + body.id); }
                        document.body.setAttribute("data-saved", String(Date.now()));
                        return body;
                    });
                });
        }

        function refresh(saveFirst) {
            var before = saveFirst ? save() : Promise.resolve();
            return before.then(function () {
                if (!model.id) { return null; }
                return fetch("/console/record?entity=" + model.entity + "&id=" + model.id).then(function (r) { return r.json(); })
                    .then(function (next) { refreshFrom(next); dataLoaded(); return next; });
            });
        }

        var formContext = {
            getAttribute: function (name) {
                if (name === undefined) { return Object.keys(attributes).map(function (n) { return attributes[n]; }); }
                return attributes[name] || null;
            },
            getControl: function (name) { return controls[name] || null; },
            data: {
                entity: {
                    getId: function () { return model.id ? "{" + model.id.toUpperCase() + "}" : ""; },
                    getEntityName: function () { return model.entity; },
                    getIsDirty: function () { return Object.keys(attributes).some(function (n) { return attributes[n].getIsDirty(); }); },
                    save: function () { return save(); },
                    addOnSave: function () {}
                },
                save: save,
                refresh: refresh,
                addOnLoad: function (handler) { loaded.push(handler); }
            },
            ui: {
                setFormNotification: function (message, level, id) { notifications[id] = {text: message, level: level}; drawNotifications(); return true; },
                clearFormNotification: function (id) { delete notifications[id]; drawNotifications(); return true; },
                getFormType: function () { return model.id ? 2 : 1; },
                controls: {
                    forEach: function (callback) { order.forEach(function (entry, index) { callback(entry.control, index); }); },
                    get: function (name) { return name === undefined ? order.map(function (e) { return e.control; }) : controls[name]; }
                },
                close: function () { window.location.href = "/"; }
            }
        };
        this.formContext = formContext;
        this.start = function () {
            var root = document.getElementById("console-form");
            order.forEach(function (entry) {
                if (!entry.field.hidden) { root.appendChild(entry.control.build()); }
            });
            var bar = document.getElementById("console-commandbar");
            (layout.commands || []).forEach(function (command) {
                var button = el("button", {type: "button", "class": "smsc-button" + (command.primary ? " smsc-primary" : ""),
                                           text: text(command.label)});
                button.addEventListener("click", function () {
                    if (command.save) {
                        save().catch(function (error) { Navigation.openAlertDialog({text: error.message}); });
                    } else { resolveFunction(command["function"])(formContext); }
                });
                bar.appendChild(button);
            });
            refreshFrom(model);
            window.Xrm.Page = formContext;
            (layout.onload || []).forEach(function (name) { resolveFunction(name)(executionContext(null)); });
            order.forEach(function (entry) { if (entry.control.search) { entry.control.search(); } });
            document.body.setAttribute("data-form-ready", "1");
        };
    }

    cfg.openForm = function (layout, model) {
        var form = new Form(layout, model);
        cfg.form = form;
        form.start();
        return form;
    };

    // ---- a grid with a selection and its « SMS » command (seed 003) -----------------------------------------
    cfg.openGrid = function (entity) {
        var table = tableOf(entity), root = document.getElementById("console-grid");
        var french = language === "fr";
        var bar = el("div", {"class": "console-commandbar"});
        var sms = el("button", {type: "button", "class": "smsc-button smsc-primary", id: "console-grid-sms", text: "SMS"});
        bar.appendChild(sms);
        var count = el("span", {"class": "console-selection", id: "console-selection"});
        bar.appendChild(count);
        root.appendChild(bar);
        var grid = el("table", {"class": "smsc-table console-grid"});
        root.appendChild(grid);
        function selected() {
            return Array.prototype.map.call(grid.querySelectorAll("input:checked"), function (box) { return box.value; });
        }
        function update() {
            var n = selected().length;
            count.textContent = french ? "Actions pour " + n + " sélectionné(s)" : "Actions for " + n + " selected";
            sms.disabled = !Smsc.BulkSms.canOpen(n);
        }
        sms.addEventListener("click", function () {
            Smsc.BulkSms.open(selected().map(function (id) { return "{" + id.toUpperCase() + "}"; }), entity);
        });
        WebApi.retrieveMultipleRecords(entity, "?$select=" + table.id + "," + table.name + ",mobilephone&$orderby=" + table.name + " asc")
            .then(function (answer) {
                grid.innerHTML = "<thead><tr><th></th><th>" + (french ? "Nom" : "Name") + "</th><th>" +
                    (french ? "Téléphone mobile" : "Mobile phone") + "</th></tr></thead>";
                var body = el("tbody");
                answer.entities.forEach(function (row) {
                    var box = el("input", {type: "checkbox", value: row[table.id], "aria-label": row[table.name]});
                    box.addEventListener("change", update);
                    body.appendChild(el("tr", {}, [el("td", {}, [box]), el("td", {text: row[table.name]}),
                                                   el("td", {text: row.mobilephone || ""})]));
                });
                grid.appendChild(body);
                update();
                document.body.setAttribute("data-grid-ready", "1");
            });
    };
}());
