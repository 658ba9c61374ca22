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

// Collision detection: while the agent types a reply, the presence poll (#presence) says so;
// the flag drops a few seconds after the last key.
let typingTimer = 0;
document.addEventListener("input", (event) => {
  const field = event.target;
  const flag = document.getElementById("typing-flag");
  if (!(field instanceof HTMLTextAreaElement) || field.id !== "reply-text" || !flag) return;
  flag.value = "1";
  clearTimeout(typingTimer);
  typingTimer = setTimeout(() => { flag.value = ""; }, 6000);
});

// The reply box is swapped whole when a rewrite or a saved reply is applied: the cursor goes
// back into the text, at its end, so the agent keeps typing.
document.addEventListener("htmx:afterSwap", (event) => {
  const box = document.getElementById("reply-box");
  const text = document.getElementById("reply-text");
  if (!box || !(text instanceof HTMLTextAreaElement)) return;
  const swapped = (event.detail && event.detail.target) || event.target;
  if (swapped.id === "reply-box" || event.target.id === "reply-box") {
    text.focus();
    text.setSelectionRange(text.value.length, text.value.length);
  }
});

// <input data-filter-options="#select-id">: keeps only the options whose words match, and
// selects the first that does.
document.addEventListener("input", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLInputElement) || !field.dataset.filterOptions) return;
  const select = document.querySelector(field.dataset.filterOptions);
  if (!(select instanceof HTMLSelectElement)) return;
  const words = field.value.toLowerCase().split(/\s+/).filter(Boolean);
  let first = null;
  for (const option of select.options) {
    const text = option.textContent.toLowerCase();
    const match = words.every((w) => text.includes(w));
    option.hidden = !match;
    if (match && !first) first = option;
  }
  if (first) first.selected = true;
});

// Keyboard shortcuts at the desk (the list is the #shortcuts-help dialog in base.html; "?" opens
// it). They never fire while a text box, a menu or a dialog has the keyboard.
const SHORTCUTS = {
  n: () => document.getElementById("take-next-shortcut")?.requestSubmit(),
  r: () => focusField("reply-text"),
  i: () => focusField("note-text"),
  e: () => openDialog("resolve-confirm"), // resolving asks first: Enter confirms, Esc cancels
  "/": () => focusField("header-search"),
};
const GO_TO = { q: "/desk/", m: "/desk/mine/" };
let pendingG = 0;

function openDialog(id) {
  const dialog = document.getElementById(id);
  if (dialog instanceof HTMLDialogElement && !dialog.open) dialog.showModal();
}

function focusField(id) {
  const field = document.getElementById(id);
  if (!field) return;
  field.scrollIntoView({ block: "center" });
  field.focus();
}

function typingIn(target) {
  return target instanceof HTMLElement && (target.isContentEditable ||
    ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

document.addEventListener("keydown", (event) => {
  const help = document.getElementById("shortcuts-help");
  if (!(help instanceof HTMLDialogElement) || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "Escape" && typingIn(event.target)) {
    event.target.blur();
    return;
  }
  if (typingIn(event.target) || event.isComposing) return;
  // Another dialog (e.g. "Resolve?") has the keyboard: its buttons take Enter, Esc closes it.
  if (document.querySelector("dialog[open]:not(#shortcuts-help)")) return;
  if (event.key === "?") {
    event.preventDefault();
    if (help.open) help.close(); else help.showModal();
    return;
  }
  if (help.open) return;
  if (pendingG && Date.now() - pendingG < 1500 && GO_TO[event.key]) {
    event.preventDefault();
    pendingG = 0;
    window.location.assign(GO_TO[event.key]);
    return;
  }
  pendingG = event.key === "g" ? Date.now() : 0;
  const action = SHORTCUTS[event.key];
  if (action) {
    event.preventDefault();
    action();
  }
});
