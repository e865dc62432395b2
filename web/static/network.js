// Draws a mashgraph network with vis-network. The data comes from an inline
// <script type="application/json" id="network-data"> (exported file), from
// #network's data-network attribute (the Cypher console's result), or from
// the JSON endpoint named by #network's data-src (the explorer page).
// Labels and titles are plain text: vis-network draws labels on a canvas and
// shows string titles as text, never as HTML.
(function () {
  "use strict";
  var GROUPS = {
    person: { color: { background: "#1d4ed8", border: "#1e3a8a" }, shape: "dot", size: 22, font: { color: "#111827" } },
    record: { color: { background: "#93c5fd", border: "#1d4ed8" }, shape: "dot", size: 12 },
    agency: { color: { background: "#fbbf24", border: "#92400e" }, shape: "box" },
    referral: { color: { background: "#f87171", border: "#991b1b" }, shape: "diamond", size: 12 },
    incident: { color: { background: "#fb923c", border: "#9a3412" }, shape: "triangle", size: 12 },
    episode: { color: { background: "#a78bfa", border: "#5b21b6" }, shape: "square", size: 11 },
    concern: { color: { background: "#fecaca", border: "#b91c1c" }, shape: "ellipse" },
    address: { color: { background: "#86efac", border: "#166534" }, shape: "hexagon", size: 12 },
    household: { color: { background: "#5eead4", border: "#115e59" }, shape: "star", size: 14 }
  };

  function setStatus(text) {
    var el = document.getElementById("network-status");
    if (el) { el.textContent = text; }
  }

  function draw(data) {
    var container = document.getElementById("network");
    var title = document.getElementById("network-title");
    if (title && data.title) { title.textContent = data.title; }
    var nodes = new vis.DataSet(data.nodes);
    var edges = new vis.DataSet(data.edges.map(function (e) {
      return { from: e.from, to: e.to, label: e.label, arrows: "to", font: { size: 9, align: "middle" } };
    }));
    var network = new vis.Network(container, { nodes: nodes, edges: edges }, {
      groups: GROUPS,
      nodes: { font: { size: 12 } },
      edges: { color: { color: "#9ca3af" }, smooth: false },
      physics: { solver: "forceAtlas2Based", stabilization: { iterations: 200 } },
      interaction: { hover: true, tooltipDelay: 150 }
    });
    network.once("stabilizationIterationsDone", function () {
      network.setOptions({ physics: false });
      container.setAttribute("data-rendered", "true");
    });
    if (data.center) { network.selectNodes([data.center]); }
    setStatus(data.nodes.length + " nodes, " + data.edges.length + " links" +
      (data.truncated ? " (cut at the node limit: not everything linked is shown)" : "") +
      ". Drag to move, scroll to zoom, hover for details.");
    window.mashgraphNetwork = network;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var inline = document.getElementById("network-data");
    if (inline) { draw(JSON.parse(inline.textContent)); return; }
    var container = document.getElementById("network");
    if (!container) { return; }
    if (container.hasAttribute("data-network")) { draw(JSON.parse(container.getAttribute("data-network"))); return; }
    fetch(container.getAttribute("data-src"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) { throw new Error("the server answered " + r.status); }
        return r.json();
      })
      .then(draw)
      .catch(function (err) { setStatus("Could not load the network: " + err.message); });
  });
})();
