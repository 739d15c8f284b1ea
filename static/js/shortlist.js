// Progressive enhancement for the shortlist buttons: send the same POST form in place and update the button
// and the header count, without a reload. Without this file the form posts and comes back to the same place.
(() => {
  const status = document.getElementById("shortlist-status");
  let hideTimer = 0;

  function announce(message) {
    if (!status || !message) return;
    status.textContent = message;
    status.hidden = false;
    window.clearTimeout(hideTimer);
    hideTimer = window.setTimeout(() => {
      status.hidden = true;
    }, 5000);
  }

  function showCount(count) {
    document.querySelectorAll("[data-shortlist-count]").forEach((badge) => {
      badge.textContent = String(count);
    });
  }

  function showState(form, on) {
    form.action = on ? form.dataset.removeUrl : form.dataset.addUrl;
    const button = form.querySelector("button");
    button.classList.toggle("on", on);
    button.setAttribute("aria-pressed", on ? "true" : "false");
  }

  // One change at a time: a visitor's first two clicks must not each start a shortlist of their own.
  let pending = Promise.resolve();

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form.shortlist-toggle");
    if (!form) return;
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    pending = pending.then(() => send(form, button));
  });

  async function send(form, button) {
    let answer;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      answer = await response.json();
    } catch {
      // No JSON (a network fault, a proxy's own error page): let the browser post the form and show what
      // happened. The site's own refusals (an expired form, too many changes, an outage) are JSON with a
      // message, shown here.
      form.submit();
      return;
    } finally {
      button.disabled = false;
    }
    if (typeof answer.shortlisted === "boolean") showState(form, answer.shortlisted);
    if (typeof answer.count === "number") showCount(answer.count);
    announce(answer.message);
  }
})();
