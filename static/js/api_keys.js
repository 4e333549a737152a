// The new API key's copy-once dialog: shown as a modal, with a button copying the key.
"use strict";

(function () {
  const dialog = document.getElementById("new-api-key-dialog");
  if (!dialog) {
    return;
  }
  dialog.close();
  dialog.showModal();
  const button = document.getElementById("copy-api-key");
  const copied = document.getElementById("new-api-key-copied");
  const key = document.getElementById(button.dataset.target).textContent.trim();
  if (!navigator.clipboard) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", async function () {
    await navigator.clipboard.writeText(key);
    copied.hidden = false;
  });
  // The dialog is the whole page: Escape would leave it blank. The link leads back to the list.
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
  });
})();
