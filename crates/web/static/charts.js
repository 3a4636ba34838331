// ipbridge charts: draws every chart a page marks up, with the vendored Apache ECharts (echarts.min.js, loaded
// before this file). Pages emit markup only (the Content-Security-Policy forbids inline scripts):
//
//   <div class="chart" id="c-x" data-kind="line|bar|pie|gauge" data-data="d-x"
//        data-link="/indicators/counties/{key}" data-title="文件名" data-renderer="svg"></div>
//   <script type="application/json" id="d-x">{"categories": [...], "keys": [...], "series": [
//       {"name": "实际值", "data": [1, null, 3]}, {"name": "目标值", "data": [...], "dashed": true}],
//     "unit": "件", "horizontal": false, "stack": false}</script>
//   <button type="button" data-chart-png="c-x">下载图片</button>
//
// A click on a bar, point, slice or category label with data-link opens the link with {key} replaced by the
// category's key (nothing when the key is empty). data-renderer="svg" draws with the SVG renderer (crisp in
// print). Buttons marked data-print print the page.
"use strict";

(function () {
  if (window.ipbridgeChartsLoaded) {
    return; // Loaded twice by a page: one set of handlers is enough.
  }
  window.ipbridgeChartsLoaded = true;

  var FONT = '"PingFang SC", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif';
  // Readable on screen and in grey print: blue, vermilion, green, amber, purple, teal.
  var PALETTE = ["#0b57d0", "#d4380d", "#1a7f37", "#b07d00", "#7b3fa0", "#08979c"];
  var TARGET = "#cf222e";
  var INK = "#1f2328";
  var MUTED = "#656d76";
  var LINE = "#d0d7de";

  var charts = [];

  function readData(el) {
    var holder = document.getElementById(el.getAttribute("data-data") || "");
    if (!holder) {
      return null;
    }
    try {
      return JSON.parse(holder.textContent || "{}");
    } catch (e) {
      return null;
    }
  }

  function number(value, unit) {
    if (value === null || value === undefined || value === "-") {
      return "—";
    }
    var text = typeof value === "number" ? value.toLocaleString("zh-CN", { maximumFractionDigits: 2 }) : String(value);
    return unit ? text + " " + unit : text;
  }

  // The label width a horizontal bar chart's categories may take: a third of the chart, at most 11em.
  function labelWidth(el) {
    return Math.max(64, Math.min(176, Math.floor(el.clientWidth / 3)));
  }

  function baseOption(data, narrow) {
    var many = (data.series || []).length > 1;
    return {
      color: PALETTE,
      textStyle: { fontFamily: FONT, color: INK },
      legend: many ? { top: 0, left: "center", itemGap: narrow ? 8 : 16, textStyle: { fontSize: narrow ? 11 : 12 } } : { show: false },
      tooltip: {
        trigger: "axis",
        confine: true,
        valueFormatter: function (v) {
          return number(v, data.unit);
        },
      },
      grid: { left: 8, right: narrow ? 16 : 32, top: many ? 40 : 16, bottom: 8 },
    };
  }

  function lineOption(el, data) {
    var narrow = el.clientWidth < 480;
    var option = baseOption(data, narrow);
    var dense = (data.categories || []).length > 24;
    option.xAxis = {
      type: "category",
      data: data.categories,
      boundaryGap: false,
      axisLine: { lineStyle: { color: LINE } },
      // The first and last months stay inside the chart instead of being cut at its edges.
      axisLabel: { color: MUTED, hideOverlap: true, alignMinLabel: "left", alignMaxLabel: "right" },
    };
    // The unit is in the caption: an axis name would collide with the legend on a phone.
    option.yAxis = {
      type: "value",
      axisLabel: { color: MUTED },
      splitLine: { lineStyle: { color: "#eef1f4" } },
    };
    option.series = (data.series || []).map(function (s) {
      var series = {
        type: "line",
        name: s.name,
        data: s.data,
        connectNulls: false,
        showSymbol: !dense,
        symbolSize: 6,
        lineStyle: { width: 2.5 },
        emphasis: { focus: "series" },
      };
      if (s.dashed) {
        series.lineStyle = { width: 2, type: "dashed", color: TARGET };
        series.itemStyle = { color: TARGET };
        series.showSymbol = false;
        series.symbol = "none";
        series.emphasis = { disabled: true };
      }
      return series;
    });
    return option;
  }

  function barOption(el, data) {
    var narrow = el.clientWidth < 480;
    var option = baseOption(data, narrow);
    option.tooltip.axisPointer = { type: "shadow" };
    var categoryAxis = {
      type: "category",
      data: data.categories,
      triggerEvent: true,
      axisLine: { lineStyle: { color: LINE } },
      axisTick: { show: false },
      axisLabel: { color: INK, interval: 0 },
    };
    // The unit names the value axis at its end when that is the bottom right (horizontal bars); above a
    // vertical axis it would collide with the legend, and the caption carries it anyway.
    var valueAxis = {
      type: "value",
      name: data.horizontal ? data.unit || "" : "",
      nameTextStyle: { color: MUTED },
      axisLabel: { color: MUTED, hideOverlap: true },
      splitLine: { lineStyle: { color: "#eef1f4" } },
      minInterval: 1,
    };
    if (data.horizontal) {
      // The first category on top, as tables list it.
      categoryAxis.inverse = true;
      categoryAxis.axisLabel.width = labelWidth(el);
      categoryAxis.axisLabel.overflow = "truncate";
      option.yAxis = categoryAxis;
      option.xAxis = valueAxis;
    } else {
      categoryAxis.axisLabel.rotate = (data.categories || []).length > 6 ? 30 : 0;
      option.xAxis = categoryAxis;
      option.yAxis = valueAxis;
    }
    option.series = (data.series || []).map(function (s) {
      return {
        type: "bar",
        name: s.name,
        data: s.data,
        stack: data.stack ? "total" : undefined,
        barMaxWidth: 28,
        label: {
          show: !data.stack,
          position: data.horizontal ? "right" : "top",
          color: MUTED,
          fontSize: 11,
          formatter: function (p) {
            return p.value === null || p.value === undefined ? "" : number(p.value);
          },
        },
        emphasis: { focus: "series" },
      };
    });
    return option;
  }

  function pieOption(el, data) {
    var narrow = el.clientWidth < 480;
    var first = (data.series || [])[0] || { data: [] };
    return {
      color: PALETTE,
      textStyle: { fontFamily: FONT, color: INK },
      tooltip: {
        trigger: "item",
        confine: true,
        formatter: function (p) {
          // Tooltips are HTML: names come from data (applicants, chains), so they are escaped.
          return echarts.format.encodeHTML(p.name) + "：" + number(p.value, data.unit) + "（" + p.percent + "%）";
        },
      },
      legend: { type: "scroll", bottom: 0, textStyle: { fontSize: narrow ? 11 : 12 } },
      series: [
        {
          type: "pie",
          name: first.name,
          radius: narrow ? ["30%", "58%"] : ["35%", "65%"],
          center: ["50%", "45%"],
          data: (data.categories || []).map(function (name, i) {
            return { name: name, value: first.data[i] };
          }),
          label: { formatter: "{b}\n{d}%", fontSize: narrow ? 11 : 12 },
        },
      ],
    };
  }

  function gaugeOption(el, data) {
    var first = (data.series || [])[0] || { name: "", data: [0] };
    var value = Number(first.data[0]) || 0;
    return {
      textStyle: { fontFamily: FONT, color: INK },
      series: [
        {
          type: "gauge",
          name: first.name,
          min: 0,
          max: 100,
          progress: { show: true, width: 14, itemStyle: { color: value >= 100 ? PALETTE[2] : PALETTE[0] } },
          axisLine: { lineStyle: { width: 14, color: [[1, "#eef1f4"]] } },
          axisTick: { show: false },
          splitLine: { length: 8, lineStyle: { color: LINE } },
          axisLabel: { color: MUTED, distance: 18, fontSize: 11 },
          pointer: { show: false },
          title: { offsetCenter: [0, "70%"], color: MUTED, fontSize: 13 },
          detail: {
            valueAnimation: true,
            offsetCenter: [0, "10%"],
            fontSize: 24,
            fontWeight: "bold",
            color: INK,
            formatter: function (v) {
              return number(v) + "%";
            },
          },
          data: [{ value: value, name: first.name }],
        },
      ],
    };
  }

  function optionFor(el, kind, data) {
    switch (kind) {
      case "line":
        return lineOption(el, data);
      case "bar":
        return barOption(el, data);
      case "pie":
        return pieOption(el, data);
      case "gauge":
        return gaugeOption(el, data);
      default:
        return null;
    }
  }

  // Horizontal bars need room for every category; other charts take the height the stylesheet gives.
  function sizeFor(el, kind, data) {
    if (kind === "bar" && data.horizontal) {
      var rows = (data.categories || []).length;
      var perRow = 18 + 12 * Math.max(1, (data.series || []).length);
      el.style.height = Math.max(200, rows * perRow + 72) + "px";
    }
  }

  function bindLink(chart, el, data) {
    var link = el.getAttribute("data-link");
    var keys = data.keys || [];
    if (!link || keys.length === 0) {
      return;
    }
    chart.on("click", function (params) {
      var index = -1;
      if (params.componentType === "series") {
        index = params.dataIndex;
      } else if (params.componentType === "xAxis" || params.componentType === "yAxis") {
        index = (data.categories || []).indexOf(params.value);
      }
      var key = index >= 0 ? keys[index] : "";
      if (key) {
        window.location.href = link.split("{key}").join(encodeURIComponent(key));
      }
    });
  }

  function draw(el) {
    if (el.getAttribute("data-drawn") === "1" || typeof window.echarts === "undefined") {
      return;
    }
    var kind = el.getAttribute("data-kind") || "";
    var data = readData(el);
    if (!data) {
      return;
    }
    if (!data.categories || data.categories.length === 0) {
      el.classList.add("chart-empty");
      el.textContent = "暂无数据";
      el.setAttribute("data-drawn", "1");
      return;
    }
    sizeFor(el, kind, data);
    var svg = el.getAttribute("data-renderer") === "svg";
    var chart = window.echarts.init(el, null, { renderer: svg ? "svg" : "canvas", locale: "ZH" });
    var option = optionFor(el, kind, data);
    if (!option) {
      chart.dispose();
      return;
    }
    // Printed charts appear at once, without the entrance animation.
    option.animation = !svg;
    if (!(el.getAttribute("data-link") && (data.keys || []).length)) {
      (option.series || []).forEach(function (s) {
        s.cursor = "default";
      });
    }
    // Marks the element once the first render, animation included, is complete (tests and printing wait
    // for it).
    chart.on("finished", function () {
      el.setAttribute("data-finished", "1");
    });
    chart.setOption(option);
    bindLink(chart, el, data);
    el.setAttribute("data-drawn", "1");
    charts.push({ el: el, chart: chart, kind: kind, data: data });
  }

  function resizeAll() {
    charts.forEach(function (c) {
      if (c.kind === "bar" && c.data.horizontal) {
        // Category labels take a share of the width: recompute them for the new width.
        c.chart.setOption({ yAxis: { axisLabel: { width: labelWidth(c.el) } } });
      }
      c.chart.resize();
    });
  }

  function downloadPng(id) {
    var el = document.getElementById(id);
    var chart = el && window.echarts && window.echarts.getInstanceByDom(el);
    if (!chart) {
      return;
    }
    var url = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
    var a = document.createElement("a");
    var title = (el.getAttribute("data-title") || "图表").replace(/[\\/:*?"<>|]/g, "_");
    a.href = url;
    a.download = title + ".png";
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".chart[data-kind]"), draw);
    var pending = null;
    window.addEventListener("resize", function () {
      // One redraw per burst of resize events.
      if (pending) {
        window.clearTimeout(pending);
      }
      pending = window.setTimeout(resizeAll, 120);
    });
    // Print layouts are narrower than the screen: fit the charts to the page before printing.
    window.addEventListener("beforeprint", resizeAll);
    if (window.matchMedia) {
      var print = window.matchMedia("print");
      var onPrint = function () {
        resizeAll();
      };
      if (print.addEventListener) {
        print.addEventListener("change", onPrint);
      } else if (print.addListener) {
        print.addListener(onPrint);
      }
    }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    var png = target.closest && target.closest("[data-chart-png]");
    if (png) {
      event.preventDefault();
      downloadPng(png.getAttribute("data-chart-png"));
      return;
    }
    var printer = target.closest && target.closest("[data-print]");
    if (printer) {
      event.preventDefault();
      window.print();
    }
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
