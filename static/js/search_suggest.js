// Vendor names for the search box as the buyer types, from /api/v1/suggest. Progressive enhancement only:
// without this file the box is a plain search field and the form still submits a GET search.
(() => {
  const box = document.querySelector("input[data-suggest-url]");
  const list = box && document.getElementById(box.getAttribute("list"));
  if (!box || !list || !window.fetch) return;
  let timer = null;
  let latest = "";

  box.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(suggest, 150);
  });

  async function suggest() {
    const prefix = box.value.trim();
    latest = prefix;
    if (prefix.length < 2) {
      list.replaceChildren();
      return;
    }
    try {
      const url = `${box.dataset.suggestUrl}?q=${encodeURIComponent(prefix)}`;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok || prefix !== latest) return;
      const { names } = await response.json();
      list.replaceChildren(
        ...names.map((name) => {
          const option = document.createElement("option");
          option.value = name;
          return option;
        }),
      );
    } catch {
      // Suggestions are a convenience; the search itself does not depend on them.
    }
  }
})();
