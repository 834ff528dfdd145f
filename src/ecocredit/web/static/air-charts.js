// Air-quality charts, drawn with the vendored ECharts: a station's hourly AQI over the AQI
// category bands, its daily AQI as a calendar heat map coloured by category, and a city's
// annual PM2.5 trend.
(function () {
  "use strict";
  var source = document.getElementById("air-chart-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var esc = echarts.format.encodeHTML;
  var WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

  function start(id) {
    var element = document.getElementById(id);
    if (!element) { return null; }
    var chart = echarts.init(element, null, { renderer: "svg" });
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  function describe(p) {
    if (p.aqi === null || p.aqi === undefined) { return "no AQI"; }
    return "AQI <b>" + p.aqi + "</b> " + esc(p.category + " " + p.category_en) +
      "<br>Primary: " + esc(p.primary.length ? p.primary.join(", ") : "—");
  }

  // Background bands, one per category, from the previous upper bound to this one.
  function bands(legend) {
    return legend.map(function (c, i) {
      var low = i === 0 ? 0 : legend[i - 1].upper;
      return [{ yAxis: low, name: c.zh, itemStyle: { color: c.colour, opacity: 0.22 } },
              { yAxis: c.upper }];
    });
  }

  function hourly(hours, legend) {
    var chart = start("air-hours");
    if (!chart) { return; }
    var top = Math.max.apply(null, hours.map(function (h) { return h.aqi || 0; }).concat([0]));
    var cap = legend.map(function (c) { return c.upper; }).filter(function (u) { return u >= top; });
    var ceiling = Math.max(100, cap.length ? cap[0] : top);
    chart.setOption({
      animation: false,
      grid: { left: 48, right: 20, top: 34, bottom: 40 },
      tooltip: {
        trigger: "axis",
        formatter: function (items) {
          var h = hours[items[0].dataIndex];
          return esc(h.t) + " (UTC+8)<br>" + describe(h);
        }
      },
      xAxis: {
        type: "category", data: hours.map(function (h) { return h.t; }), boundaryGap: false,
        axisLabel: {
          interval: function (i, value) { return value.slice(11) === "00:00"; },
          formatter: function (value) { return value.slice(5, 10); }
        },
        axisTick: { interval: function (i, value) { return value.slice(11) === "00:00"; } }
      },
      yAxis: { type: "value", name: "AQI", min: 0, max: ceiling, splitLine: { show: false } },
      series: [{
        name: "AQI", type: "line", connectNulls: false, symbol: "circle", symbolSize: 4,
        showAllSymbol: true,
        lineStyle: { color: "#1c2b24", width: 1.5 },
        itemStyle: { color: "#1c2b24" },
        data: hours.map(function (h) {
          return h.aqi === null ? null
            : { value: h.aqi, itemStyle: { color: h.colour, borderColor: "#1c2b24", borderWidth: 0.5 } };
        }),
        markArea: { silent: true, label: { show: true, position: "insideLeft", fontSize: 10,
                                           color: "#5b6b63" }, data: bands(legend) }
      }]
    });
  }

  // One colour per AQI level, as HJ 633 Annex A gives them.
  function pieces(legend) {
    return legend.map(function (c) { return { min: c.lower, max: c.upper, color: c.colour }; });
  }

  function calendar(cal, legend) {
    var element = document.getElementById("air-calendar");
    if (!element || !cal || !cal.cells.length) {
      if (element) { element.classList.add("empty"); element.textContent = "No day with a daily AQI yet."; }
      return;
    }
    var cell = Math.max(8, Math.min(22, Math.floor((element.clientWidth - 70) / cal.weeks)));
    element.style.height = (cell * 7 + 48) + "px";
    var byDay = {};
    cal.cells.forEach(function (c) { byDay[c.day] = c; });
    var chart = start("air-calendar");
    chart.setOption({
      animation: false,
      tooltip: {
        formatter: function (item) {
          var c = byDay[item.value[0]];
          return esc(c.day) + " " + WEEKDAYS[c.weekday] + "<br>" + describe(c);
        }
      },
      visualMap: { type: "piecewise", show: false, dimension: 1, pieces: pieces(legend) },
      calendar: {
        range: [cal.cells[0].day, cal.cells[cal.cells.length - 1].day],
        cellSize: [cell, cell], left: 44, top: 24, orient: "horizontal",
        // ECharts counts days from Sunday; the rows start on Monday.
        dayLabel: { firstDay: 1, nameMap: ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"], fontSize: 10 },
        monthLabel: { fontSize: 10 }, yearLabel: { show: false },
        splitLine: { show: false },
        itemStyle: { color: "#d9dee0", borderColor: "#ffffff", borderWidth: 1 }
      },
      series: [{
        type: "heatmap", coordinateSystem: "calendar",
        data: cal.cells.filter(function (c) { return c.aqi !== null; })
          .map(function (c) { return [c.day, c.aqi]; })
      }]
    });
  }

  function trendTip(t) {
    return function (items) {
      var i = items[0].dataIndex, lines = [esc(t.years[i])];
      if (t.values[i] !== null) {
        lines.push("Annual mean: <b>" + t.values[i] + "</b> " + esc(t.unit) +
          (t.computed[i] ? (t.valid[i] ? " (computed)" : " (computed, too few days: not valid)") : ""));
        if (t.sources[i]) { lines.push('<span style="white-space:normal">' + esc(t.sources[i]) + "</span>"); }
      }
      if (t.limits[i] !== null) { lines.push("Grade II annual limit: " + t.limits[i]); }
      t.targets.forEach(function (g) {
        if (g.year === t.years[i]) {
          lines.push("Target: " + g.value + " (baseline " + g.baseline + " in " + g.baseline_year + ")");
        }
      });
      return '<div style="max-width:360px">' + lines.join("<br>") + "</div>";
    };
  }

  function trend(t) {
    var chart = start("air-trend");
    if (!chart) { return; }
    if (!t.years.length) {
      chart.dispose();
      document.getElementById("air-trend").textContent = "No annual mean is known yet.";
      return;
    }
    chart.setOption({
      animation: false,
      legend: { top: 0 },
      grid: { left: 56, right: 24, top: 40, bottom: 36 },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, formatter: trendTip(t) },
      xAxis: { type: "category", data: t.years },
      yAxis: { type: "value", name: t.unit, min: 0 },
      series: [
        {
          name: "Annual mean " + t.pollutant, type: "bar", barMaxWidth: 36,
          itemStyle: { color: "#1f7a4d" },
          data: t.values.map(function (v, i) {
            if (v === null) { return null; }
            var style = { color: t.computed[i] ? "#8cc5a5" : "#1f7a4d" };
            if (!t.valid[i]) { style = { color: "#e3efe8", borderColor: "#8cc5a5", borderType: "dashed", borderWidth: 1.5 }; }
            return { value: v, itemStyle: style };
          })
        },
        {
          name: "Grade II annual limit", type: "line", step: "middle", symbol: "none",
          lineStyle: { color: "#b5544a", width: 2, type: "dashed" }, itemStyle: { color: "#b5544a" },
          data: t.limits
        },
        {
          name: "Target", type: "scatter", symbol: "diamond", symbolSize: 16,
          itemStyle: { color: "#c99a2e", borderColor: "#1c2b24", borderWidth: 1 },
          label: { show: true, position: "top", formatter: function (p) { return "target " + p.value[1]; } },
          data: t.targets.map(function (g) { return [g.year, g.value]; })
        }
      ]
    });
  }

  if (data.hours) { hourly(data.hours, data.legend); }
  if (data.calendar !== undefined) { calendar(data.calendar, data.legend); }
  if (data.years) { trend(data); }
})();
