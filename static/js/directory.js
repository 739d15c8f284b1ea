// Progressive enhancement for /vendors. Everything works without this file: the form is a plain GET form
// whose every state is a URL, so results can be bookmarked and the Back button works.
(() => {
  const form = document.getElementById("filters");
  if (!form) return;
  const panel = document.getElementById("filter-panel");
  const RETURN_KEY = "directory:return-to";

  // The controls must show what this page's URL says. Coming back with Back/Forward, the browser may
  // restore the page as it was left (with the box just ticked still ticked) or refill the form from its
  // memory; either way, go back to the values the server rendered.
  const [navigation] = performance.getEntriesByType("navigation");
  const cameBack = navigation && navigation.type === "back_forward";
  window.addEventListener("pageshow", (event) => {
    form.removeAttribute("aria-busy");
    if (event.persisted || cameBack) form.reset();
  });

  // Submit the same GET request the browser would, minus empty fields (no search words, no rate bounds),
  // so shared links stay short.
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (String(value).trim() !== "") query.append(name, value);
    }
    const target = new URL(form.action);
    target.search = query.toString();
    form.setAttribute("aria-busy", "true");
    window.location.assign(target);
  });

  // Ticking a box or choosing from a list applies the filter at once. Typed fields (search, rates) wait for
  // Enter or the Apply button, so a half-typed number never reloads the page.
  form.querySelectorAll("input[type=checkbox], select").forEach((control) => {
    control.addEventListener("change", () => {
      remember(control);
      form.requestSubmit();
    });
  });

  // After that reload, put the reader back where they were, focus on the control they used, so keyboard
  // and screen-reader users do not start again from the top of the page.
  function remember(control) {
    try {
      sessionStorage.setItem(
        RETURN_KEY,
        JSON.stringify({ id: control.id, y: window.scrollY, path: location.pathname, at: Date.now() }),
      );
    } catch {
      // Storage may be disabled; the filter still applies.
    }
  }

  function returnToControl() {
    let saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(RETURN_KEY) || "null");
      sessionStorage.removeItem(RETURN_KEY);
    } catch {
      return;
    }
    if (!saved || saved.path !== location.pathname || Date.now() - saved.at > 15000) return;
    if (cameBack) return;
    const control = document.getElementById(saved.id);
    if (!control) return;
    if (panel && panel.contains(control)) panel.open = true;
    window.scrollTo(0, saved.y);
    control.focus({ preventScroll: true });
  }

  // The facet panel is a <details>, closed on phones. Wide screens show it through CSS (::details-content);
  // browsers without that get it opened here.
  const wide = window.matchMedia("(min-width: 56.01em)");
  if (panel && wide.matches && !CSS.supports("selector(::details-content)")) panel.open = true;

  // Long facet lists scroll inside their own box: bring the first ticked value into that box's view.
  form.querySelectorAll(".facet-values.long").forEach((list) => {
    const ticked = list.querySelector("input:checked");
    if (!ticked) return;
    const offset = ticked.getBoundingClientRect().top - list.getBoundingClientRect().top;
    if (offset > list.clientHeight - 32) list.scrollTop += offset - list.clientHeight / 3;
  });

  returnToControl();
})();
