// Dependency graph: layered layout (layer = dependency depth, computed by the server),
// click to highlight everything upstream and downstream. Plain SVG, no library.
(function () {
  const data = document.getElementById("graph-data");
  const svg = document.getElementById("dep-graph");
  if (!data || !svg) return;
  const graph = JSON.parse(data.textContent);
  const NS = "http://www.w3.org/2000/svg";
  const W = 200, H = 28, GX = 50, GY = 10, PAD = 20;
  const byLayer = new Map();
  graph.nodes.forEach((n) => {
    if (!byLayer.has(n.layer)) byLayer.set(n.layer, []);
    byLayer.get(n.layer).push(n);
  });
  const pos = new Map();
  let maxRows = 0;
  [...byLayer.keys()].sort((a, b) => a - b).forEach((layer) => {
    const col = byLayer.get(layer).sort((a, b) => a.key.localeCompare(b.key));
    maxRows = Math.max(maxRows, col.length);
    col.forEach((n, i) => pos.set(n.pk, { x: PAD + layer * (W + GX), y: PAD + i * (H + GY) }));
  });
  const width = PAD * 2 + byLayer.size * (W + GX);
  const height = PAD * 2 + maxRows * (H + GY);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  const out = new Map(), inc = new Map();
  const edgeEls = [];
  const edgesLayer = document.createElementNS(NS, "g");
  svg.appendChild(edgesLayer);
  graph.edges.forEach((e) => {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b) return;
    (out.get(e.from) || out.set(e.from, []).get(e.from)).push(e.to);
    (inc.get(e.to) || inc.set(e.to, []).get(e.to)).push(e.from);
    const path = document.createElementNS(NS, "path");
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
    path.setAttribute("d", `M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}`);
    path.setAttribute("class", "edge" + (e.hard ? "" : " soft"));
    const title = document.createElementNS(NS, "title");
    title.textContent = `${e.type}${e.lag ? " lag " + e.lag + "d" : ""}`;
    path.appendChild(title);
    path.dataset.from = e.from;
    path.dataset.to = e.to;
    edgesLayer.appendChild(path);
    edgeEls.push(path);
  });
  const nodeEls = new Map();
  graph.nodes.forEach((n) => {
    const p = pos.get(n.pk);
    const g = document.createElementNS(NS, "g");
    g.setAttribute("class", "node");
    g.setAttribute("transform", `translate(${p.x},${p.y})`);
    g.setAttribute("tabindex", "0");
    g.setAttribute("role", "button");
    g.setAttribute("aria-label", `${n.key} ${n.title}`);
    g.dataset.pk = n.pk;
    g.dataset.key = n.key;
    const r = document.createElementNS(NS, "rect");
    r.setAttribute("width", W); r.setAttribute("height", H);
    // Health as a shape and a colour (● green, ▲ amber, ■ red, ○ not set), as on the badges.
    const dot = document.createElementNS(NS, "text");
    dot.setAttribute("x", 4); dot.setAttribute("y", H / 2 + 4);
    dot.setAttribute("class", "health-dot " + (n.health_overall || "none"));
    dot.textContent = { green: "●", amber: "▲", red: "■" }[n.health_overall] || "○";
    const t = document.createElementNS(NS, "text");
    t.setAttribute("x", 17); t.setAttribute("y", H / 2 + 4);
    t.textContent = `${n.key} ${n.title}`.slice(0, 30);
    const title = document.createElementNS(NS, "title");
    title.textContent = `${n.key} ${n.title} (${n.kind}, ${n.stage}, health ${n.health_overall || "not set"})`;
    g.append(r, dot, t, title);
    g.addEventListener("click", () => select(n.pk));
    g.addEventListener("dblclick", () => { window.location = n.url; });
    g.addEventListener("keydown", (ev) => { if (ev.key === "Enter") select(n.pk); });
    svg.appendChild(g);
    nodeEls.set(n.pk, g);
  });
  function walk(start, adj) {
    const seen = new Set(), stack = [start];
    while (stack.length) {
      for (const nxt of adj.get(stack.pop()) || []) if (!seen.has(nxt)) { seen.add(nxt); stack.push(nxt); }
    }
    seen.delete(start);
    return seen;
  }
  function select(pk) {
    const up = walk(pk, inc), down = walk(pk, out);
    svg.classList.add("has-selection");
    nodeEls.forEach((el, id) => {
      el.classList.toggle("selected", id === pk);
      el.classList.toggle("upstream", up.has(id));
      el.classList.toggle("downstream", down.has(id));
    });
    edgeEls.forEach((el) => {
      const f = +el.dataset.from, t = +el.dataset.to;
      el.classList.toggle("upstream", t === pk || up.has(t));
      el.classList.toggle("downstream", f === pk || down.has(f));
    });
    const node = graph.nodes.find((n) => n.pk === pk);
    const info = document.getElementById("selection-info");
    info.innerHTML = "";
    const a = document.createElement("a");
    a.href = node.url; a.textContent = `${node.key} ${node.title}`;
    info.append("Selected ", a, `: ${up.size} upstream, ${down.size} downstream. `);
    info.dataset.upstream = [...up].map((id) => nodeEls.get(id).dataset.key).sort().join(",");
    info.dataset.downstream = [...down].map((id) => nodeEls.get(id).dataset.key).sort().join(",");
    nodeEls.get(pk).scrollIntoView({ block: "nearest", inline: "nearest" });
  }
  // The key picker's suggestions come from the same JSON (not a second copy in the HTML).
  const keys = document.getElementById("g-keys");
  if (keys) keys.append(...graph.nodes.map((n) => new Option(n.title, n.key)));
  const find = document.getElementById("g-find");
  function pick() {
    const node = graph.nodes.find((n) => n.key.toLowerCase() === find.value.trim().toLowerCase());
    if (node) select(node.pk);
  }
  if (find) {
    find.addEventListener("change", pick);
    // Enter selects the typed key instead of submitting the filter form.
    find.addEventListener("keydown", (ev) => { if (ev.key === "Enter") { ev.preventDefault(); pick(); } });
  }
  const initial = document.currentScript && document.currentScript.dataset.select;
  if (initial && nodeEls.has(+initial)) select(+initial);
})();
