// Draws the standalone export of a linked network (web/linked.py standalone_html). Labels and
// titles are plain text: vis-network draws labels on a canvas and shows string titles as text.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("network-data").textContent);
  var container = document.getElementById("network");
  var nodes = new vis.DataSet(data.nodes.map(function (n) {
    return { id: n.id, label: String(n.label), title: String(n.title || n.label), group: n.group,
             value: n.group === "child" || n.group === "person" ? 1 + Number(n.value || 0) : undefined,
             shape: n.shape };
  }));
  var edges = new vis.DataSet(data.edges.map(function (e) { return { from: e.from, to: e.to, title: String(e.title || "") }; }));
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, {
    nodes: { scaling: { min: 8, max: 40 }, font: { size: 12 } },
    edges: { color: { color: "#9ca3af" }, smooth: false },
    layout: { improvedLayout: data.nodes.length <= 150 },
    physics: { solver: "forceAtlas2Based", stabilization: { iterations: 150 } }
  });
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({ physics: false });
    container.setAttribute("data-rendered", "true");
  });
  document.getElementById("network-status").textContent = data.nodes.length + " nodes, " + data.edges.length + " links.";
  window.mashgraphNetwork = network;
})();
