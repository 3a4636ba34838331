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

// Upload progress of the import form (htmx reports the bytes sent).
document.addEventListener("htmx:xhr:progress", function (event) {
  var bar = document.getElementById("upload-progress");
  if (bar && event.detail && event.detail.lengthComputable) {
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
  }
});

// Forms sent by htmx show the server's answer even when it refuses the input (422) or the request (403),
// so a clerk always sees why an upload did not start.
document.addEventListener("htmx:beforeSwap", function (event) {
  var status = event.detail.xhr && event.detail.xhr.status;
  if (status === 400 || status === 403 || status === 413 || status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
