// Carbon-inclusion charts, drawn with the vendored ECharts from the JSON embedded in the page:
// actions, tonnes, participants and points per local day, and CO2e by programme. Every text
// that comes from the data is escaped before it goes into a tooltip (HTML).
(function () {
  "use strict";
  var source = document.getElementById("inclusion-chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var esc = echarts.format.encodeHTML;
  var whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  var tonnes = new Intl.NumberFormat("en-US", { maximumFractionDigits: 3 });

  function start(id) {
    var element = document.getElementById(id);
    if (!element) { return null; }
    if (!data.days.length && id !== "inclusion-by-programme") {
      element.classList.add("empty"); element.textContent = "No action yet."; return null;
    }
    var chart = echarts.init(element, null, { renderer: "svg" });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  function tooltip(format) {
    return {
      trigger: "axis",
      formatter: function (items) {
        return esc(items[0].axisValue) + "<br>" + items.map(function (p) {
          return p.marker + esc(p.seriesName) + ": <b>" + format(p.value) + "</b>";
        }).join("<br>");
      }
    };
  }

  function daily(id, series, unit, format, stacked) {
    var chart = start(id);
    if (!chart) { return; }
    chart.setOption({
      animation: false,
      legend: { top: 0 },
      grid: { left: 64, right: 20, top: 36, bottom: 40 },
      tooltip: tooltip(format),
      xAxis: { type: "category", data: data.days },
      yAxis: { type: "value", name: unit, axisLabel: { formatter: function (v) {
        return unit === "t" ? tonnes.format(v) : whole.format(v);
      } } },
      series: series.map(function (s) {
        return { name: s[0], type: stacked ? "bar" : "line", stack: stacked ? "all" : undefined,
                 showSymbol: false, itemStyle: { color: s[2] }, data: data[s[1]] };
      })
    });
  }

  function t(v) { return tonnes.format(v) + " t"; }
  function n(v) { return whole.format(v); }

  daily("inclusion-actions", [["Accepted", "accepted", "#1f7a4d"], ["Held for review", "review", "#c99a2e"],
                              ["Rejected", "rejected", "#b5544a"]], "actions", n, true);
  daily("inclusion-co2e", [["CO2e reduced", "co2e_t", "#1f7a4d"], ["Food saved", "food_saved_t", "#c99a2e"],
                           ["Plastic recovered", "plastic_recovered_t", "#4f6d8f"],
                           ["Recycled", "recycled_t", "#8aa6c4"]], "t", t, false);
  daily("inclusion-participants", [["Participants", "participants", "#4f6d8f"]], "people", n, false);
  daily("inclusion-points", [["Granted", "points_granted", "#1f7a4d"], ["Redeemed", "points_redeemed", "#c99a2e"]],
        "points", n, false);

  var chart = start("inclusion-by-programme");
  if (chart) {
    var list = data.programmes.slice().reverse();
    if (!list.length) { chart.dispose(); return; }
    chart.setOption({
      animation: false,
      grid: { left: 260, right: 40, top: 20, bottom: 40 },
      tooltip: { trigger: "item", formatter: function (p) { return esc(p.name) + "<br><b>" + t(p.value) + "</b> CO2e"; } },
      xAxis: { type: "value", name: "t CO2e" },
      yAxis: { type: "category", data: list.map(function (p) { return p.name; }),
               axisLabel: { width: 245, overflow: "truncate" } },
      series: [{ type: "bar", itemStyle: { color: "#1f7a4d" }, data: list.map(function (p) { return p.co2e_t; }) }]
    });
  }
}());
