/* Charts drawn by Chart.js (static/vendor/chartjs, vendored: no CDN, no inline script).
 * A <canvas data-chart="ID" data-series="KEY"> reads its figures from the JSON script element
 * #ID ({{ data|json_script:"ID" }}): "labels" for the x axis and "series", each with "name",
 * "colour" (the palette index of static/css/app.css .chart-cN, so the HTML legend's swatches
 * match), the numbers under KEY and, optionally, their text under KEY_text (written on the
 * server, in the page's language, for the tooltips). Bars are stacked; right to left on a
 * right-to-left page; numbers on the axis in the page's language. The table beside each chart
 * holds the same figures for a screen reader and for anyone who would rather read. */
(function () {
  "use strict";

  var PALETTE = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#d63384", "#20c997", "#ffc107", "#6c757d"];

  function draw(canvas) {
    if (canvas.dataset.drawn || typeof window.Chart === "undefined") return;
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    var data = JSON.parse(source.textContent);
    var key = canvas.dataset.series;
    var root = document.documentElement;
    var rtl = root.dir === "rtl";
    // The axis's numbers in the page's language, with the Latin digits its tables use.
    var locale = root.lang ? root.lang + "-u-nu-latn" : undefined;
    var style = window.getComputedStyle(document.body);
    window.Chart.defaults.font.family = style.fontFamily;
    window.Chart.defaults.color = style.color;
    canvas.dataset.drawn = "1";
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series) {
          return {
            label: series.name,
            data: series[key].map(Number),
            text: series[key + "_text"] || null,
            backgroundColor: PALETTE[series.colour % PALETTE.length],
            borderWidth: 0
          };
        })
      },
      options: {
        locale: locale,
        maintainAspectRatio: false,
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? false : undefined,
        interaction: { mode: "index", intersect: false },
        plugins: {
          legend: { display: false },  // the page's own legend, with the table's names
          tooltip: {
            rtl: rtl,
            textDirection: rtl ? "rtl" : "ltr",
            callbacks: {
              label: function (item) {
                var text = item.dataset.text ? item.dataset.text[item.dataIndex] : item.formattedValue;
                return item.dataset.label + ": " + text;
              }
            }
          }
        },
        scales: {
          x: { stacked: true, reverse: rtl, grid: { display: false } },
          y: { stacked: true, beginAtZero: true, position: rtl ? "right" : "left",
               ticks: { precision: key === "bookings" ? 0 : undefined } }
        }
      }
    });
  }

  function drawAll(scope) {
    (scope || document).querySelectorAll("canvas[data-chart]").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { drawAll(event.target); });
})();
