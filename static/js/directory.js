// Progressive enhancement for /vendors. Everything works without this file: the form is a plain GET form
// whose every state is a URL, so results can be bookmarked and the Back button works.
(() => {
  const form = document.getElementById("filters");
  if (!form) return;
  let panel = document.getElementById("filter-panel");

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
    form.setAttribute("aria-busy", "true");
    window.location.assign(targetUrl());
  });

  function targetUrl() {
    const query = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (String(value).trim() !== "") query.append(name, value);
    }
    const target = new URL(form.action);
    target.search = query.toString();
    return target;
  }

  // Ticking a box or choosing from a list applies the filter at once, in place: the filters and results
  // are replaced by the server's new page, the address changes (Back returns to it), focus stays on the
  // control, and the result count and first result are brought into view. Typed fields (search, rates)
  // wait for Enter or the Apply button, so a half-typed number never reloads the page.
  let pending = null;
  form.addEventListener("change", (event) => {
    if (event.target.matches("input[type=checkbox], select")) applyInPlace(event.target);
  });

  async function applyInPlace(control) {
    const target = targetUrl();
    const request = (pending = new AbortController());
    form.setAttribute("aria-busy", "true");
    let next;
    // Where the server settled: it redirects a form's own bookkeeping (shown_q, shown_sort) away, and the
    // address bar, history and links taken from it must carry the clean address, as without this file.
    let landed;
    try {
      const response = await fetch(target, { headers: { Accept: "text/html" }, signal: request.signal });
      if (!response.ok) throw new Error(`status ${response.status}`);
      landed = new URL(response.url);
      landed.hash = target.hash;
      next = new DOMParser().parseFromString(await response.text(), "text/html");
    } catch (error) {
      if (error.name !== "AbortError") window.location.assign(target);
      return;
    }
    if (request !== pending) return; // a later change is on its way
    const nextForm = next.getElementById("filters");
    const nextResults = next.getElementById("results");
    if (!nextForm || !nextResults) {
      window.location.assign(target);
      return;
    }
    const panelOpen = panel ? panel.open : false;
    const listScroll = [...form.querySelectorAll(".facet-values")].map((list) => list.scrollTop);
    const formScroll = form.scrollTop;
    form.replaceChildren(...[...nextForm.childNodes].map((node) => document.adoptNode(node)));
    document.getElementById("results").replaceWith(document.adoptNode(nextResults));
    document.title = next.title;
    history.pushState({ directory: true }, "", landed);
    shown = location.pathname + location.search;
    panel = document.getElementById("filter-panel");
    if (panel) panel.open = panelOpen;
    form.querySelectorAll(".facet-values").forEach((list, i) => (list.scrollTop = listScroll[i] || 0));
    form.scrollTop = formScroll;
    form.removeAttribute("aria-busy");
    const again = control.id && document.getElementById(control.id);
    if (again) again.focus({ preventScroll: true });
    bringResultsIntoView();
    document.dispatchEvent(new CustomEvent("directory:updated"));
  }

  // The count and the first result belong in the first screen: scroll only when they are not there.
  function bringResultsIntoView() {
    const heading = document.getElementById("results-heading");
    const first = document.querySelector("ol.vendor-list > li");
    const bottom = (first || heading).getBoundingClientRect().top + 80;
    const top = heading.getBoundingClientRect().top;
    if (top < 0 || bottom > window.innerHeight) {
      document.getElementById("results").scrollIntoView({ block: "start" });
    }
  }

  // Long facet lists (countries, languages) get a box to type a name into: it narrows the full list.
  function addFacetFilters() {
    form.querySelectorAll("details.all-values").forEach((details, index) => {
      if (details.previousElementSibling?.classList.contains("facet-filter")) return;
      const input = document.createElement("input");
      input.type = "search";
      input.className = "facet-filter";
      input.id = `facet-filter-${index}`;
      input.placeholder = `Type to find a ${details.dataset.facetTitle}`;
      input.setAttribute("aria-label", `Find a ${details.dataset.facetTitle}`);
      input.autocomplete = "off";
      details.before(input);
      input.addEventListener("input", () => {
        const wanted = fold(input.value.trim());
        details.open = details.open || wanted !== "";
        details.querySelectorAll("li").forEach((item) => {
          item.hidden = wanted !== "" && !fold(item.querySelector("label").textContent).includes(wanted);
        });
      });
      // Typing a name must not submit the form or apply anything.
      input.addEventListener("keydown", (event) => event.key === "Enter" && event.preventDefault());
    });
  }

  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  document.addEventListener("directory:updated", addFacetFilters);
  addFacetFilters();

  // Back and Forward across in-place changes show the page of that address (a jump to an anchor, such as
  // the skip link's, changes only the fragment and is left alone).
  let shown = location.pathname + location.search;
  window.addEventListener("popstate", () => {
    if (location.pathname + location.search !== shown) window.location.reload();
  });

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

})();
