// The links the registry sends (an invitation, the confirmation of a registration) carry their one-time code in
// the fragment (#…), which browsers never send to the server, so the code stays out of access logs and proxies.
// This script moves it into the page's form and takes it out of the address bar and the history; a form marked
// data-submit-with-code is then submitted at once (opening an invitation only shows it). Without the script, the
// person pastes the code into the field.
(function () {
  "use strict";

  var field = document.querySelector("input[data-link-code]");
  if (!field || location.hash.length < 2) return;
  field.value = decodeURIComponent(location.hash.slice(1));
  history.replaceState(null, "", location.pathname + location.search);
  if (field.form && field.form.hasAttribute("data-submit-with-code")) field.form.submit();
})();
