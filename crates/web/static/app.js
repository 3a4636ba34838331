// ipbridge page behaviour. Kept in a file (no inline script) so the Content-Security-Policy can forbid
// inline scripts entirely.
"use strict";

// Forms marked data-confirm ask before they submit (disable an account, reset a password…).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
