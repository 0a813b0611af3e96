// Placeholder for smsc_/js/api.js: replaced by the web resources of issue 9 at merge.
"use strict";
var Smsc = window.Smsc || (window.Smsc = {});
