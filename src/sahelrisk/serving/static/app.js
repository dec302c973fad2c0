// The web app's only script (the Content-Security-Policy allows no other): maps, place
// completion, table sorting and downloads. Text from the data only ever goes in through
// textContent or Leaflet's text tooltips built from escaped strings.
"use strict";
(function () {
  var TIER_COLOURS = JSON.parse(document.body.dataset.tierColours || "{}");
  var TIER_LABELS = JSON.parse(document.body.dataset.tierLabels || "{}");
  var base = document.body.dataset.base || "";
  var BASEMAP = document.body.dataset.basemap || "";
  // the zoom from which each size of town is named (1: 100,000 people and more)
  var TOWN_ZOOM = {1: 0, 2: 6, 3: 7, 4: 9};
  // a second cue beside colour: the higher the tier, the heavier the cell's outline
  var TIER_OUTLINE = {"very high": [2.5, "#4d0000"], "high": [1.5, "#7f2704"], "elevated": [0.6, "#555"], "low": [0.2, "#999"]};

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function percent(p) {
    if (p === null || p === undefined || isNaN(p)) { return "-"; }
    return (p < 0.01 ? (p * 100).toFixed(1) : Math.round(p * 100)) + " %";
  }
  function tierStyle(feature) {
    var tier = feature.properties.risk_tier;
    var outline = TIER_OUTLINE[tier] || [0.3, "#555"];
    return {color: outline[1], weight: outline[0], fillOpacity: tier === "low" ? 0.15 : 0.6,
            fillColor: TIER_COLOURS[tier] || "#bbb"};
  }

  // The background drawn from the app's own files: borders, admin areas, roads, towns by size.
  function basemap(map) {
    L.control.scale({imperial: false}).addTo(map);
    if (!BASEMAP) { return; }
    map.createPane("basemap");
    map.getPane("basemap").style.zIndex = 450;            // over the cells' fill, under the routes
    map.getPane("basemap").style.pointerEvents = "none";
    map.createPane("towns");
    map.getPane("towns").style.zIndex = 620;
    map.getPane("towns").style.pointerEvents = "none";
    var styles = {roads: {color: "#8c5a2b", weight: 1.2, opacity: 0.75}, adm2: {color: "#666", weight: 0.5, dashArray: "2 3"},
                  adm1: {color: "#444", weight: 1}, countries: {color: "#111", weight: 2.2}};
    ["roads", "adm2", "adm1", "countries"].forEach(function (name) {
      fetch(base + "/basemap/" + name + ".geojson?v=" + BASEMAP).then(function (r) { return r.json(); }).then(function (data) {
        L.geoJSON(data, {pane: "basemap", interactive: false, style: function () { return styles[name]; }}).addTo(map);
      }).catch(function () {});
    });
    fetch(base + "/basemap/towns.geojson?v=" + BASEMAP).then(function (r) { return r.json(); }).then(function (data) {
      var bySize = {};
      data.features.forEach(function (f) {
        var c = f.geometry.coordinates, size = f.properties.size;
        var marker = L.circleMarker([c[1], c[0]], {pane: "towns", radius: 5 - size, color: "#111", weight: 1,
          fillColor: "#fff", fillOpacity: 1, interactive: false});
        marker.bindTooltip(escapeHtml(f.properties.name), {permanent: true, direction: "right", pane: "towns",
          className: "town-label town-" + size});
        (bySize[size] = bySize[size] || L.layerGroup()).addLayer(marker);
      });
      function show() {
        Object.keys(bySize).forEach(function (size) {
          var wanted = map.getZoom() >= TOWN_ZOOM[size];
          if (wanted && !map.hasLayer(bySize[size])) { bySize[size].addTo(map); }
          if (!wanted && map.hasLayer(bySize[size])) { map.removeLayer(bySize[size]); }
        });
        map.getContainer().dataset.towns = String(Object.keys(bySize).filter(function (s) {
          return map.hasLayer(bySize[s]); }).reduce(function (n, s) { return n + bySize[s].getLayers().length; }, 0));
      }
      map.on("zoomend", show);
      show();
    }).catch(function () {});
  }

  // What the colours mean, inside the map: each tier's colour, outline and name.
  function legend(map) {
    var control = L.control({position: "bottomright"});
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "legend");
      ["very high", "high", "elevated", "low"].forEach(function (tier) {
        var row = L.DomUtil.create("div", "", box);
        var swatch = L.DomUtil.create("span", "swatch", row);
        var outline = TIER_OUTLINE[tier];
        swatch.style.background = TIER_COLOURS[tier] || "#bbb";
        swatch.style.border = outline[0] + "px solid " + outline[1];
        var label = L.DomUtil.create("span", "", row);
        label.textContent = " " + (TIER_LABELS[tier] || tier);
      });
      return box;
    };
    control.addTo(map);
  }

  var WORDS = {
    en: {weeks: "published weeks", from: "from", to: "to", hit: "weeks with a deadly event in the weeks forecast",
         verified: "verified", history: "Risk over the published weeks"},
    fr: {weeks: "semaines publiées", from: "de", to: "à", hit: "semaines avec un événement meurtrier dans les semaines prévues",
         verified: "vérifiées", history: "Risque au fil des semaines publiées"}
  };
  var words = WORDS[document.body.dataset.lang] || WORDS.en;

  // A small chart of a history (/api/v1/history): the probability week by week, a dark dot where
  // the weeks forecast saw a deadly event, a hollow one while the data does not cover them yet.
  function drawHistory(container, history) {
    var rows = history.weeks || [];
    container.replaceChildren();
    if (!rows.length) { return; }
    var ns = "http://www.w3.org/2000/svg", w = 280, h = 70, pad = 8;
    var top = Math.max(0.05, Math.max.apply(null, rows.map(function (r) { return r.probability; })));
    var x = function (i) { return pad + (rows.length === 1 ? 0 : i * (w - 2 * pad) / (rows.length - 1)); };
    var y = function (p) { return h - pad - p / top * (h - 2 * pad); };
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    svg.setAttribute("class", "history");
    svg.setAttribute("role", "img");
    var title = document.createElementNS(ns, "title");
    title.textContent = words.history;
    svg.appendChild(title);
    var line = document.createElementNS(ns, "polyline");
    line.setAttribute("points", rows.map(function (r, i) { return x(i) + "," + y(r.probability); }).join(" "));
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", "#1f4e79");
    line.setAttribute("stroke-width", "2");
    svg.appendChild(line);
    rows.forEach(function (r, i) {
      var dot = document.createElementNS(ns, "circle");
      dot.setAttribute("cx", x(i));
      dot.setAttribute("cy", y(r.probability));
      dot.setAttribute("r", r.events ? 4 : 2.5);
      dot.setAttribute("fill", r.pending ? "#fff" : (r.events ? "#b00" : "#1f4e79"));
      dot.setAttribute("stroke", r.events ? "#b00" : "#1f4e79");
      var tip = document.createElementNS(ns, "title");
      tip.textContent = r.week + ": " + percent(r.probability) + (r.pending ? "" : ", " + r.events + " / " + r.deaths);
      dot.appendChild(tip);
      svg.appendChild(dot);
    });
    var verified = rows.filter(function (r) { return !r.pending; });
    var said = document.createElement("span");
    said.className = "history-said";
    said.textContent = rows.length + " " + words.weeks + ": " + words.from + " " + percent(rows[0].probability) + " " +
      words.to + " " + percent(rows[rows.length - 1].probability) + "; " +
      verified.filter(function (r) { return r.events > 0; }).length + "/" + verified.length + " " + words.hit;
    container.appendChild(svg);
    container.appendChild(said);
    container.dataset.weeks = String(rows.length);
  }

  function loadHistory(container, query) {
    fetch(base + "/api/v1/history?" + query).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(function (history) { drawHistory(container, history); }).catch(function () {});
  }

  // A tap (or a click) shows what a shape is in the panel under the map, and its history: a touch screen has no hover.
  function inspect(element, text, query) {
    var panel = document.getElementById(element.id + "-info");
    if (!panel) { return; }
    panel.textContent = text;
    if (query) {
      var chart = document.createElement("div");
      chart.className = "history-box";
      panel.appendChild(chart);
      loadHistory(chart, query);
    }
  }

  function cellsMap(element) {
    var map = L.map(element, {preferCanvas: true, tap: true});
    basemap(map);
    legend(map);
    fetch(element.dataset.geojson, {headers: {"Accept": "application/geo+json"}}).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(function (data) {
      var layer = L.geoJSON(data, {style: tierStyle, onEachFeature: function (f, l) {
        var p = f.properties;
        var text = [p.adm2_name, p.adm1_name].filter(Boolean).join(", ") + ": " + percent(p.probability) +
          " (" + (TIER_LABELS[p.risk_tier] || p.risk_tier) + ")";
        l.bindTooltip(escapeHtml(text));
        l.on("click", function () { inspect(element, text, "cell=" + encodeURIComponent(p.unit_id)); });
      }}).addTo(map);
      map.fitBounds(layer.getBounds());
      element.dataset.drawn = String(data.features.length);
    }).catch(function () { element.textContent = "—"; });
  }

  function routeMap(element) {
    var data = JSON.parse(document.getElementById("route-data").textContent);
    var map = L.map(element);
    basemap(map);
    legend(map);
    L.geoJSON(data.cells, {style: function (f) {
      var style = tierStyle(f);
      style.fillOpacity = 0.35;
      return style;
    }, onEachFeature: function (f, l) {
      var text = (f.properties.adm2_name || "") + ": " + percent(f.properties.probability);
      l.bindTooltip(escapeHtml(text));
      l.on("click", function () { inspect(element, text); });
    }}).addTo(map);
    var fastest = data.routes.length ? data.routes[0].route : null;
    var layer = L.geoJSON(data.segments, {
      style: function (f) {
        var own = f.properties.route === fastest;
        return {color: own ? "#222" : "#666", weight: own ? 7 : 4, opacity: own ? 0.9 : 0.6,
                dashArray: own ? null : "6 6"};
      },
      onEachFeature: function (f, l) {
        var p = f.properties;
        var text = p.route + " #" + p.segment + " " + (p.adm2_name || "") + ": " + percent(p.probability) +
          " (" + (TIER_LABELS[p.risk_tier] || p.risk_tier || "-") + "), km " + Math.round(p.from_km);
        l.bindTooltip(escapeHtml(text));
        l.on("click", function () { inspect(element, text); });
      }
    }).addTo(map);
    map.fitBounds(layer.getBounds(), {padding: [30, 30]});   // a view first: permanent labels need one
    // each stretch of the fastest route in its tier's colour over the dark casing
    L.geoJSON(data.segments, {filter: function (f) { return f.properties.route === fastest; },
      style: function (f) { return {color: TIER_COLOURS[f.properties.risk_tier] || "#bbb", weight: 4, opacity: 1}; }
    }).addTo(map);
    (data.events || []).forEach(function (e) {
      L.circleMarker([e.latitude, e.longitude], {radius: 4 + Math.min(8, Math.sqrt(e.deaths)), color: "#000",
        weight: 1, fillColor: "#000", fillOpacity: 0.5}).bindTooltip(escapeHtml(e.date + ": " + e.deaths)).addTo(map);
    });
    (data.stops || []).forEach(function (s) {
      L.circleMarker([s.latitude, s.longitude], {radius: 6, color: "#fff", weight: 2, fillColor: "#1f4e79", fillOpacity: 1})
        .bindTooltip(escapeHtml(s.name), {permanent: true, direction: "right"}).addTo(map);
    });
    element.dataset.drawn = String(data.segments.features.length);
    var link = document.querySelector("[data-download]");
    if (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var blob = new Blob([JSON.stringify(data.segments)], {type: "application/geo+json"});
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = link.dataset.download;
        a.click();
      });
    }
  }

  function sitesMap(element) {
    var sites = JSON.parse(document.getElementById("sites-data").textContent);
    var map = L.map(element);
    basemap(map);
    legend(map);
    var layer = L.featureGroup(sites.map(function (s) {
      var outline = TIER_OUTLINE[s.risk_tier] || [1, "#555"];
      var marker = L.circleMarker([s.latitude, s.longitude], {radius: 5 + outline[0], color: outline[1],
        weight: outline[0] + 0.5, fillColor: TIER_COLOURS[s.risk_tier] || "#bbb", fillOpacity: 0.9});
      var text = s.name + ": " + percent(s.probability) + " (" + (TIER_LABELS[s.risk_tier] || s.risk_tier) + ")";
      marker.bindTooltip(escapeHtml(text));
      marker.on("click", function () { inspect(element, text, s.site_id ? "site=" + encodeURIComponent(s.site_id) : null); });
      return marker;
    })).addTo(map);
    map.fitBounds(layer.getBounds(), {padding: [20, 20]});
    element.dataset.drawn = String(sites.length);
  }

  function completion(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var parts = input.value.split(";");
      var q = parts[parts.length - 1].trim();
      if (q.length < 2) { return; }
      timer = setTimeout(function () {
        fetch(base + "/api/v1/places?q=" + encodeURIComponent(q)).then(function (r) { return r.json(); }).then(function (places) {
          list.replaceChildren();
          places.forEach(function (place) {
            var option = document.createElement("option");
            option.value = place.name + ", " + place.country_iso3;
            // where it is, so that two places of one name can be told apart (text, never markup)
            option.label = [place.adm2_name, place.adm1_name, place.country_iso3].filter(Boolean).join(", ") +
              " · " + place.kind;
            list.appendChild(option);
          });
        }).catch(function () {});
      }, 150);
    });
  }

  function sortable(table) {
    table.querySelectorAll("th").forEach(function (th, column) {
      th.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var numeric = th.dataset.sort === "number";
        var ascending = th.dataset.order !== "asc";
        th.dataset.order = ascending ? "asc" : "desc";
        rows.sort(function (a, b) {
          var x = a.cells[column], y = b.cells[column];
          if (!x || !y) { return 0; }
          var u = x.dataset.value || x.textContent, v = y.dataset.value || y.textContent;
          var d = numeric ? (parseFloat(u) || 0) - (parseFloat(v) || 0) : u.localeCompare(v);
          return ascending ? d : -d;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var cells = document.querySelector(".map[data-kind=cells]");
    if (cells) { cellsMap(cells); }
    var route = document.querySelector(".map[data-kind=route]");
    if (route) { routeMap(route); }
    var sites = document.querySelector(".map[data-kind=sites]");
    if (sites) { sitesMap(sites); }
    document.querySelectorAll("input[list]").forEach(completion);
    document.querySelectorAll("[data-history]").forEach(function (box) { loadHistory(box, box.dataset.history); });
    document.querySelectorAll("table.sortable").forEach(sortable);
  });
})();
