// smsc_/js/grid_sms.js — « SMS » on the contact, lead and account grids (seed 003: « Actions pour X
// sélectionnés → Sms »). Command: Smsc.BulkSms.open with the CRM parameters SelectedControlSelectedItemIds
// and SelectedEntityTypeName. Opens smsc_/html/bulk_sms.html as a dialog (Xrm.Navigation.navigateTo), where the
// selection becomes a one-off campaign (a static list of the records): the same checks, reports and cost as any
// campaign, then one send.
var Smsc = window.Smsc = window.Smsc || {};
Smsc.BulkSms = (function () {
    "use strict";
    var PAGE = "smsc_/html/bulk_sms.html", MAX_RECORDS = 250;
    var TABLES = ["contact", "lead", "account"];

    function xrm() { return (Smsc.Api && Smsc.Api.xrm()) || window.Xrm; }

    function open(selectedIds, entityTypeName) {
        var ids = (selectedIds || []).map(function (id) { return id.replace(/[{}]/g, "").toLowerCase(); });
        var french = Number(xrm().Utility.getGlobalContext().userSettings.languageId) === 1036;
        if (!ids.length || TABLES.indexOf(entityTypeName) < 0) {
            return xrm().Navigation.openAlertDialog({text: french
                ? "Sélectionnez des contacts, des prospects ou des comptes."
                : "Select contacts, leads or accounts."});
        }
        if (ids.length > MAX_RECORDS) {
            return xrm().Navigation.openAlertDialog({text: french
                ? "Au plus " + MAX_RECORDS + " enregistrements à la fois : pour plus, faites une campagne."
                : "At most " + MAX_RECORDS + " records at once: for more, run a campaign."});
        }
        var data = JSON.stringify({entity: entityTypeName, ids: ids});
        return xrm().Navigation.navigateTo(
            {pageType: "webresource", webresourceName: PAGE, data: data},
            {target: 2, position: 1, width: {value: 70, unit: "%"}, height: {value: 80, unit: "%"},
             title: french ? "SMS aux " + ids.length + " sélectionnés" : "SMS to the " + ids.length + " selected"});
    }

    /** Enable rule: a selection of one record or more. */
    function canOpen(selectedCount) { return selectedCount > 0 && selectedCount <= MAX_RECORDS; }

    return {open: open, canOpen: canOpen};
}());
