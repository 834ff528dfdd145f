// Registry supply charts: stacked bars by batch and by province, drawn with the vendored ECharts.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  var colours = { tradable: "#1f7a4d", retired: "#4f6d8f", cancelled: "#b5544a", buffer: "#c99a2e" };

  function stacked(elementId, categories, values, horizontal) {
    var element = document.getElementById(elementId);
    if (!element || typeof echarts === "undefined") { return; }
    var chart = echarts.init(element, null, { renderer: "svg" });
    var category = { type: "category", data: categories, axisLabel: { fontSize: 10 } };
    var value = { type: "value", name: "tCO2e" };
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: horizontal ? 220 : 60, right: 20, top: 36, bottom: 40 },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: data.states.map(function (state) {
        return { name: state, type: "bar", stack: "supply", data: values[state],
                 itemStyle: { color: colours[state] } };
      })
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  stacked("chart-batches", data.batches, data.by_batch, true);
  stacked("chart-places", data.places, data.by_place, false);
})();
