// Accessibility for Material's own markup, on every page (served with the site, no outside
// host): a wide table's scrolling wrapper can take the keyboard focus and has a name, and
// the search dialog has a name.
function onsaleAccessible() {
  document.querySelectorAll(".md-typeset__scrollwrap").forEach(function (wrap) {
    if (!wrap.hasAttribute("tabindex")) {
      wrap.setAttribute("tabindex", "0");
      wrap.setAttribute("role", "region");
      wrap.setAttribute("aria-label", "Table, scrolls sideways");
    }
  });
  var search = document.querySelector(".md-search[role=dialog]");
  if (search && !search.hasAttribute("aria-label")) {
    search.setAttribute("aria-label", "Search");
  }
}
if (typeof document$ !== "undefined") {
  document$.subscribe(onsaleAccessible);
} else {
  document.addEventListener("DOMContentLoaded", onsaleAccessible);
}
