// smsc_/js/template_form.js — the SMS template form (smsc_smstemplate). Form OnLoad ->
// Smsc.TemplateForm.onLoad (pass the execution context): hands the client API and the form to the
// web resources on the form (the merge-field picker smsc_/html/mergefield_picker.html), the way
// Microsoft documents it (getContentWindow, then the page's setClientApiContext).
var Smsc = window.Smsc = window.Smsc || {};
Smsc.TemplateForm = (function () {
    "use strict";

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

    function onLoad(executionContext) {
        var formContext = executionContext.getFormContext();
        connectWebResources(formContext);
    }

    return {onLoad: onLoad, connectWebResources: connectWebResources};
}());
