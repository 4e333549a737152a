// Sends the cookie banner's choice in the background and hides the banner, so the page
// stays where it was. Without JavaScript the form posts and the page reloads instead.
"use strict";

const banner = document.getElementById("cookie-banner");
const form = banner && banner.querySelector("form");

if (form) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form, event.submitter),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.ok) {
      banner.hidden = true;
    } else {
      form.submit();
    }
  });
}
