// A running import's report, asked for again every few seconds instead of reloading the whole page, which
// would start a screen reader over from the top each time. Once the import has ended, the new report takes
// the old one's place and, the report being a polite live region, is read out. An answer that is not the
// report (the session ended and it is the login page, or the upload is gone) is loaded whole; a server
// error is asked again later.
(function () {
  "use strict";

  var report = document.querySelector(".import-report[data-refresh-seconds]");
  if (!report) {
    return;
  }
  var every = Number(report.getAttribute("data-refresh-seconds")) * 1000;
  report.setAttribute("aria-live", "polite");

  function lookAgain() {
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) {
        return answer.text().then(function (text) {
          return {
            ok: answer.ok,
            refused: answer.status >= 400 && answer.status < 500 && answer.status !== 429,
            page: new DOMParser().parseFromString(text, "text/html"),
          };
        });
      })
      .then(function (asked) {
        var fresh = asked.page.querySelector(".import-report");
        if ((asked.ok && !fresh) || asked.refused) {
          window.location.reload(); // the login page, or the upload is gone: that page says so
        } else if (asked.ok && !fresh.hasAttribute("data-refresh-seconds")) {
          report.removeAttribute("data-refresh-seconds");
          report.replaceChildren.apply(report, Array.from(fresh.childNodes));
        } else {
          window.setTimeout(lookAgain, every); // still running, or the site is away for a moment
        }
      })
      .catch(function () {
        window.setTimeout(lookAgain, every); // the server or the network is away: ask again later
      });
  }

  window.setTimeout(lookAgain, every);
})();
