// The linked-risk network view (web/linked.py): persons coloured and sized by linked-risk
// score, the households, addresses and incidents that join them, and the tools to explore:
// double-click to expand or collapse a person, filters by type, agency, concern and dates, a
// time slider that plays the network forward, the path between two people, a highlighted
// community, and PNG export. Labels and titles are plain text (canvas labels, string titles).
(function () {
  "use strict";
  var HUBS = {
    household: { shape: "star", color: { background: "#5eead4", border: "#115e59" }, size: 12 },
    address: { shape: "hexagon", color: { background: "#86efac", border: "#166534" }, size: 11 },
    incident: { shape: "triangle", color: { background: "#fb923c", border: "#9a3412" }, size: 11 }
  };
  var CLUSTER_ABOVE = 300;
  var state = { nodes: null, edges: null, network: null, maxScore: 1, expanded: {}, addedBy: {},
                months: [], center: [], playing: null, view: null, f: null };

  function el(id) { return document.getElementById(id); }
  function setStatus(text) { el("network-status").textContent = text; }

  function riskColour(score) {
    var t = Math.min(1, Math.log(1 + (score || 0)) / Math.log(1 + state.maxScore));
    var r = Math.round(254 - t * (254 - 153)), g = Math.round(243 - t * (243 - 27)), b = Math.round(199 - t * (199 - 27));
    return "rgb(" + r + "," + g + "," + b + ")";
  }

  function styled(n, community) {
    var out = { id: n.id, label: String(n.label), title: String(n.title || n.label), raw: n };
    if (HUBS[n.kind]) {
      Object.assign(out, HUBS[n.kind]);
      return out;
    }
    var t = Math.min(1, Math.log(1 + (n.score || 0)) / Math.log(1 + state.maxScore));
    var highlighted = community && n.community === community;
    out.shape = n.kind === "child" ? "dot" : "square";
    out.size = 8 + 26 * t;
    out.color = { background: riskColour(n.score), border: highlighted ? "#1d4ed8" : "#7f1d1d" };
    out.borderWidth = highlighted ? 5 : 1;
    out.opacity = community && !highlighted ? 0.35 : 1;
    return out;
  }

  function edgeStyle(e) {
    return { id: e.id, from: e.from, to: e.to, raw: e, label: e.kind === "relative" ? String(e.label || "relative") : undefined,
             dashes: e.kind === "relative", color: { color: "#9ca3af" }, font: { size: 9 } };
  }

  // -- filters ---------------------------------------------------------------------------
  function filters() {
    var kinds = {};
    document.querySelectorAll("input[name=kind]").forEach(function (box) { kinds[box.value] = box.checked; });
    return { kinds: kinds, agency: el("filter-agency").value, concern: el("filter-concern").value,
             from: el("date-from").value, until: el("date-until").value };
  }

  function nodeVisible(item, f) {
    var n = item.raw;
    if (!n) { return true; }                       // a cluster
    if (!f.kinds[n.kind]) { return false; }
    if (n.kind === "child" || n.kind === "adult") {
      if (f.agency && n.agencies.indexOf(f.agency) < 0) { return false; }
      if (f.concern && n.concerns.indexOf(f.concern) < 0) { return false; }
    }
    if (n.date && f.until && n.date > f.until) { return false; }
    if (n.date && f.from && n.kind === "incident" && n.date < f.from) { return false; }
    return true;
  }

  function edgeVisible(item, f) {
    var e = item.raw;
    if (e && e.date && f.until && e.date > f.until) { return false; }
    if (e && e.date && f.from && e.date < f.from) { return false; }
    return true;
  }

  function applyFilters() {
    state.f = filters();
    state.view.nodes.refresh();
    state.view.edges.refresh();
    var shown = state.view.nodes.length;
    el("network").setAttribute("data-visible", String(shown));
    setStatus(shown + " of " + state.nodes.length + " nodes shown, " + state.view.edges.length + " links. " +
      "Double-click a person to expand or collapse; hover for the reasons behind a score.");
  }

  function fillSelect(select, values) {
    values.sort().forEach(function (v) {
      var o = document.createElement("option");
      o.value = v; o.textContent = v;
      select.appendChild(o);
    });
  }

  function refreshChoices() {
    var agencies = {}, concerns = {}, communities = {}, people = el("people-list"), options = document.createDocumentFragment();
    people.textContent = "";
    state.nodes.forEach(function (item) {
      var n = item.raw;
      if (!n) { return; }
      n.agencies.forEach(function (a) { agencies[a] = 1; });
      n.concerns.forEach(function (c) { concerns[c] = 1; });
      if (n.community) { communities[n.community] = 1; }
      if (n.kind === "child" || n.kind === "adult") {
        var o = document.createElement("option");
        o.value = n.label + " - " + n.key;
        options.appendChild(o);
      }
    });
    people.appendChild(options);
    [["filter-agency", agencies], ["filter-concern", concerns], ["highlight-community", communities]].forEach(function (pair) {
      var select = el(pair[0]), have = {};
      Array.prototype.forEach.call(select.options, function (o) { have[o.value] = 1; });
      fillSelect(select, Object.keys(pair[1]).filter(function (v) { return !have[v]; }));
    });
  }

  // -- time ------------------------------------------------------------------------------
  function setupTime() {
    var dates = [];
    state.nodes.forEach(function (item) { if (item.raw && item.raw.date) { dates.push(item.raw.date); } });
    dates.sort();
    if (!dates.length) { el("time-slider").disabled = true; el("time-play").disabled = true; return; }
    var first = new Date(dates[0].slice(0, 7) + "-01T00:00:00Z"), last = new Date(dates[dates.length - 1] + "T00:00:00Z");
    state.months = [];
    for (var d = first; d <= last; d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))) {
      state.months.push(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).toISOString().slice(0, 10));
    }
    var slider = el("time-slider");
    slider.max = String(state.months.length - 1);
    slider.value = slider.max;
    slider.disabled = false; el("time-play").disabled = false;
    el("time-label").textContent = "all dates";
  }

  function onSlide() {
    var until = state.months[Number(el("time-slider").value)];
    el("date-until").value = until;
    el("time-label").textContent = "as on " + until;
    applyFilters();
  }

  function play() {
    var slider = el("time-slider");
    if (state.playing) { clearInterval(state.playing); state.playing = null; el("time-play").textContent = "Play forward"; return; }
    slider.value = "0";
    onSlide();
    el("time-play").textContent = "Stop";
    state.playing = setInterval(function () {
      if (Number(slider.value) >= Number(slider.max)) {
        clearInterval(state.playing); state.playing = null; el("time-play").textContent = "Play forward";
        el("network").setAttribute("data-played", "true");
        return;
      }
      slider.value = String(Number(slider.value) + 1);
      onSlide();
    }, 250);
  }

  // -- expand / collapse ---------------------------------------------------------------------
  function addData(data, by) {
    var added = [], newNodes = [], newEdges = [], community = el("highlight-community").value;
    data.nodes.forEach(function (n) {
      if (n.score && n.score > state.maxScore) { state.maxScore = n.score; }
      if (!state.nodes.get(n.id)) {
        newNodes.push(styled(n, community));
        if (by) { state.addedBy[n.id] = by; added.push(n.id); }
      }
    });
    data.edges.forEach(function (e) {
      if (!state.edges.get(e.id)) {
        newEdges.push(edgeStyle(e));
        if (by) { state.addedBy["edge:" + e.id] = by; }
      }
    });
    state.nodes.add(newNodes);
    state.edges.add(newEdges);
    return added;
  }

  function collapse(id) {
    var gone = state.nodes.getIds().filter(function (n) { return state.addedBy[n] === id; });
    gone.forEach(function (n) { if (state.expanded[n]) { collapse(n); } });
    state.edges.remove(state.edges.getIds().filter(function (e) {
      var item = state.edges.get(e);
      return state.addedBy["edge:" + e] === id || gone.indexOf(item.from) >= 0 || gone.indexOf(item.to) >= 0;
    }));
    state.nodes.remove(gone);
    gone.forEach(function (n) { delete state.addedBy[n]; });
    delete state.expanded[id];
    el("network").setAttribute("data-expanded", Object.keys(state.expanded).join(" "));
    applyFilters();
  }

  function expand(id) {
    var item = state.nodes.get(id);
    if (!item || !item.raw || (item.raw.kind !== "child" && item.raw.kind !== "adult")) { return; }
    if (state.expanded[id]) { collapse(id); return; }
    var url = el("network").getAttribute("data-expand").replace("KEY", encodeURIComponent(item.raw.key));
    setStatus("Expanding " + item.raw.label + "...");
    fetchJSON(url).then(function (data) {
      state.expanded[id] = addData(data, id);
      el("network").setAttribute("data-expanded", Object.keys(state.expanded).join(" "));
      refreshChoices();
      applyFilters();
    }).catch(function (err) { setStatus("Could not expand: " + err.message); });
  }

  // -- path ------------------------------------------------------------------------------------
  // Either end is a person shown, or anyone in the graph picked from the search list ("Name - KEY").
  function keyFrom(text) {
    var raw = String(text || "").trim(), key = raw.split(" - ").pop().trim(), found = null;
    state.nodes.forEach(function (item) {
      if (item.raw && (item.raw.key === key || item.raw.label === raw) && (item.raw.kind === "child" || item.raw.kind === "adult")) { found = item.raw.key; }
    });
    return found || key;
  }

  function shortestPath(from, to) {
    var adj = {}, prev = {}, queue = [from];
    state.view.edges.forEach(function (e) {
      (adj[e.from] = adj[e.from] || []).push([e.to, e.id]);
      (adj[e.to] = adj[e.to] || []).push([e.from, e.id]);
    });
    prev[from] = null;
    while (queue.length) {
      var at = queue.shift();
      if (at === to) { break; }
      (adj[at] || []).forEach(function (step) {
        if (!(step[0] in prev)) { prev[step[0]] = [at, step[1]]; queue.push(step[0]); }
      });
    }
    if (!(to in prev)) { return null; }
    var nodes = [to], edges = [];
    for (var n = to; prev[n]; n = prev[n][0]) { nodes.unshift(prev[n][0]); edges.push(prev[n][1]); }
    return { nodes: nodes, edges: edges };
  }

  function drawPath(path) {
    state.network.setSelection({ nodes: path.nodes, edges: path.edges }, { highlightEdges: false });
    state.network.fit({ nodes: path.nodes, animation: false });
    var names = path.nodes.map(function (id) { return state.nodes.get(id).label; });
    el("network").setAttribute("data-path", path.nodes.join(" "));
    setStatus("Path (" + path.edges.length + " links): " + names.join(" - "));
  }

  function showPath() {
    var a = keyFrom(el("path-from").value), b = keyFrom(el("path-to").value);
    if (!a || !b) { setStatus("Choose both people: type part of a name and pick from the list."); return; }
    var path = state.nodes.get("person:" + a) && state.nodes.get("person:" + b) ? shortestPath("person:" + a, "person:" + b) : null;
    if (path) { drawPath(path); return; }
    // Not joined by the links drawn: ask the server for a chain anywhere in the graph, draw its people.
    el("network").setAttribute("data-path", "");
    setStatus("Looking for a chain of links between them in the whole graph...");
    var url = el("network").getAttribute("data-path-src") + "?from=" + encodeURIComponent(a) + "&to=" + encodeURIComponent(b);
    fetchJSON(url).then(function (data) {
      addData(data, null);
      refreshChoices();
      applyFilters();
      var found = shortestPath(data.path[0], data.path[data.path.length - 1]);
      if (!found) { setStatus("The chain runs through people or links the filters hide: clear the filters."); return; }
      drawPath(found);
    }).catch(function (err) { setStatus(err.message); });
  }

  var searching = null;
  function searchPeople(input) {
    var text = input.value.trim();
    if (searching) { clearTimeout(searching); }
    if (text.length < 2 || text.indexOf(" - ") >= 0) { return; }
    searching = setTimeout(function () {
      var url = el("network").getAttribute("data-people-src") + "?q=" + encodeURIComponent(text);
      fetchJSON(url).then(function (data) {
        var list = el("people-list"), have = {};
        Array.prototype.forEach.call(list.options, function (o) { have[o.value] = 1; });
        data.people.forEach(function (p) {
          var value = p.name + " - " + p.key;
          if (have[value]) { return; }
          var o = document.createElement("option");
          o.value = value;
          list.appendChild(o);
        });
        el("network").setAttribute("data-searched", text);
      }).catch(function (err) { setStatus("Search: " + err.message); });
    }, 250);
  }

  // -- export ----------------------------------------------------------------------------------
  // The PNG is drawn in the browser; the server records the export, with every person shown,
  // before the file is offered (no audit, no file).
  function exportPng() {
    var canvas = el("network").querySelector("canvas");
    var people = state.view.nodes.get().filter(function (n) { return n.raw && (n.raw.kind === "child" || n.raw.kind === "adult"); })
      .map(function (n) { return n.raw.key; });
    var body = new URLSearchParams({ people: people.join(" "), what: el("network-title").textContent });
    fetch(el("network").getAttribute("data-png-audit"), {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRF-Token": el("network").getAttribute("data-csrf"), "Accept": "application/json" }
    }).then(function (r) {
      if (!r.ok) { throw new Error("the server answered " + r.status); }
      var link = document.createElement("a");
      link.download = "mashgraph-linked-network.png";
      link.href = canvas.toDataURL("image/png");
      document.body.appendChild(link);
      link.click();
      link.remove();
    }).catch(function (err) { setStatus("Could not record the export, so no file was saved: " + err.message); });
  }

  // -- drawing -----------------------------------------------------------------------------------
  function clusterCommunities() {
    var counts = {};
    state.nodes.forEach(function (item) { if (item.raw && item.raw.community) { counts[item.raw.community] = (counts[item.raw.community] || 0) + 1; } });
    Object.keys(counts).forEach(function (c) {
      if (counts[c] < 3) { return; }
      state.network.cluster({
        joinCondition: function (n) { return n.raw && n.raw.community === c && state.center.indexOf(n.id) < 0; },
        clusterNodeProperties: { id: "cluster:" + c, label: c + " (" + counts[c] + " people)", shape: "database",
                                 color: { background: "#fde68a", border: "#92400e" }, title: "community " + c + ": double-click to open" }
      });
    });
  }

  // A big network starts laid out, not simulated from nothing: each connected component on a
  // circle in a grid of cells (largest first), lone nodes in rows at the end. A short physics
  // run then tidies it and stops.
  function presetLayout(data) {
    var adj = {}, seen = {}, comps = [];
    data.edges.forEach(function (e) {
      (adj[e.from] = adj[e.from] || []).push(e.to);
      (adj[e.to] = adj[e.to] || []).push(e.from);
    });
    data.nodes.forEach(function (n) {
      if (seen[n.id]) { return; }
      var comp = [], stack = [n.id];
      seen[n.id] = true;
      while (stack.length) {
        var at = stack.pop();
        comp.push(at);
        (adj[at] || []).forEach(function (o) { if (!seen[o]) { seen[o] = true; stack.push(o); } });
      }
      comps.push(comp);
    });
    comps.sort(function (a, b) { return b.length - a.length; });
    var pos = {}, x = 0, y = 0, rowHeight = 0, width = 60 * Math.sqrt(data.nodes.length) * 6;
    comps.forEach(function (comp) {
      var r = comp.length === 1 ? 0 : 25 * Math.sqrt(comp.length) + 20, cell = 2 * r + 60;
      if (x + cell > width) { x = 0; y += rowHeight; rowHeight = 0; }
      comp.forEach(function (id, i) {
        var a = 2 * Math.PI * i / comp.length;
        pos[id] = { x: x + cell / 2 + r * Math.cos(a), y: y + cell / 2 + r * Math.sin(a) };
      });
      x += cell;
      rowHeight = Math.max(rowHeight, cell);
    });
    return pos;
  }

  function draw(data) {
    el("network-title").textContent = data.title;
    state.center = data.center;
    data.nodes.forEach(function (n) { if (n.score && n.score > state.maxScore) { state.maxScore = n.score; } });
    state.nodes = new vis.DataSet();
    state.edges = new vis.DataSet();
    addData(data, null);
    var big = data.nodes.length > CLUSTER_ABOVE;
    if (big) {
      var pos = presetLayout(data);
      state.nodes.update(state.nodes.getIds().map(function (id) { return { id: id, x: pos[id].x, y: pos[id].y }; }));
    }
    state.f = filters();
    state.view = {
      nodes: new vis.DataView(state.nodes, { filter: function (n) { return nodeVisible(n, state.f); } }),
      edges: new vis.DataView(state.edges, { filter: function (e) { return edgeVisible(e, state.f); } })
    };
    var container = el("network");
    state.network = new vis.Network(container, { nodes: state.view.nodes, edges: state.view.edges }, {
      nodes: { font: { size: 12 } },
      edges: { smooth: false },
      layout: { improvedLayout: data.nodes.length <= 150 },
      physics: big ? { solver: "barnesHut", barnesHut: { springLength: 60, avoidOverlap: 0.2 }, stabilization: { iterations: 15, updateInterval: 15 } }
                   : { solver: "forceAtlas2Based", stabilization: { iterations: 200, updateInterval: 50 } },
      interaction: { hover: true, tooltipDelay: 150, hideEdgesOnDrag: big }
    });
    state.network.once("stabilizationIterationsDone", function () {
      state.network.setOptions({ physics: false });
      container.setAttribute("data-rendered", "true");
    });
    state.network.on("doubleClick", function (params) {
      if (!params.nodes.length) { return; }
      var id = params.nodes[0];
      if (state.network.isCluster(id)) { state.network.openCluster(id); return; }
      expand(id);
    });
    state.network.on("selectNode", function (params) {
      var item = state.nodes.get(params.nodes[0]);
      el("node-detail").textContent = item ? item.title : "";
      // Draw the reasons: select the people on the person's top contributing paths that are shown.
      if (item && item.raw && item.raw.paths && item.raw.paths.length && params.nodes.length === 1) {
        var on = [item.id];
        item.raw.paths.forEach(function (p) {
          p.split(">").forEach(function (k) { var id = "person:" + k; if (state.nodes.get(id) && on.indexOf(id) < 0) { on.push(id); } });
        });
        state.network.selectNodes(on, true);
        el("network").setAttribute("data-reasons", on.join(" "));
      }
    });
    if (big) { clusterCommunities(); }
    state.network.selectNodes(data.center.filter(function (id) { return state.nodes.get(id); }));
    refreshChoices();
    setupTime();
    wire();
    applyFilters();
    if (data.truncated) { setStatus(el("network-status").textContent + " (cut at the node limit: not everything linked is shown)"); }
    window.mashgraphLinked = { network: state.network, nodes: state.nodes, edges: state.edges, view: state.view, expand: expand };
  }

  function wire() {
    function update() { applyFilters(); }
    document.querySelectorAll("input[name=kind]").forEach(function (box) { box.addEventListener("change", update); });
    ["filter-agency", "filter-concern", "date-from", "date-until"].forEach(function (id) { el(id).addEventListener("change", update); });
    el("time-slider").addEventListener("input", onSlide);
    el("time-play").addEventListener("click", function () { play(); });
    el("path-show").addEventListener("click", showPath);
    ["path-from", "path-to"].forEach(function (id) { el(id).addEventListener("input", function () { searchPeople(el(id)); }); });
    el("export-png").addEventListener("click", exportPng);
    el("highlight-community").addEventListener("change", function () {
      var c = el("highlight-community").value;
      state.nodes.update(state.nodes.get().filter(function (i) { return i.raw; }).map(function (i) { return styled(i.raw, c); }));
    });
  }

  function fetchJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } }).then(function (r) {
      if (r.ok) { return r.json(); }
      return r.json().catch(function () { return {}; }).then(function (body) {
        throw new Error(body.error || ("the server answered " + r.status));
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var container = el("network");
    if (!container) { return; }
    fetchJSON(container.getAttribute("data-src")).then(draw)
      .catch(function (err) { setStatus("Could not load the network: " + err.message); });
  });
})();
