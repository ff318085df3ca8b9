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

// <form data-upload>: send each chosen (or dropped) file as its own request, with a progress bar, then reload.
// Without this script the form posts all files at once and the server answers the same way.
document.addEventListener("submit", function (event) {
  var form = event.target instanceof HTMLFormElement && event.target.matches("[data-upload]") ? event.target : null;
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var input = form.querySelector("input[type=file]");
  var bar = form.querySelector("progress");
  var files = Array.prototype.slice.call(input.files || []);
  if (!files.length) return;
  event.preventDefault();
  var total = files.reduce(function (sum, f) { return sum + f.size; }, 0) || 1;
  var done = 0;
  bar.hidden = false;
  form.querySelector("button").disabled = true;
  (function next(i) {
    if (i >= files.length) { window.location.reload(); return; }
    var data = new FormData();
    data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
    data.append("file", files[i], files[i].name);
    var request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.upload.addEventListener("progress", function (e) {
      bar.value = Math.round(100 * (done + e.loaded) / total);
    });
    request.addEventListener("load", function () {
      if (request.status >= 400) { document.open(); document.write(request.responseText); document.close(); return; }
      done += files[i].size;
      next(i + 1);
    });
    request.addEventListener("error", function () { form.querySelector("button").disabled = false; bar.hidden = true; });
    request.send(data);
  })(0);
});

// <label class="dropzone">: files dropped on it go into its file input.
["dragover", "drop"].forEach(function (type) {
  document.addEventListener(type, function (event) {
    var zone = event.target instanceof Element ? event.target.closest(".dropzone") : null;
    if (!zone) return;
    event.preventDefault();
    if (type === "drop" && event.dataTransfer && event.dataTransfer.files.length) {
      zone.querySelector("input[type=file]").files = event.dataTransfer.files;
    }
  });
});

// <form data-upload-form>: a form carrying files (the desk's) is sent with a progress bar; the answer (the
// receipt after a redirect, or the form again with its errors) replaces the page. Without this script the form
// posts as usual.
document.addEventListener("submit", function (event) {
  var form = event.target instanceof HTMLFormElement && event.target.matches("[data-upload-form]") ? event.target : null;
  if (!form || !window.XMLHttpRequest || !window.FormData) return;
  var bar = form.querySelector("progress");
  var hasFiles = Array.prototype.some.call(form.querySelectorAll("input[type=file]"), function (i) { return i.files && i.files.length; });
  if (!bar || !hasFiles) return;
  event.preventDefault();
  bar.hidden = false;
  var request = new XMLHttpRequest();
  request.open("POST", form.action);
  request.upload.addEventListener("progress", function (e) {
    if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
  });
  request.addEventListener("load", function () {
    // The answer is the page to show (its flash message already taken): show it at its own address.
    if (request.responseURL && window.history && history.replaceState) history.replaceState(null, "", request.responseURL);
    document.open(); document.write(request.responseText); document.close();
  });
  request.addEventListener("error", function () { bar.hidden = true; form.submit(); });
  request.send(new FormData(form));
});
