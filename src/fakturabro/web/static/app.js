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

// Phones: the menu button opens and closes the main menu (base.html); without this script the menu stays open.
function setUpMenu() {
  const bar = document.querySelector(".topbar");
  const button = bar && bar.querySelector(".menu-toggle");
  if (!button) return;
  bar.dataset.menu = "closed";
  button.addEventListener("click", () => {
    const open = bar.dataset.menu !== "open";
    bar.dataset.menu = open ? "open" : "closed";
    button.setAttribute("aria-expanded", String(open));
  });
}

// On phones the tables are stacked rows (app.css); each cell shows its column's name, taken here from the
// table's header, so every table, now and later, gets its labels without template work.
function labelCells(root) {
  for (const table of root.querySelectorAll(".table-wrap > table")) {
    const names = [];
    for (const th of table.querySelectorAll(":scope > thead > tr:first-child > th")) {
      for (let span = 0; span < th.colSpan; span++) names.push(th.textContent.trim());
    }
    for (const row of table.querySelectorAll(":scope > tbody > tr")) {
      let column = 0;
      for (const cell of row.cells) {
        const name = names[column];
        if (name && cell.tagName === "TD" && !cell.hasAttribute("data-label")) cell.dataset.label = name;
        column += cell.colSpan;
      }
    }
  }
}

setUpMenu();
labelCells(document);
document.addEventListener("htmx:load", (event) => labelCells(event.detail.elt.parentElement || document));
