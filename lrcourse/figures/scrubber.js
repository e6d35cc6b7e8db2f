/*
 * The scrubbable figure's player (lrcourse.figures.scrubber inlines it in each figure).
 *
 * The figure holds a background picture, an empty <svg> over it, a slider, a play
 * button, a caption and a JSON block:
 *   clips:  [[x, y, width, height], ...]  plotting areas in pixels (a line stays inside);
 *   series: [[x0, y0, x1, y1, ...], ...]  polylines shared by the frames;
 *   frames: [{label, value, items}, ...]  one per slider position; an item is
 *           [kind, arguments...], drawn by the function of that kind in `draw`;
 *   fps:    frames per second of the play button.
 * Every coordinate is in the picture's pixels, origin top left.
 */
(function () {
  "use strict";
  var fig = document.currentScript.parentNode;
  var NS = "http://www.w3.org/2000/svg";
  var data = JSON.parse(fig.querySelector("script[type='application/json']").textContent);
  var svg = fig.querySelector("svg");
  var slider = fig.querySelector("input");
  var caption = fig.querySelector("figcaption");
  var button = fig.querySelector("button");

  function add(parent, tag, attrs) {
    var node = document.createElementNS(NS, tag);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    return parent.appendChild(node);
  }

  var defs = add(svg, "defs", {});
  var layer = add(svg, "g", {});
  data.clips.forEach(function (c, i) {
    add(add(defs, "clipPath", {id: fig.id + "-clip" + i}), "rect",
        {x: c[0], y: c[1], width: c[2], height: c[3]});
  });

  function clip(i) {
    return "url(#" + fig.id + "-clip" + i + ")";
  }

  // The first n points of series s ("x,y x,y ..."); all of them when n < 0.
  function points(s, n) {
    var xy = data.series[s];
    var m = n < 0 ? xy.length / 2 : Math.min(n, xy.length / 2);
    var out = [];
    for (var i = 0; i < m; i++) {
      out.push(xy[2 * i] + "," + xy[2 * i + 1]);
    }
    return out.join(" ");
  }

  var draw = {
    // A prefix of a series; `end` is the exact current point, which thinning may have dropped.
    line: function (s, n, color, width, c, dash, end) {
      var xy = points(s, n) + (end ? " " + end[0] + "," + end[1] : "");
      add(layer, "polyline", {points: xy, fill: "none", stroke: color,
        "stroke-width": width, "stroke-linejoin": "round", "clip-path": clip(c),
        "stroke-dasharray": dash || "none"});
    },
    dot: function (x, y, color, c) {
      add(layer, "circle", {cx: x, cy: y, r: 4, fill: color, stroke: "white",
        "clip-path": clip(c)});
    },
    // A shaft and a triangular head whose tip is exactly (x1, y1).
    arrow: function (x0, y0, x1, y1, color, width) {
      var dx = x1 - x0;
      var dy = y1 - y0;
      var len = Math.hypot(dx, dy);
      var h = 5 + 2 * width;
      if (len < 1) {
        return;
      }
      var ux = dx / len;
      var uy = dy / len;
      var bx = x1 - ux * h;
      var by = y1 - uy * h;
      add(layer, "line", {x1: x0, y1: y0, x2: bx, y2: by, stroke: color,
        "stroke-width": width});
      add(layer, "polygon", {fill: color, points: [x1, y1, bx - uy * h / 3, by + ux * h / 3,
        bx + uy * h / 3, by - ux * h / 3].join(" ")});
    },
    rect: function (x, y, w, h, color) {
      add(layer, "rect", {x: x, y: y, width: w, height: h, fill: color});
    },
    // Words on a white box sized to the text once it is laid out.
    text: function (x, y, words, color) {
      var back = add(layer, "rect", {fill: "white", "fill-opacity": 0.85});
      var text = add(layer, "text", {x: x, y: y, fill: color, "font-size": 12,
        "font-family": "sans-serif"});
      text.textContent = words;
      var box = text.getBBox();
      ["x", "y", "width", "height"].forEach(function (k, i) {
        back.setAttribute(k, box[k] + [-2, -1, 4, 2][i]);
      });
    }
  };

  function show(k) {
    var frame = data.frames[k];
    layer.textContent = "";
    frame.items.forEach(function (item) {
      draw[item[0]].apply(null, item.slice(1));
    });
    caption.textContent = frame.label;
    slider.setAttribute("aria-valuetext", frame.value);
  }

  var timer = null;

  function stop() {
    clearInterval(timer);
    timer = null;
    button.textContent = "\u25B6";
    button.setAttribute("aria-label", "play");
  }

  button.addEventListener("click", function () {
    if (timer) {
      stop();
      return;
    }
    if (+slider.value >= data.frames.length - 1) {
      slider.value = 0;
    }
    button.textContent = "\u275A\u275A";
    button.setAttribute("aria-label", "pause");
    timer = setInterval(function () {
      if (+slider.value >= data.frames.length - 1) {
        stop();
        return;
      }
      slider.value = +slider.value + 1;
      show(+slider.value);
    }, 1000 / data.fps);
  });
  slider.addEventListener("input", function () {
    stop();
    show(+slider.value);
  });
  show(+slider.value);
})();
