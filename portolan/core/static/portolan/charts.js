/* Draw every Vega-Lite spec of the page: <div data-vega-spec="ID"> reads <script id="ID" type="application/json">. */
(function () {
  function draw(root) {
    root.querySelectorAll("[data-vega-spec]").forEach(function (el) {
      if (el.dataset.drawn) return;
      var source = document.getElementById(el.dataset.vegaSpec);
      if (!source) return;
      el.dataset.drawn = "1";
      vegaEmbed(el, JSON.parse(source.textContent), {
        renderer: "svg",
        actions: { export: true, source: false, compiled: false, editor: false },
      }).then(function () { el.dataset.rendered = "1"; }).catch(function (err) { el.textContent = "Chart unavailable: " + err; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSwap", function (e) { draw(e.target); });
})();
