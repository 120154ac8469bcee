// Process map: the directly-follows graph drawn as plain SVG, left to right by layer (hops from
// the start activities, computed by the server). Frequency/performance toggle and an edge
// threshold slider (share of transitions shown, most frequent first); both kept in the URL.
(function () {
  const source = document.getElementById("process-data");
  const svg = document.getElementById("process-map");
  if (!source || !svg) return;
  const graph = JSON.parse(source.textContent);
  const NS = "http://www.w3.org/2000/svg";
  const W = 190, H = 40, GX = 90, GY = 26, PAD = 44;
  const slider = document.getElementById("pm-threshold");
  const sliderValue = document.getElementById("pm-threshold-value");
  const modes = document.querySelectorAll("input[name=pm-mode]");

  const el = (name, attrs, parent) => {
    const e = document.createElementNS(NS, name);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (parent) parent.appendChild(e);
    return e;
  };
  const human = (s) => {
    if (s === null || s === undefined) return "–";
    if (s < 3600) return Math.round(s / 60) + " min";
    if (s < 86400 * 2) return (s / 3600).toFixed(1) + " h";
    return (s / 86400).toFixed(1) + " d";
  };

  // Layout: columns by layer, rows by count within a layer.
  const layers = new Map();
  graph.nodes.forEach((n) => {
    if (!layers.has(n.layer)) layers.set(n.layer, []);
    layers.get(n.layer).push(n);
  });
  const pos = new Map();
  let maxRows = 0;
  [...layers.keys()].sort((a, b) => a - b).forEach((layer, col) => {
    const nodes = layers.get(layer).sort((a, b) => b.count - a.count || a.id.localeCompare(b.id));
    maxRows = Math.max(maxRows, nodes.length);
    nodes.forEach((n, row) => pos.set(n.id, { x: PAD + col * (W + GX), y: PAD + row * (H + GY), col: col }));
  });
  const width = PAD * 2 + layers.size * (W + GX);
  const height = PAD * 2 + Math.max(maxRows, 1) * (H + GY) + 40;
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const defs = el("defs", {}, svg);
  const marker = el("marker", { id: "pm-arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 10, markerHeight: 10, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" }, defs);
  el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#6c757d" }, marker);
  const edgeLayer = el("g", {}, svg);
  const nodeLayer = el("g", {}, svg);

  const edges = graph.edges.slice().sort((a, b) => b.count - a.count);
  const maxCount = Math.max(1, ...edges.map((e) => e.count));
  const maxNode = Math.max(1, ...graph.nodes.map((n) => n.count));

  graph.nodes.forEach((n) => {
    const p = pos.get(n.id);
    const g = el("g", { class: "pm-node", transform: `translate(${p.x},${p.y})`, tabindex: 0 }, nodeLayer);
    const shade = Math.round(245 - 90 * (n.count / maxNode));
    el("rect", { width: W, height: H, rx: 5, fill: `rgb(${shade},${shade + 5 > 255 ? 255 : shade + 5},255)`, stroke: n.start ? "#198754" : n.end ? "#6f42c1" : "#6c757d", "stroke-width": n.start || n.end ? 2 : 1 }, g);
    const label = n.id.length > 28 ? n.id.slice(0, 27) + "…" : n.id;
    el("text", { x: W / 2, y: 16, "text-anchor": "middle", class: "pm-label" }, g).textContent = label;
    el("text", { x: W / 2, y: 32, "text-anchor": "middle", class: "pm-count" }, g).textContent = n.count.toLocaleString() + " events";
    el("title", {}, g).textContent = `${n.id}\n${n.count.toLocaleString()} events` + (n.start ? `\nstarts ${n.start} cases` : "") + (n.end ? `\nends ${n.end} cases` : "");
  });

  function path(a, b) {
    if (a === b) {
      const p = pos.get(a);
      const x = p.x + W - 30, y = p.y;
      return { d: `M${x},${y} C${x},${y - 30} ${x + 40},${y - 30} ${x + 30},${y}`, lx: x + 20, ly: y - 26 };
    }
    const p = pos.get(a), q = pos.get(b);
    if (q.col > p.col) {
      const x1 = p.x + W, y1 = p.y + H / 2, x2 = q.x, y2 = q.y + H / 2;
      return { d: `M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}`, lx: (x1 + x2) / 2, ly: (y1 + y2) / 2 - 4 };
    }
    // Backward or same-layer edges: arc below the boxes.
    const x1 = p.x + W / 2 + 12, y1 = p.y + H, x2 = q.x + W / 2 - 12, y2 = q.y + H;
    const dip = Math.max(y1, y2) + 30 + 12 * Math.abs(p.col - q.col);
    return { d: `M${x1},${y1} C${x1},${dip} ${x2},${dip} ${x2},${y2}`, lx: (x1 + x2) / 2, ly: dip - 4 };
  }

  const drawn = edges.map((e) => {
    if (!pos.has(e.from) || !pos.has(e.to)) return null;
    const g = el("g", { class: "pm-edge" }, edgeLayer);
    const geo = path(e.from, e.to);
    const w = 1 + 6 * Math.sqrt(e.count / maxCount);
    el("path", { d: geo.d, fill: "none", stroke: "#6c757d", "stroke-opacity": 0.75, "stroke-width": w, "marker-end": "url(#pm-arrow)" }, g);
    const text = el("text", { x: geo.lx, y: geo.ly, "text-anchor": "middle", class: "pm-edge-label" }, g);
    el("title", {}, g).textContent = `${e.from} → ${e.to}\n${e.count.toLocaleString()} times\nmedian wait ${human(e.median_s)}, mean ${human(e.mean_s)}`;
    return { e, g, text };
  }).filter(Boolean);

  function mode() {
    const checked = document.querySelector("input[name=pm-mode]:checked");
    return checked ? checked.value : "frequency";
  }

  function render() {
    const share = Number(slider.value) / 100;
    const keep = Math.max(1, Math.ceil(drawn.length * share));
    const m = mode();
    drawn.forEach((d, i) => {
      d.g.style.display = i < keep ? "" : "none";
      d.text.textContent = m === "performance" ? human(d.e.median_s) : d.e.count.toLocaleString();
    });
    sliderValue.textContent = `${slider.value} % of transitions (${keep} of ${drawn.length})`;
    const url = new URL(window.location.href);
    url.searchParams.set("edges", slider.value);
    url.searchParams.set("mode", m);
    window.history.replaceState(null, "", url);
    svg.dataset.visibleEdges = keep;
  }
  slider.addEventListener("input", render);
  modes.forEach((r) => r.addEventListener("change", render));
  render();
})();
