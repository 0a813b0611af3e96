// Placeholder for smsc_/js/template_form.js: replaced by the web resources of issue 9 at merge.
"use strict";
var Smsc = window.Smsc || (window.Smsc = {});
