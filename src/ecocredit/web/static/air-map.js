// Air-quality map: every station a circle coloured by its latest AQI category, drawn with the
// vendored Leaflet on a plain background with a latitude/longitude grid. There is no online
// tile layer, so the map works offline. Text from the data is set as text, never as HTML.
(function () {
  "use strict";
  var element = document.getElementById("air-map");
  var source = document.getElementById("air-map-data");
  if (!element || !source || typeof L === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var stations = data.stations.filter(function (s) {
    return isFinite(s.lat) && isFinite(s.lon);
  });

  function node(tag, className, text) {
    var made = document.createElement(tag);
    if (className) { made.className = className; }
    if (text !== undefined && text !== null) { made.textContent = String(text); }
    return made;
  }

  function popup(s) {
    var box = node("div", "air-popup");
    box.appendChild(node("strong", "", s.name));
    box.appendChild(node("div", "muted", s.code + " · " + s.city + " · " + s.kind));
    var line = node("div", "air-popup-aqi");
    var badge = node("span", "aqi-badge", s.aqi === null ? "—" : s.aqi);
    badge.style.background = s.colour;
    badge.style.color = s.ink;
    line.appendChild(badge);
    line.appendChild(document.createTextNode(
      s.category ? " " + s.category + " " + (s.category_en || "") : " no AQI"));
    box.appendChild(line);
    box.appendChild(node("div", "", "Primary: " + (s.primary.length ? s.primary.join(", ") : "—")));
    box.appendChild(node("div", "muted", "Hour ending " + s.time + " (UTC+8)"));
    var link = node("a", "", "Station page ›");
    link.href = "/air/stations/" + encodeURIComponent(s.code);
    box.appendChild(link);
    return box;
  }

  var map = L.map(element, { zoomSnap: 0.25, minZoom: 2, maxZoom: 16, zoomControl: false });
  L.control.zoom({ position: "topright" }).addTo(map);
  map.attributionControl.setPrefix("Leaflet · no base map (offline)");

  // The grid: lines every 0.01°–20°, whichever gives a handful across the view.
  var grid = L.layerGroup().addTo(map);
  var STEPS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20];
  function drawGrid() {
    grid.clearLayers();
    var b = map.getBounds();
    var span = Math.max(b.getNorth() - b.getSouth(), b.getEast() - b.getWest());
    var step = STEPS.filter(function (s) { return span / s <= 8; })[0] || 20;
    var style = { color: "#b9c9c0", weight: 1, interactive: false };
    var digits = step < 1 ? (step < 0.1 ? 2 : 1) : 0;
    var west = Math.max(b.getWest(), -180), east = Math.min(b.getEast(), 180);
    var south = Math.max(b.getSouth(), -85), north = Math.min(b.getNorth(), 85);
    for (var lat = Math.ceil(south / step) * step; lat <= north; lat += step) {
      grid.addLayer(L.polyline([[lat, west], [lat, east]], style));
      grid.addLayer(label([lat, west], lat.toFixed(digits) + "°" + (lat >= 0 ? "N" : "S"), "lat"));
    }
    for (var lon = Math.ceil(west / step) * step; lon <= east; lon += step) {
      grid.addLayer(L.polyline([[south, lon], [north, lon]], style));
      grid.addLayer(label([south, lon], lon.toFixed(digits) + "°" + (lon >= 0 ? "E" : "W"), "lon"));
    }
  }
  function label(at, text, axis) {
    var icon = L.divIcon({ className: "air-grid-label air-grid-" + axis, html: "", iconSize: null });
    var mark = L.marker(at, { icon: icon, interactive: false, keyboard: false });
    mark.on("add", function () { mark.getElement().textContent = text; });
    return mark;
  }

  // Cleaner air drawn first, so the worst readings sit on top where circles overlap.
  var ordered = stations.slice().sort(function (a, b) { return (a.aqi || -1) - (b.aqi || -1); });
  var layer = L.featureGroup().addTo(map);
  var markers = {};
  ordered.forEach(function (s) {
    markers[s.code] = L.circleMarker([s.lat, s.lon], {
      radius: s.kind === "micro" ? 5 : 8, color: "#1c2b24", weight: 1,
      fillColor: s.colour, fillOpacity: 0.9
    }).bindPopup(popup(s)).bindTooltip(node("span", null, s.name + " " + (s.aqi === null ? "—" : s.aqi)))
      .addTo(layer);
  });

  // One label per city at the middle of its stations, and a button to zoom to it.
  var byCity = {};
  var cityLabels = L.layerGroup();
  // City names help at country scale; closer in they would hide the stations.
  function toggleCityLabels() {
    if (map.getZoom() < 8) { cityLabels.addTo(map); } else { cityLabels.remove(); }
  }
  stations.forEach(function (s) { (byCity[s.city] = byCity[s.city] || []).push([s.lat, s.lon]); });
  var buttons = node("div", "air-map-cities");
  function zoomButton(text, points) {
    var button = node("button", "", text);
    button.type = "button";
    button.addEventListener("click", function () {
      map.fitBounds(L.latLngBounds(points).pad(0.15), { maxZoom: 12 });
    });
    buttons.appendChild(button);
  }
  if (stations.length) {
    zoomButton("All stations", stations.map(function (s) { return [s.lat, s.lon]; }));
  }
  Object.keys(byCity).sort().forEach(function (city) {
    var points = byCity[city], centre = L.latLngBounds(points).getCenter();
    L.tooltip({ permanent: true, direction: "right", offset: [14, 0], className: "air-city-label" })
      .setLatLng(centre).setContent(node("span", "", city)).addTo(cityLabels);
    zoomButton(city, points);
  });
  element.parentNode.insertBefore(buttons, element);

  // A link may name what to show first: /air#city=<name> or /air#station=<code>.
  function fromHash() {
    var found = /^#(city|station)=(.+)$/.exec(window.location.hash);
    var wanted = found ? decodeURIComponent(found[2]) : null;
    if (found && found[1] === "city" && byCity[wanted]) {
      map.fitBounds(L.latLngBounds(byCity[wanted]).pad(0.15), { maxZoom: 12 });
    } else if (found && found[1] === "station" && markers[wanted]) {
      map.setView(markers[wanted].getLatLng(), 12);
      markers[wanted].openPopup();
    } else if (stations.length) {
      map.fitBounds(layer.getBounds().pad(0.15), { maxZoom: 12 });
    } else {
      map.setView([35, 105], 4);
    }
  }
  map.on("moveend", drawGrid);
  map.on("zoomend", toggleCityLabels);
  fromHash();
  window.addEventListener("hashchange", fromHash);
  toggleCityLabels();
  drawGrid();
})();
