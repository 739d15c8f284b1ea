// Vendor names for the search boxes as the buyer types, from /api/v1/suggest; choosing a vendor's name
// opens its page. Progressive enhancement only: without this file each box is a plain search field and its
// form still submits a GET search. Listens on the document, so a box the directory replaces in place keeps
// working.
(() => {
  if (!window.fetch) return;
  const pages = new Map(); // suggested name -> its vendor page
  let timer = null;
  let latest = "";

  document.addEventListener("input", (event) => {
    const box = event.target;
    if (!(box instanceof HTMLInputElement) || !box.dataset.suggestUrl) return;
    // A name picked from the list arrives whole, not typed: open that vendor's page.
    if (event.inputType === "insertReplacementText" || event.inputType === undefined) {
      const page = pages.get(box.value);
      if (page) {
        window.location.assign(page);
        return;
      }
    }
    clearTimeout(timer);
    timer = setTimeout(() => suggest(box), 150);
  });

  async function suggest(box) {
    const list = document.getElementById(box.getAttribute("list"));
    const prefix = box.value.trim();
    latest = prefix;
    if (!list) return;
    if (prefix.length < 2) {
      list.replaceChildren();
      return;
    }
    try {
      const url = `${box.dataset.suggestUrl}?q=${encodeURIComponent(prefix)}`;
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok || prefix !== latest) return;
      const { vendors } = await response.json();
      vendors.forEach((vendor) => pages.set(vendor.name, vendor.url));
      list.replaceChildren(
        ...vendors.map((vendor) => {
          const option = document.createElement("option");
          option.value = vendor.name;
          option.label = "Open this vendor's page";
          return option;
        }),
      );
    } catch {
      // Suggestions are a convenience; the search itself does not depend on them.
    }
  }
})();
