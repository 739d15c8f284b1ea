// Optional: choosing a rate preset fills the hourly rate at once, and typing a rate of your own sets the
// preset back to "My own rate". Without this script the server applies the same rule on submit.
const preset = document.getElementById("preset");
const rate = document.getElementById("hourly_rate");
if (preset && rate) {
  preset.addEventListener("change", () => {
    const chosen = preset.selectedOptions[0];
    if (chosen && chosen.dataset.rate) {
      rate.value = chosen.dataset.rate;
    }
  });
  rate.addEventListener("input", () => {
    preset.value = "";
  });
}
