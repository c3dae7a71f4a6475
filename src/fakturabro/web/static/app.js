// The pages' own few lines of script, served from /static like htmx (the CSP allows no inline script, and
// htmx's hx-on needs eval).
//
// The message area (#meddelanden in base.html) shows why an htmx request was refused (a 4xx answer). The next
// request the user makes that succeeds clears it. A poll has no triggering event and leaves it alone: the export
// badge polls every few seconds and would wipe the message before it is read.
document.addEventListener("htmx:afterRequest", (event) => {
  const area = document.getElementById("meddelanden");
  if (area && event.detail.successful && event.detail.requestConfig.triggeringEvent) {
    area.replaceChildren();
  }
});
