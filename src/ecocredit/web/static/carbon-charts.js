// Carbon-accounting charts, drawn with the vendored ECharts from the JSON embedded in the page:
// an inventory year by scope, source, facility and month, and a product's footprint tree.
// Every text that comes from the data is escaped before it goes into a tooltip (HTML); axis
// labels and sunburst labels are drawn as SVG text, never as HTML.
(function () {
  "use strict";
  var source = document.getElementById("carbon-chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var esc = echarts.format.encodeHTML;
  var tonnes = new Intl.NumberFormat("en-US", { minimumFractionDigits: 3, maximumFractionDigits: 3 });
  var whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  var kilos = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
  var COLOURS = {
    scope1: "#1f7a4d", scope2_location: "#4f6d8f", scope2_market: "#8aa6c4", scope3: "#c99a2e"
  };
  var LOCATION = "#1f7a4d", MARKET = "#4f6d8f";

  function t(value) { return tonnes.format(value) + " t"; }
  function axis(value) { return whole.format(value); }

  function start(id) {
    var element = document.getElementById(id);
    if (!element) { return null; }
    var chart = echarts.init(element, null, { renderer: "svg" });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  function empty(id, text) {
    var element = document.getElementById(id);
    if (element) { element.classList.add("empty"); element.textContent = text; }
  }

  // Rows of "marker name: value" for an axis tooltip; names are escaped.
  function rows(items) {
    return items.filter(function (p) { return p.value !== null && p.value !== undefined; })
      .map(function (p) { return p.marker + esc(p.seriesName) + ": <b>" + t(p.value) + "</b>"; })
      .join("<br>");
  }

  function scopes(list) {
    var chart = start("carbon-scopes");
    if (!chart) { return; }
    chart.setOption({
      animation: false,
      grid: { left: 80, right: 20, top: 30, bottom: 56 },
      tooltip: {
        trigger: "item",
        formatter: function (p) { return esc(p.name) + "<br><b>" + t(p.value) + "</b> CO2e"; }
      },
      xAxis: {
        type: "category", data: list.map(function (s) { return s.label; }),
        axisLabel: { interval: 0, fontSize: 11, width: 90, overflow: "break" }
      },
      yAxis: { type: "value", name: "t CO2e", axisLabel: { formatter: axis } },
      series: [{
        type: "bar", barMaxWidth: 56,
        label: { show: true, position: "top", fontSize: 10,
                 formatter: function (p) { return whole.format(p.value); } },
        data: list.map(function (s) { return { value: s.t, itemStyle: { color: COLOURS[s.key] } }; })
      }]
    });
  }

  function sources(list) {
    var chart = start("carbon-sources");
    if (!chart) { return; }
    if (!list.length) { chart.dispose(); empty("carbon-sources", "No source."); return; }
    chart.setOption({
      animation: false,
      legend: { top: 0 },
      grid: { left: 300, right: 40, top: 34, bottom: 50 },
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (items) { return esc(items[0].name) + "<br>" + rows(items); }
      },
      xAxis: { type: "value", name: "t CO2e", nameLocation: "middle", nameGap: 28,
               axisLabel: { formatter: axis } },
      yAxis: {
        type: "category", data: list.map(function (s) { return s.label; }),
        axisLabel: { fontSize: 11, width: 285, overflow: "truncate" }
      },
      series: [
        { name: "Location-based", type: "bar", itemStyle: { color: LOCATION },
          data: list.map(function (s) { return s.location; }) },
        { name: "Market-based", type: "bar", itemStyle: { color: MARKET },
          data: list.map(function (s) { return s.market; }) }
      ]
    });
  }

  function facilities(list, names) {
    var chart = start("carbon-facilities");
    if (!chart) { return; }
    if (!list.length) { chart.dispose(); empty("carbon-facilities", "No facility has records."); return; }
    var keys = ["scope1", "scope2_location", "scope2_market", "scope3"];
    var selected = {};
    selected[names.scope2_market] = false;  // one scope 2 method at a time by default
    var shown = list.slice().reverse();  // the first facility on top
    chart.setOption({
      animation: false,
      legend: { top: 0, selected: selected },
      grid: { left: 220, right: 40, top: 34, bottom: 50 },
      tooltip: {
        trigger: "axis", axisPointer: { type: "shadow" },
        formatter: function (items) {
          var f = shown[items[0].dataIndex];
          return esc(f.label) + "<br>" + keys.map(function (k) {
            return esc(names[k]) + ": <b>" + t(f[k]) + "</b>";
          }).join("<br>");
        }
      },
      xAxis: { type: "value", name: "t CO2e", nameLocation: "middle", nameGap: 28,
               axisLabel: { formatter: axis } },
      yAxis: {
        type: "category", data: shown.map(function (f) { return f.label; }),
        axisLabel: { fontSize: 11, width: 205, overflow: "truncate" }
      },
      series: keys.map(function (k) {
        return { name: names[k], type: "bar", stack: "scope", barMaxWidth: 28,
                 itemStyle: { color: COLOURS[k] },
                 data: shown.map(function (f) { return f[k]; }) };
      })
    });
  }

  function months(list) {
    var chart = start("carbon-months");
    if (!chart) { return; }
    if (!list.length) { chart.dispose(); empty("carbon-months", "No month has records."); return; }
    chart.setOption({
      animation: false,
      legend: { top: 0 },
      grid: { left: 70, right: 20, top: 36, bottom: 40 },
      tooltip: {
        trigger: "axis",
        formatter: function (items) { return esc(items[0].name) + "<br>" + rows(items); }
      },
      xAxis: { type: "category", data: list.map(function (m) { return m.month; }) },
      yAxis: { type: "value", name: "t CO2e", axisLabel: { formatter: axis } },
      series: [
        { name: "Location-based", type: "line", symbolSize: 6, itemStyle: { color: LOCATION },
          data: list.map(function (m) { return m.location; }) },
        { name: "Market-based", type: "line", symbolSize: 6, lineStyle: { type: "dashed" },
          itemStyle: { color: MARKET }, data: list.map(function (m) { return m.market; }) }
      ]
    });
  }

  function tree(root) {
    var chart = start("carbon-tree");
    if (!chart) { return; }
    if (!root || !(root.value > 0)) {
      chart.dispose(); empty("carbon-tree", "Nothing to draw: the footprint is zero.");
      return;
    }
    var total = root.value;
    // The rings start with the product's inputs; its own emissions are a slice of their own.
    var first = (root.children || []).slice();
    var own = root.kg - first.reduce(function (sum, c) { return sum + c.kg; }, 0);
    if (own > total * 1e-4 || !first.length) {
      first.push({ name: root.name + " (own)", code: root.code, unit: root.unit, amount: null,
                   kg: first.length ? own : root.kg, value: first.length ? own : root.value });
    }
    chart.setOption({
      animation: false,
      color: ["#1f7a4d", "#4f6d8f", "#c99a2e", "#b5544a", "#6b8f71", "#8aa6c4", "#d8b665", "#7d5a8a"],
      graphic: [{
        type: "text", left: "center", top: "middle", silent: true,
        style: { text: kilos.format(root.kg) + "\nkg CO2e", fill: "#1c2b24", fontSize: 13,
                 fontWeight: 600, align: "center" }
      }],
      tooltip: {
        formatter: function (p) {
          var d = p.data || {};
          if (d.kg === undefined) { return ""; }
          var code = d.code ? " <span style=\"color:#5b6b63\">" + esc(d.code) + "</span>" : "";
          var amount = d.amount === null || d.amount === undefined ? "" :
            "<br>" + kilos.format(d.amount) + " " + esc(d.unit);
          return esc(d.name) + code + amount + "<br><b>" + kilos.format(d.kg) + "</b> kg CO2e (" +
            (100 * d.kg / root.kg).toFixed(1) + " % of the product)";
        }
      },
      series: [{
        type: "sunburst", sort: null, nodeClick: "rootToNode",
        emphasis: { focus: "ancestor" },
        itemStyle: { borderColor: "#fff", borderWidth: 1 },
        levels: rings(depth(first)),
        data: first
      }]
    });
  }

  function depth(nodes) {
    return nodes.reduce(function (most, n) {
      return Math.max(most, 1 + (n.children ? depth(n.children) : 0));
    }, 0);
  }

  // Two wide inner rings with labels; the deeper ones share the rest, labelled on hover only.
  function rings(count) {
    var levels = [{}], inner = 18, outer = 96;
    var wide = Math.min(count, 2), rest = count - wide;
    var step = rest ? 22 : (outer - inner) / Math.max(wide, 1);
    var edge = inner;
    for (var i = 0; i < count; i++) {
      var width = i < wide ? step : (outer - inner - wide * step) / rest;
      levels.push({
        r0: edge + "%", r: (edge + width) + "%",
        itemStyle: { opacity: Math.max(0.45, 1 - 0.15 * i) },
        label: i < wide
          ? { rotate: i === 0 ? "tangential" : "radial", fontSize: 11, minAngle: 10,
              overflow: "truncate", width: i === 0 ? 110 : 95 }
          : { show: false }
      });
      edge += width;
    }
    return levels;
  }

  if (data.scopes) { scopes(data.scopes); }
  if (data.sources) { sources(data.sources); }
  if (data.facilities) { facilities(data.facilities, data.scope_names); }
  if (data.months) { months(data.months); }
  if (data.tree !== undefined) { tree(data.tree); }
})();
