/* The CMDB's two maps (信息系统运行图, 信息内容应用图), drawn with the locally served Cytoscape.js.
 *
 * The page holds <div data-cmdb-map data-source="…json url…" data-layout="breadthfirst">; this script
 * fetches the map's JSON ({nodes: [...], edges: [...]}), draws it, builds the filter checkboxes from
 * the data (class, status, organisation), marks the CIs that open incidents touch (red border and a
 * count badge) and shows what a clicked node is, with links to its page and its incidents.
 * No layout or data comes from the internet. `window.opsdeskMap` is the Cytoscape instance.
 */
(function () {
  "use strict";

  // Colour and shape per family of class (the class's code or its root class's code).
  var FAMILIES = {
    service: { color: "#0d6efd", shape: "round-rectangle" },
    system: { color: "#0d6efd", shape: "round-rectangle" },
    subsystem: { color: "#6610f2", shape: "round-rectangle" },
    platform: { color: "#6f42c1", shape: "round-rectangle" },
    module: { color: "#20c997", shape: "round-rectangle" },
    application: { color: "#6f42c1", shape: "round-rectangle" },
    server: { color: "#198754", shape: "rectangle" },
    virtual_machine: { color: "#45a06f", shape: "rectangle" },
    network: { color: "#fd7e14", shape: "diamond" },
    network_device: { color: "#fd7e14", shape: "diamond" },
    switch: { color: "#fd7e14", shape: "diamond" },
    router: { color: "#e8590c", shape: "diamond" },
    firewall: { color: "#dc3545", shape: "octagon" },
    storage: { color: "#6c757d", shape: "barrel" },
    database: { color: "#0dcaf0", shape: "barrel" },
    middleware: { color: "#d63384", shape: "hexagon" },
    software_licence: { color: "#adb5bd", shape: "tag" },
    licence: { color: "#adb5bd", shape: "tag" },
    cabinet: { color: "#495057", shape: "rectangle" },
    cable: { color: "#868e96", shape: "vee" }
  };
  var DEFAULT_FAMILY = { color: "#5c7cfa", shape: "ellipse" };

  function family(node) {
    return FAMILIES[node.family] || FAMILIES[node["class"]] || DEFAULT_FAMILY;
  }

  function badge(count) {
    var text = count > 99 ? "99+" : String(count);
    var svg = '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40">' +
      '<circle cx="20" cy="20" r="19" fill="#dc3545" stroke="#fff" stroke-width="2"/>' +
      '<text x="20" y="27" font-size="' + (text.length > 2 ? 15 : 20) + '" font-family="sans-serif" ' +
      'font-weight="bold" text-anchor="middle" fill="#fff">' + text + "</text></svg>";
    return "data:image/svg+xml;utf8," + encodeURIComponent(svg);
  }

  // Labels are shortened here: Cytoscape's own ellipsis measures every label's text, slow on large maps.
  function short(label) {
    var text = label == null ? "" : String(label);
    return text.length > 18 ? text.slice(0, 17) + "…" : text;
  }

  function elements(data) {
    var nodes = data.nodes.map(function (node) {
      var look = family(node);
      var d = Object.assign({}, node, {
        id: String(node.id),
        color: look.color,
        shape: look.shape,
        display_label: short(node.label)
      });
      if (node.incidents > 0) { d.badge = badge(node.incidents); }
      return { group: "nodes", data: d, classes: node.incidents > 0 ? "incident" : "" };
    });
    var edges = data.edges.map(function (edge, index) {
      return { group: "edges", data: Object.assign({}, edge, {
        id: "e" + (edge.id || index), source: String(edge.source), target: String(edge.target)
      }) };
    });
    return nodes.concat(edges);
  }

  var STYLE = [
    { selector: "node", style: {
      "label": "data(display_label)", "background-color": "data(color)", "shape": "data(shape)",
      "width": 34, "height": 34, "font-size": 11, "text-valign": "bottom", "text-margin-y": 4,
      "color": "#212529", "border-width": 1,
      "border-color": "#fff", "min-zoomed-font-size": 7
    } },
    { selector: "node[?root]", style: { "width": 48, "height": 48, "font-weight": "bold", "font-size": 13 } },
    { selector: "node.incident", style: {
      "border-width": 4, "border-color": "#dc3545", "background-image": "data(badge)",
      "background-width": "20px", "background-height": "20px", "background-position-x": "100%",
      "background-position-y": "0%", "background-clip": "none", "bounds-expansion": 12,
      "background-image-containment": "over", "background-offset-x": 10, "background-offset-y": -10
    } },
    { selector: "node:selected", style: { "overlay-color": "#0d6efd", "overlay-opacity": 0.25, "overlay-padding": 6 } },
    { selector: "edge", style: {
      "width": 1.5, "line-color": "#adb5bd", "target-arrow-color": "#adb5bd", "target-arrow-shape": "triangle",
      "curve-style": "bezier", "arrow-scale": 0.8, "font-size": 9, "color": "#6c757d",
      "text-rotation": "autorotate", "text-background-color": "#fff", "text-background-opacity": 0.8
    } },
    { selector: "edge.labelled", style: { "label": "data(label)" } },
    { selector: "edge[kind = 'connected_to']", style: { "target-arrow-shape": "none", "line-color": "#fd7e14" } },
    { selector: "edge[kind = 'runs_on']", style: { "line-color": "#198754", "target-arrow-color": "#198754" } },
    { selector: "edge[kind = 'depends_on']", style: { "line-style": "dashed" } },
    { selector: "edge[kind = 'part_of'], edge[kind = 'child']", style: { "line-color": "#6f42c1", "target-arrow-color": "#6f42c1" } },
    { selector: "edge[kind = 'serves']", style: { "line-color": "#0d6efd", "target-arrow-color": "#0d6efd", "line-style": "dotted" } },
    { selector: ".hidden", style: { "display": "none" } },
    { selector: ".faded", style: { "opacity": 0.15 } }
  ];

  var BIG = 150;  // above this many nodes: straight edges and the layered layout computed here (fast)
  var ROW = 36;  // a level wider than this wraps onto several rows

  // Levels by breadth-first distance from the roots; inside a level, nodes ordered by the mean position of
  // their neighbours one level up (one barycentre pass), wide levels wrapped. O(nodes + edges).
  function layeredPositions(data) {
    var adjacent = {};
    data.nodes.forEach(function (n) { adjacent[String(n.id)] = []; });
    data.edges.forEach(function (e) {
      var s = String(e.source), t = String(e.target);
      if (adjacent[s] && adjacent[t]) { adjacent[s].push(t); adjacent[t].push(s); }
    });
    var depth = {};
    var queue = data.nodes.filter(function (n) { return n.root; }).map(function (n) { return String(n.id); });
    if (!queue.length && data.nodes.length) { queue = [String(data.nodes[0].id)]; }
    queue.forEach(function (id) { depth[id] = 0; });
    for (var i = 0; i < queue.length; i++) {
      adjacent[queue[i]].forEach(function (other) {
        if (depth[other] === undefined) { depth[other] = depth[queue[i]] + 1; queue.push(other); }
      });
    }
    var levels = [];
    data.nodes.forEach(function (n) {
      var id = String(n.id);
      var d = depth[id] === undefined ? 0 : depth[id];
      (levels[d] = levels[d] || []).push(id);
    });
    var positions = {}, order = {}, y = 0;
    levels.forEach(function (ids, d) {
      if (!ids) { return; }
      if (d > 0) {
        var weight = {};
        ids.forEach(function (id) {
          var sum = 0, count = 0;
          adjacent[id].forEach(function (o) { if (depth[o] === d - 1 && order[o] !== undefined) { sum += order[o]; count++; } });
          weight[id] = count ? sum / count : 0;
        });
        ids.sort(function (a, b) { return weight[a] - weight[b]; });
      }
      var width = Math.min(ids.length, ROW);
      ids.forEach(function (id, index) {
        order[id] = index / Math.max(1, ids.length - 1);
        var row = Math.floor(index / ROW), column = index % ROW;
        positions[id] = { x: (column - (width - 1) / 2) * 70, y: y + row * 60 };
      });
      y += Math.ceil(ids.length / ROW) * 60 + 70;
    });
    return { positions: positions, depth: depth };
  }

  function layoutOptions(name, cy, data) {
    var roots = cy.nodes("[?root]");
    if (name === "layered") {
      var layered = data._layered || (data._layered = layeredPositions(data));
      return { name: "preset", fit: true, padding: 30, positions: function (node) { return layered.positions[node.id()]; } };
    }
    if (name === "cose") {
      return { name: "cose", animate: false, randomize: true, nodeRepulsion: function () { return 8000; },
        idealEdgeLength: function () { return 60; }, numIter: cy.nodes().length > 300 ? 300 : 1000, fit: true, padding: 30 };
    }
    if (name === "concentric") {
      var depths = (data._layered || (data._layered = layeredPositions(data))).depth;
      return { name: "concentric", animate: false, fit: true, padding: 30, minNodeSpacing: 12,
        concentric: function (node) { return 100 - (depths[node.id()] || 0); }, levelWidth: function () { return 1; } };
    }
    if (name === "grid") {
      return { name: "grid", animate: false, fit: true, padding: 30 };
    }
    return { name: "breadthfirst", directed: false, animate: false, fit: true, padding: 30,
      spacingFactor: cy.nodes().length > 200 ? 0.9 : 1.2, roots: roots.length ? roots : undefined };
  }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value == null ? "" : String(value);
    return span;
  }

  function buildFilters(container, cy, data, apply) {
    var form = container.querySelector("[data-map-filters]");
    if (!form) { return; }
    var dimensions = [["class", "class_label"], ["status", "status_label"], ["organisation", "organisation"]];
    dimensions.forEach(function (pair) {
      var key = pair[0];
      var holder = form.querySelector('[data-filter="' + key + '"]');
      if (!holder) { return; }
      var seen = {};
      data.nodes.forEach(function (node) {
        var value = node[key];
        if (value === undefined || value === null || value === "") { return; }
        if (!seen[value]) { seen[value] = { label: node[pair[1]] || value, count: 0 }; }
        seen[value].count += 1;
      });
      var keys = Object.keys(seen).sort(function (a, b) { return String(seen[a].label).localeCompare(String(seen[b].label)); });
      holder.textContent = "";
      keys.forEach(function (value, index) {
        var id = "map-filter-" + key + "-" + index;
        var wrap = document.createElement("div");
        wrap.className = "form-check form-check-sm";
        var input = document.createElement("input");
        input.type = "checkbox";
        input.className = "form-check-input";
        input.id = id;
        input.checked = true;
        input.value = value;
        input.name = key;
        input.addEventListener("change", apply);
        var label = document.createElement("label");
        label.className = "form-check-label small";
        label.htmlFor = id;
        label.appendChild(text(seen[value].label));
        var count = document.createElement("span");
        count.className = "text-body-secondary ms-1";
        count.textContent = "(" + seen[value].count + ")";
        label.appendChild(count);
        wrap.appendChild(input);
        wrap.appendChild(label);
        holder.appendChild(wrap);
      });
      if (!keys.length) { holder.closest("[data-filter-group]") && holder.closest("[data-filter-group]").classList.add("d-none"); }
    });
    var onlyIncidents = form.querySelector("[name=only_incidents]");
    if (onlyIncidents) { onlyIncidents.addEventListener("change", apply); }
    var labels = form.querySelector("[name=edge_labels]");
    if (labels) {
      labels.addEventListener("change", function () {
        cy.edges().toggleClass("labelled", labels.checked);
      });
    }
  }

  function applyFilters(container, cy) {
    var form = container.querySelector("[data-map-filters]");
    if (!form) { return; }
    var wanted = {};
    ["class", "status", "organisation"].forEach(function (key) {
      var boxes = form.querySelectorAll('input[name="' + key + '"]');
      if (!boxes.length) { return; }
      wanted[key] = {};
      boxes.forEach(function (box) { if (box.checked) { wanted[key][box.value] = true; } });
    });
    var onlyIncidents = form.querySelector("[name=only_incidents]");
    var incidentsOnly = onlyIncidents && onlyIncidents.checked;
    cy.batch(function () {
      cy.nodes().forEach(function (node) {
        var visible = Object.keys(wanted).every(function (key) {
          var value = node.data(key);
          return value === undefined || value === null || value === "" || wanted[key][value];
        });
        if (incidentsOnly && !node.data("incidents") && !node.data("root")) { visible = false; }
        node.toggleClass("hidden", !visible);
      });
    });
    var counter = container.querySelector("[data-map-visible]");
    if (counter) { counter.textContent = String(cy.nodes().not(".hidden").length); }
  }

  function showDetails(container, node) {
    var panel = container.querySelector("[data-map-details]");
    if (!panel) { return; }
    var d = node.data();
    var template = container.querySelector("template[data-details-template]");
    panel.textContent = "";
    if (template) { panel.appendChild(template.content.cloneNode(true)); }
    var fill = function (name, value) {
      var el = panel.querySelector('[data-field="' + name + '"]');
      if (!el) { return; }
      el.textContent = value == null || value === "" ? "—" : String(value);
    };
    fill("label", d.label);
    fill("class", d.class_label || d["class"]);
    fill("status", d.status_label || d.status);
    fill("organisation", d.organisation);
    fill("incidents", d.incidents || 0);
    var link = panel.querySelector("[data-link=page]");
    if (link) {
      if (d.url) { link.href = d.url; link.classList.remove("d-none"); } else { link.classList.add("d-none"); }
    }
    var incidents = panel.querySelector("[data-link=incidents]");
    if (incidents) {
      if (d.incidents_url && d.incidents > 0) { incidents.href = d.incidents_url; incidents.classList.remove("d-none"); }
      else { incidents.classList.add("d-none"); }
    }
  }

  function draw(container, data) {
    var canvas = container.querySelector("[data-map-canvas]");
    var started = window.performance ? performance.now() : 0;
    var big = data.nodes.length > BIG;
    var mark = function (name) { if (window.performance && performance.mark) { performance.mark("cmdb-map:" + name); } };
    mark("start");
    var style = big ? STYLE.concat([{ selector: "edge", style: { "curve-style": "straight" } }]) : STYLE;
    var cy = window.cytoscape({
      container: canvas,
      elements: elements(data),
      style: style,
      minZoom: 0.05,
      maxZoom: 3,
      textureOnViewport: big,
      hideEdgesOnViewport: big,
      pixelRatio: big ? 1 : "auto"
    });
    mark("init");
    var select = container.querySelector("[name=layout]");
    var name = (select && select.value) || container.dataset.layout || "breadthfirst";
    if (name === "breadthfirst" && big) { name = "layered"; }
    var run = function (layoutName) {
      cy.layout(layoutOptions(layoutName, cy, data)).run();
      if (cy.zoom() > 1.25) { cy.zoom(1.25); cy.center(); }  // a small system is not drawn giant
    };
    run(name);
    mark("layout");
    if (select) {
      select.addEventListener("change", function () { run(select.value); });
    }
    var apply = function () { applyFilters(container, cy); };
    buildFilters(container, cy, data, apply);
    apply();
    mark("filters");
    cy.on("tap", "node", function (event) { showDetails(container, event.target); });
    cy.on("dbltap", "node", function (event) {
      var url = event.target.data("url");
      if (url) { window.location.href = url; }
    });
    var fit = container.querySelector("[data-map-fit]");
    if (fit) { fit.addEventListener("click", function () { cy.fit(cy.nodes().not(".hidden"), 30); }); }
    var png = container.querySelector("[data-map-png]");
    if (png) {
      png.addEventListener("click", function () {
        var a = document.createElement("a");
        a.href = cy.png({ full: true, scale: 2, bg: "#ffffff" });
        a.download = (container.dataset.filename || "map") + ".png";
        a.click();
      });
    }
    // "Rendered" once the first frame is on the canvas (layout done and painted), not when the data arrived.
    var finished = false;
    var done = function () {
      if (finished) { return; }
      finished = true;
      mark("painted");
      container.dataset.renderMs = String(Math.round((window.performance ? performance.now() : 0) - started));
      container.dataset.rendered = "true";
      container.dispatchEvent(new CustomEvent("cmdb:map-rendered", { bubbles: true, detail: { cy: cy } }));
    };
    cy.one("render", done);
    window.setTimeout(done, 3000);
    window.opsdeskMap = cy;
    return cy;
  }

  function load(container) {
    var source = container.dataset.source;
    var status = container.querySelector("[data-map-status]");
    if (!source) { return; }
    if (!window.cytoscape) {
      if (status) { status.textContent = container.dataset.errorText || "Cytoscape.js did not load."; }
      return;
    }
    container.dataset.rendered = "false";
    var fetchStarted = window.performance ? performance.now() : 0;
    fetch(source, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        container.dataset.fetchMs = String(Math.round((window.performance ? performance.now() : 0) - fetchStarted));
        var counter = container.querySelector("[data-map-total]");
        if (counter) { counter.textContent = String(data.nodes.length); }
        if (status) { status.classList.add("d-none"); }
        var truncated = container.querySelector("[data-map-truncated]");
        if (truncated && data.truncated) { truncated.classList.remove("d-none"); }
        var empty = container.querySelector("[data-map-empty]");
        if (!data.nodes.length) {
          if (empty) { empty.classList.remove("d-none"); }
          container.dataset.rendered = "true";
          return;
        }
        draw(container, data);
      })
      .catch(function (error) {
        if (status) { status.textContent = (container.dataset.errorText || "The map could not be loaded.") + " (" + error.message + ")"; }
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-cmdb-map]").forEach(load);
  });
  window.opsdeskLoadMap = load;
})();
