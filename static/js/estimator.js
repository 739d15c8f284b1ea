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

// "Copy link" copies the link to this estimate and says so on the button, and to screen readers through a
// status message. The button stays hidden without this script, or a clipboard, as the link itself is there.
const SAID_FOR_MS = 4000;
for (const button of document.querySelectorAll("[data-copy-link]")) {
  const share = button.closest(".share");
  const link = share.querySelector("a");
  const status = share.querySelector("[data-copy-status]");
  if (!navigator.clipboard) {
    continue;
  }
  const say = (onButton, toScreenReaders) => {
    button.textContent = onButton;
    status.textContent = toScreenReaders;
    setTimeout(() => {
      button.textContent = "Copy link";
      status.textContent = "";
    }, SAID_FOR_MS);
  };
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(link.href);
      say("Copied", "Link copied");
    } catch {
      say("Could not copy", "The link could not be copied: use “Link to this estimate” instead");
    }
  });
}
