// Console behaviour shared by every page. No inline scripts: the CSP forbids them.
"use strict";

// Light/dark theme. The choice is remembered in the `theme` cookie only when the visitor
// allowed functional cookies (privacy policy: theme preference is a functional cookie).
function currentTheme() {
  const chosen = document.documentElement.dataset.theme;
  if (chosen) return chosen;
  return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function toggleTheme() {
  const next = currentTheme() === "dark" ? "light" : "dark";
  document.documentElement.dataset.theme = next;
  if (document.documentElement.dataset.functionalCookies === "1") {
    const secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `theme=${next}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-theme-toggle]")) {
    button.addEventListener("click", toggleTheme);
  }
});
