// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("htmx:responseError", function (event) {
  // htmx 2 does not swap 4xx/5xx responses: show the server's error fragment in the flash area.
  var flash = document.getElementById("flash");
  if (flash && event.detail.xhr) {
    flash.innerHTML = event.detail.xhr.responseText;
  }
});
document.addEventListener("htmx:sendError", function () {
  var flash = document.getElementById("flash");
  if (flash) {
    flash.innerHTML = '<div class="flash error" role="alert"><strong>No connection.</strong> The server could not be reached; please try again.</div>';
  }
});
