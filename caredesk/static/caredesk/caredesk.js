// Caredesk's own behaviour, kept out of the pages so the Content-Security-Policy can forbid
// inline script. Listeners sit on the document, so content that htmx swaps in works too.
"use strict";

// A <select data-autosubmit> submits its form as soon as it changes (e.g. the presence menu).
document.addEventListener("change", (event) => {
  const field = event.target;
  if (field instanceof HTMLSelectElement && field.hasAttribute("data-autosubmit") && field.form) {
    field.form.requestSubmit();
  }
});
