document.querySelectorAll("#filters input[type=checkbox], #filters select").forEach((control) => {
  control.addEventListener("change", () => control.form.requestSubmit());
});
