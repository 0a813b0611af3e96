// smsc_/js/template_form.js — the SMS template form (smsc_smstemplate). Form OnLoad ->
// Smsc.TemplateForm.onLoad (pass the execution context): hands the client API and the form to the
// web resources on the form (the merge-field picker smsc_/html/mergefield_picker.html): Smsc.Api.connectWebResources.
var Smsc = window.Smsc = window.Smsc || {};
Smsc.TemplateForm = (function () {
    "use strict";

    function onLoad(executionContext) {
        var formContext = executionContext.getFormContext();
        Smsc.Api.connectWebResources(formContext);
    }

    return {onLoad: onLoad};
}());
