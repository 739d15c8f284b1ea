// The vendor page's "Shore seen from" choice applies at once, as the directory's does. Without this file the
// Update button beside it does the same.
(() => {
  const select = document.querySelector(".inline-form select[name=buyer_country]");
  if (!select) return;
  const update = select.form.querySelector("button[type=submit]");
  if (update) update.hidden = true;
  select.addEventListener("change", () => select.form.requestSubmit());
})();
