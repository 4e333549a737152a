// Draws the dashboard's usage chart from the JSON the page embeds (json_script).
(function () {
  "use strict";
  var canvas = document.getElementById("usage-chart");
  var source = document.getElementById("usage-chart-data");
  if (!canvas || !source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  // Distinguishable in light and dark themes alike.
  var palette = ["#3b5bdb", "#f08c00", "#2f9e44", "#c2255c", "#1098ad", "#7048e8", "#e8590c", "#5c940d"];
  data.datasets.forEach(function (dataset, index) {
    dataset.backgroundColor = palette[index % palette.length];
  });
  var text = getComputedStyle(document.body).color;
  Chart.defaults.color = text;
  new Chart(canvas, {
    type: "bar",
    data: data,
    options: {
      responsive: true,
      maintainAspectRatio: false,
      scales: {
        x: { stacked: true },
        y: {
          stacked: true,
          beginAtZero: true,
          ticks: { precision: 0 },
          title: { display: true, text: canvas.dataset.axisLabel },
        },
      },
      plugins: { legend: { position: "bottom" } },
    },
  });
})();
