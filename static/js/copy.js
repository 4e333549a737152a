// Copy buttons for code snippets: shown only where the clipboard API is available; without
// it (or without JavaScript) the snippets stay selectable text.
(function () {
  "use strict";
  if (!navigator.clipboard) {
    return;
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var label = button.textContent;
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.dataset.copy);
      navigator.clipboard.writeText(source.textContent).then(function () {
        button.textContent = button.dataset.copied;
        setTimeout(function () {
          button.textContent = label;
        }, 2000);
      });
    });
  });
})();
