// The web app's only script (the Content-Security-Policy allows no other): maps, place
// completion, table sorting and downloads. Text from the data only ever goes in through
// textContent or Leaflet's text tooltips built from escaped strings.
"use strict";
(function () {
  var TIER_COLOURS = JSON.parse(document.body.dataset.tierColours || "{}");
  var base = document.body.dataset.base || "";

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
    return {color: "#555", weight: 0.3, fillOpacity: tier === "low" ? 0.15 : 0.6, fillColor: TIER_COLOURS[tier] || "#bbb"};
  }

  function cellsMap(element) {
    var map = L.map(element, {preferCanvas: true});
    fetch(element.dataset.geojson, {headers: {"Accept": "application/geo+json"}}).then(function (r) {
      if (!r.ok) { throw new Error(r.status); }
      return r.json();
    }).then(function (data) {
      var layer = L.geoJSON(data, {style: tierStyle, onEachFeature: function (f, l) {
        var p = f.properties;
        l.bindTooltip(escapeHtml([p.adm2_name, p.adm1_name].filter(Boolean).join(", ")) + ": " + percent(p.probability));
      }}).addTo(map);
      map.fitBounds(layer.getBounds());
      element.dataset.drawn = String(data.features.length);
    }).catch(function () { element.textContent = "—"; });
  }

  function routeMap(element) {
    var data = JSON.parse(document.getElementById("route-data").textContent);
    var map = L.map(element);
    L.geoJSON(data.cells, {style: function (f) {
      var style = tierStyle(f);
      style.fillOpacity = 0.35;
      return style;
    }, onEachFeature: function (f, l) {
      l.bindTooltip(escapeHtml(f.properties.adm2_name || "") + ": " + percent(f.properties.probability));
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
        l.bindTooltip(escapeHtml(p.route + " #" + p.segment + " " + (p.adm2_name || "")) + ": " + percent(p.probability));
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
    document.querySelectorAll("input[list]").forEach(completion);
    document.querySelectorAll("table.sortable").forEach(sortable);
  });
})();
