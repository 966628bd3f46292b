// Small progressive enhancements; every page works without JavaScript.
document.addEventListener("htmx:responseError", function (event) {
  // htmx 2 does not swap 4xx/5xx responses: show the server's error fragment in the flash area.
  var flash = document.getElementById("flash");
  if (flash && event.detail.xhr) {
    flash.innerHTML = event.detail.xhr.responseText;
  }
});
// A form marked data-swap-invalid re-renders itself with the messages next to its fields (422): swap that in.
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status === 422 && event.detail.requestConfig.elt.closest("[data-swap-invalid]")) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
document.addEventListener("htmx:sendError", function () {
  var flash = document.getElementById("flash");
  if (flash) {
    flash.innerHTML = '<div class="flash error" role="alert"><strong>No connection.</strong> The server could not be reached; please try again.</div>';
  }
});

// Typeahead under the header search box: arrow keys move through the options, Enter opens one, Escape closes.
(function () {
  var input = document.getElementById("site-search");
  var box = document.getElementById("suggestions");
  if (!input || !box) return;
  function options() { return Array.prototype.slice.call(box.querySelectorAll('[role="option"]')); }
  function close() { box.innerHTML = ""; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); }
  function select(index) {
    var all = options();
    all.forEach(function (o, i) { o.setAttribute("aria-selected", i === index ? "true" : "false"); });
    if (all[index]) { input.setAttribute("aria-activedescendant", all[index].id); } else { input.removeAttribute("aria-activedescendant"); }
  }
  document.body.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target === box) { input.setAttribute("aria-expanded", options().length ? "true" : "false"); }
  });
  input.addEventListener("keydown", function (event) {
    var all = options();
    var current = all.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    if (event.key === "ArrowDown" && all.length) { event.preventDefault(); select((current + 1) % all.length); }
    else if (event.key === "ArrowUp" && all.length) { event.preventDefault(); select(current <= 0 ? all.length - 1 : current - 1); }
    else if (event.key === "Escape") { close(); }
    else if (event.key === "Enter" && current >= 0) { event.preventDefault(); window.location.href = all[current].dataset.href; }
  });
  document.addEventListener("click", function (event) { if (!box.contains(event.target) && event.target !== input) close(); });
})();
