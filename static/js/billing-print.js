// The "Print" button of printable pages (no inline scripts: the CSP forbids them).
document.querySelectorAll(".print-page").forEach((button) => {
  button.addEventListener("click", () => window.print());
});
