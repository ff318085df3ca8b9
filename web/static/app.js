/* OneThing's page behaviour. The Content-Security-Policy runs no inline script, so pages mark what they need
   with data attributes and this file attaches the handlers. Everything works without it except printing. */
"use strict";

document.addEventListener("click", function (event) {
  // <button data-print>: print the page (the receipt at the intake desk).
  var button = event.target instanceof Element ? event.target.closest("[data-print]") : null;
  if (button) {
    event.preventDefault();
    window.print();
  }
});
