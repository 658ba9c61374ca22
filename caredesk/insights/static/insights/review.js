// The review's "Print or save as PDF" button (no inline handlers under the CSP).
document.addEventListener("click", function (e) {
  if (e.target && e.target.matches && e.target.matches("[data-print]")) { window.print(); }
});
