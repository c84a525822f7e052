/* The book's moving pictures: convolution explorer, sliding dot product, max pooling
 * (forward and backward), im2col / col2im.  Plain JavaScript, no library, no network.
 *
 * cnnlib/widgets.py writes each widget as <div class="cnnw" data-kind="..."> holding
 * its settings as JSON, followed by this file in a <script>; the script mounts every
 * widget of the page that is not mounted yet.  The same output works on the website
 * (English and Japanese: the labels follow <html lang>), in JupyterLab (trusted output)
 * and, printed, as the still frame the widget starts on.
 *
 * Every number a widget shows is computed here from the inputs it was given; the site
 * test (tests/site/test_widgets.py) drives the controls in Chromium and compares what
 * the page shows with cnnlib's own functions.  Each widget also exposes its current
 * state as data-* attributes of its root element for that test.
 */
(function () {
  "use strict";
  if (window.CNNWidgets) { window.CNNWidgets.scan(); return; }

  // ------------------------------------------------------------------ labels
  var T = {
    en: {
      height: "Input height H", width: "Input width W", kernel: "Kernel size K", stride: "Stride S",
      padding: "Padding", dilation: "Dilation D", transposed: "Transposed convolution",
      pool: "Pool size", mode: "Pass", forward: "forward", backward: "backward",
      back: "Back", step: "Step", play: "Play", pause: "Pause", showAll: "Show all", reset: "Reset",
      sameKeras: "'same' (Keras)",
      input: "input", output: "output", padCell: "zero padding", unread: "read by no window",
      window: "current window", filter: "filter",
      formula: "Output size", keras: "What Keras does with 'same'",
      kerasLine: function (a, total, b, c) { return "total padding " + total + ": " + a + " before, " + b + " after" + c; },
      kerasOdd: " (odd total: the extra row or column goes after, at the bottom or right)",
      noWindows: "no window fits",
      position: function (i, j, n, m) { return "output (" + i + ", " + j + ") of " + n + " × " + m; },
      errLarger: function (k, h, a, b) { return "the kernel (" + k + ") is larger than the padded input (" + h + " + " + a + " + " + b + " = " + (h + a + b) + "): use a smaller kernel or more padding"; },
      errDivide: function (span, s) { return "(" + span + ") / " + s + " is not an integer: " + s + " does not divide " + span + "; change the padding or the stride, or use 'valid' to drop the last " + (span % s) + " row(s)"; },
      errTransposed: "a transposed convolution takes an integer padding up to D(K - 1) here",
      transposedNote: "Transposed: the input is spread out with S - 1 zeros between its cells and padded with D(K - 1) zeros minus the padding, then a stride-1 convolution runs over it.",
      dot: "Dot product", sum: "sum",
      poolOut: "max pooling output", dx: "gradient d x", dout: "gradient d out",
      routeTo: function (g, r, c) { return "gradient " + g + " goes to input (" + r + ", " + c + ")"; },
      maxIs: function (v, r, c) { return "maximum " + v + " at input (" + r + ", " + c + ")"; },
      col: "column matrix col (one row per window)", col2im: "col2im: the rows added back",
      im2colPhase: "im2col", col2imPhase: "col2im",
      row: function (r, n) { return "row " + r + " of " + n; },
      explorerName: "Convolution explorer", dotName: "Sliding window and dot products",
      poolName: "Max pooling, forward and backward", im2colName: "im2col and col2im",
      svgInput: function (h, w) { return "Padded input grid, " + h + " by " + w + " cells"; },
      svgOutput: function (h, w) { return "Output grid, " + h + " by " + w + " cells"; },
      volumeName: "A layer on a volume: every channel, two filters",
      channel: function (c) { return "input channel " + c; },
      filterSlice: function (f, c) { return "filter " + f + ", channel " + c; },
      bias: function (f, b) { return "bias b" + f + " = " + b; },
      outMap: function (f) { return "output map " + f; },
      volumeSum: function (f, i, j) { return "out[" + f + ", " + i + ", " + j + "] = "; },
      netName: "The trained LeNet, layer by layer: choose a unit (or click a map)",
      layer: "Layer", mapChannel: "Map (channel)", unitRow: "Row", unitCol: "Column",
      unitValue: function (l, c, i, j, v) { return l + "[" + c + ", " + i + ", " + j + "] = " + v; },
      field: function (r0, r1, c0, c1) { return "receptive field: input rows " + r0 + "–" + (r1 - 1) + ", columns " + c0 + "–" + (c1 - 1); },
      producedBy: function (conv, f) { return "computed with " + conv + "'s filter " + f; },
      scores: "class scores (softmax)", predicted: function (k, lab) { return "predicted " + k + (lab === null ? "" : ", label " + lab); },
      digit: "input digit", maps: function (l) { return "feature maps of " + l; }
    },
    ja: {
      height: "入力の高さ H", width: "入力の幅 W", kernel: "カーネルサイズ K", stride: "ストライド S",
      padding: "パディング", dilation: "膨張率 D", transposed: "転置畳み込み",
      pool: "プーリングサイズ", mode: "方向", forward: "順伝播", backward: "逆伝播",
      back: "戻る", step: "1歩進む", play: "再生", pause: "一時停止", showAll: "すべて表示", reset: "最初から",
      sameKeras: "'same'（Keras）",
      input: "入力", output: "出力", padCell: "ゼロパディング", unread: "どのウィンドウも読まないセル",
      window: "現在のウィンドウ", filter: "フィルター",
      formula: "出力サイズ", keras: "Keras の 'same' の扱い",
      kerasLine: function (a, total, b, c) { return "パディングの合計 " + total + "：前に " + a + "、後ろに " + b + c; },
      kerasOdd: "（合計が奇数なので、余る 1 行・1 列は後ろ、つまり下端か右端に入る）",
      noWindows: "ウィンドウが 1 つも収まらない",
      position: function (i, j, n, m) { return "出力 (" + i + ", " + j + ")（全体 " + n + " × " + m + "）"; },
      errLarger: function (k, h, a, b) { return "カーネル (" + k + ") がパディング後の入力 (" + h + " + " + a + " + " + b + " = " + (h + a + b) + ") より大きい：カーネルを小さくするかパディングを増やす"; },
      errDivide: function (span, s) { return "(" + span + ") / " + s + " が整数にならない：" + s + " は " + span + " を割り切らない。パディングかストライドを変えるか、'valid' で最後の " + (span % s) + " 行を捨てる"; },
      errTransposed: "ここでの転置畳み込みの整数パディングは D(K - 1) まで",
      transposedNote: "転置畳み込み：入力のセルの間に S - 1 個のゼロを挟んで広げ、周囲を D(K - 1) 個からパディング分を引いた数のゼロで埋めてから、ストライド 1 の畳み込みを行う。",
      dot: "内積", sum: "合計",
      poolOut: "最大値プーリングの出力", dx: "勾配 d x", dout: "勾配 d out",
      routeTo: function (g, r, c) { return "勾配 " + g + " は入力 (" + r + ", " + c + ") へ"; },
      maxIs: function (v, r, c) { return "最大値 " + v + "（入力 (" + r + ", " + c + ")）"; },
      col: "列行列 col（ウィンドウ 1 つにつき 1 行）", col2im: "col2im：行を足し戻した結果",
      im2colPhase: "im2col", col2imPhase: "col2im",
      row: function (r, n) { return n + " 行中の " + r + " 行目"; },
      explorerName: "畳み込みエクスプローラー", dotName: "スライドするウィンドウと内積",
      poolName: "最大値プーリングの順伝播と逆伝播", im2colName: "im2col と col2im",
      svgInput: function (h, w) { return "パディング後の入力グリッド（" + h + " × " + w + " セル）"; },
      svgOutput: function (h, w) { return "出力グリッド（" + h + " × " + w + " セル）"; },
      volumeName: "ブロックに働く層：全チャンネルと 2 つのフィルター",
      channel: function (c) { return "入力チャンネル " + c; },
      filterSlice: function (f, c) { return "フィルター " + f + "、チャンネル " + c; },
      bias: function (f, b) { return "バイアス b" + f + " = " + b; },
      outMap: function (f) { return "出力マップ " + f; },
      volumeSum: function (f, i, j) { return "out[" + f + ", " + i + ", " + j + "] = "; },
      netName: "学習済みの LeNet を層ごとに：ユニットを選ぶ（マップをクリックしてもよい）",
      layer: "層", mapChannel: "マップ（チャンネル）", unitRow: "行", unitCol: "列",
      unitValue: function (l, c, i, j, v) { return l + "[" + c + ", " + i + ", " + j + "] = " + v; },
      field: function (r0, r1, c0, c1) { return "受容野：入力の " + r0 + "–" + (r1 - 1) + " 行、" + c0 + "–" + (c1 - 1) + " 列"; },
      producedBy: function (conv, f) { return conv + " のフィルター " + f + " で計算"; },
      scores: "クラスのスコア（ソフトマックス）", predicted: function (k, lab) { return "予測 " + k + (lab === null ? "" : "、正解ラベル " + lab); },
      digit: "入力の数字", maps: function (l) { return l + " の特徴マップ"; }
    }
  };
  function lang(root) {
    var el = root.closest("[lang]");
    var l = (el && el.getAttribute("lang")) || document.documentElement.lang || "en";
    return l.slice(0, 2) === "ja" ? "ja" : "en";
  }
  function reducedMotion() {
    return !!(window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches);
  }

  // ---------------------------------------------------------------- geometry
  // One axis of a convolution, the rules of cnnlib.reference.conv_output_size and
  // resolve_padding: 'valid' drops a remainder, 'same' gives ceil(n / S) with the odd
  // extra padding after, an integer P must divide exactly.  A dilated kernel of K taps
  // spans D(K - 1) + 1 cells.
  function axis(n, k, s, pad, d) {
    d = d || 1;
    var span = d * (k - 1) + 1, before, after, out, strict = false;
    if (pad === "same") {
      out = Math.ceil(n / s);
      var total = Math.max((out - 1) * s + span - n, 0);
      before = Math.floor(total / 2); after = total - before;
      return { before: before, after: after, out: out, span: span, n: n, k: k, s: s, d: d };
    }
    if (pad === "valid") { before = after = 0; } else { before = after = pad; strict = true; }
    var padded = n + before + after;
    var r = { before: before, after: after, span: span, n: n, k: k, s: s, d: d };
    if (span > padded) { r.error = "larger"; r.out = 0; return r; }
    var travel = padded - span;
    if (strict && travel % s) { r.error = "divide"; r.travel = travel; r.out = 0; return r; }
    r.out = Math.floor(travel / s) + 1;
    return r;
  }
  // Transposed convolution along one axis (cnnlib.reference.ConvolutionTranspose, Keras's
  // Conv2DTranspose), drawn as the equivalent stride-1 convolution over the input spread out
  // with S - 1 zeros between its cells, padded with D(K - 1) minus the crop on each side: P and P
  // for an integer P, the 'same' split of max(span - S, 0) for 'same', none for 'valid'; with a
  // string padding and span < S, S - span more zeros after, so that the output is H S.
  function axisTransposed(n, k, s, pad, d) {
    d = d || 1;
    var span = d * (k - 1) + 1, top, bottom, extra = 0;
    if (pad === "valid" || pad === "same") {
      var total = pad === "same" ? Math.max(span - s, 0) : 0;
      top = Math.floor(total / 2); bottom = total - top; extra = Math.max(s - span, 0);
    } else {
      top = bottom = pad;
      if (pad > span - 1) return { error: "transposed", out: 0, n: n, k: k, s: s, d: d, span: span };
    }
    var spread = (n - 1) * s + 1, before = span - 1 - top, after = span - 1 - bottom + extra;
    return { before: before, after: after, out: spread + before + after - span + 1, span: span, n: n, k: k, s: s, d: d,
             spread: spread, top: top, bottom: bottom, extra: extra };
  }

  // ---------------------------------------------------------------- helpers
  var SVGNS = "http://www.w3.org/2000/svg";
  function h(tag, attrs, kids) {
    var el = document.createElement(tag);
    for (var a in attrs || {}) { if (attrs[a] !== undefined && attrs[a] !== null) el.setAttribute(a, attrs[a]); }
    (kids || []).forEach(function (c) { el.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return el;
  }
  function s(tag, attrs) {
    var el = document.createElementNS(SVGNS, tag);
    for (var a in attrs || {}) el.setAttribute(a, attrs[a]);
    return el;
  }
  var uid = 0;
  function fmt(v) { return (Math.round(v * 1000) / 1000).toString(); }

  // A grid of cells drawn as SVG: cell(r, c) -> {fill, text, cls}
  function grid(rows, cols, cell, label, size) {
    size = size || 30;
    var svg = s("svg", { width: cols * size + 2, height: rows * size + 2, viewBox: "-1 -1 " + (cols * size + 2) + " " + (rows * size + 2),
                         role: "img", "aria-label": label, "class": "cnnw-grid" });
    for (var r = 0; r < rows; r++) {
      for (var c = 0; c < cols; c++) {
        var info = cell(r, c);
        var g = s("g", { "class": "cnnw-cell " + (info.cls || ""), "data-r": r, "data-c": c });
        g.appendChild(s("rect", { x: c * size, y: r * size, width: size, height: size }));
        if (info.text !== undefined && info.text !== "") {
          var t = s("text", { x: c * size + size / 2, y: r * size + size / 2 + 4, "text-anchor": "middle" });
          t.textContent = info.text;
          g.appendChild(t);
        }
        svg.appendChild(g);
      }
    }
    return svg;
  }
  function windowBox(svg, r, c, hgt, wid, cls, size) {
    size = size || 30;
    svg.appendChild(s("rect", { x: c * size, y: r * size, width: wid * size, height: hgt * size, "class": cls }));
  }
  function control(id, text, input) {
    input.id = id;
    return h("span", { "class": "cnnw-control" }, [h("label", { "for": id }, [text]), input]);
  }
  function numberInput(value, min, max) {
    return h("input", { type: "number", min: min, max: max, step: 1, value: value });
  }
  function select(options, value) {
    var el = h("select");
    options.forEach(function (o) {
      var opt = h("option", { value: String(o[0]) }, [o[1]]);
      if (String(o[0]) === String(value)) opt.selected = true;
      el.appendChild(opt);
    });
    return el;
  }
  function clamp(v, lo, hi, dflt) {
    v = parseInt(v, 10);
    if (isNaN(v)) return dflt;
    return Math.max(lo, Math.min(hi, v));
  }
  function parsePad(v) { return (v === "valid" || v === "same") ? v : parseInt(v, 10); }

  // Step / play / pause / reset bar shared by every widget.  `w` has frames(), frame, draw().
  function player(w, t, root) {
    var back = h("button", { type: "button", "class": "cnnw-back" }, [t.back]);
    var step = h("button", { type: "button", "class": "cnnw-step" }, [t.step]);
    var play = h("button", { type: "button", "class": "cnnw-play", "aria-pressed": "false" }, [reducedMotion() ? t.showAll : t.play]);
    var reset = h("button", { type: "button", "class": "cnnw-reset" }, [t.reset]);
    var timer = null;
    function stop() { if (timer) { clearInterval(timer); timer = null; } play.textContent = reducedMotion() ? t.showAll : t.play; play.setAttribute("aria-pressed", "false"); }
    function go(f) { var n = w.frames(); w.frame = Math.max(0, Math.min(n - 1, f)); w.draw(); }
    back.addEventListener("click", function () { stop(); go(w.frame - 1); });
    step.addEventListener("click", function () { stop(); go(w.frame + 1); });
    reset.addEventListener("click", function () { stop(); go(0); });
    play.addEventListener("click", function () {
      if (timer) { stop(); return; }
      if (reducedMotion()) { go(w.frames() - 1); return; }  // no motion: jump to the finished picture
      if (w.frame >= w.frames() - 1) go(0);
      play.textContent = t.pause; play.setAttribute("aria-pressed", "true");
      timer = setInterval(function () {
        if (!root.isConnected || w.frame >= w.frames() - 1) { stop(); return; }
        go(w.frame + 1);
      }, 900);
    });
    w.stop = stop;
    return h("div", { "class": "cnnw-player", role: "group" }, [back, step, play, reset]);
  }

  // ------------------------------------------------ convolution explorer / dot product
  function explorer(root, cfg, t) {
    var id = "cnnw" + (++uid);
    var values = cfg.x ? cfg.x : null, weights = cfg.w ? cfg.w : null;
    var st = { H: values ? values.length : cfg.H, W: values ? values[0].length : cfg.W,
               K: weights ? weights.length : cfg.K, S: cfg.S, P: cfg.P, D: cfg.D || 1, T: !!cfg.transposed };
    var w = { frame: 0 };
    var fixed = cfg.fixed || [];
    var inputs = {};
    var bar = h("div", { "class": "cnnw-controls" });
    function add(name, text, input) {
      inputs[name] = input;
      if (fixed.indexOf(name) < 0) bar.appendChild(control(id + "-" + name, text, input));
      input.addEventListener("change", update);
    }
    if (!values) {
      add("H", t.height, numberInput(st.H, 1, 12));
      add("W", t.width, numberInput(st.W, 1, 12));
    }
    if (!weights) add("K", t.kernel, numberInput(st.K, 1, 7));
    add("S", t.stride, numberInput(st.S, 1, 4));
    add("P", t.padding, select([["valid", "'valid'"], ["same", t.sameKeras], [0, "0"], [1, "1"], [2, "2"], [3, "3"]], st.P));
    if (!values) {
      add("D", t.dilation, numberInput(st.D, 1, 3));
      var tr = h("input", { type: "checkbox" });
      tr.checked = st.T;
      add("T", t.transposed, tr);
    }
    var status = h("p", { "class": "cnnw-status", role: "status", "aria-live": "polite" });
    var formula = h("p", { "class": "cnnw-formula" });
    var keras = h("p", { "class": "cnnw-keras" });
    var dot = h("p", { "class": "cnnw-dot" });
    var pics = h("div", { "class": "cnnw-pics" });
    var legend = h("p", { "class": "cnnw-legend" }, [
      h("span", { "class": "cnnw-key cnnw-key-pad" }), t.padCell + "  ",
      h("span", { "class": "cnnw-key cnnw-key-unread" }), t.unread + "  ",
      h("span", { "class": "cnnw-key cnnw-key-window" }), t.window]);
    root.appendChild(h("p", { "class": "cnnw-title" }, [values ? t.dotName : t.explorerName]));
    root.appendChild(bar);
    root.appendChild(player(w, t, root));
    root.appendChild(status);
    root.appendChild(formula);
    root.appendChild(keras);
    root.appendChild(pics);
    root.appendChild(dot);
    root.appendChild(legend);

    var g;  // geometry of both axes
    function read() {
      if (!values) {
        st.H = clamp(inputs.H.value, 1, 12, st.H); st.W = clamp(inputs.W.value, 1, 12, st.W);
        st.D = clamp(inputs.D.value, 1, 3, st.D); st.T = inputs.T.checked;
      }
      if (!weights) st.K = clamp(inputs.K.value, 1, 7, st.K);
      st.S = clamp(inputs.S.value, 1, 4, st.S);
      st.P = parsePad(inputs.P.value);
      var f = st.T ? axisTransposed : axis;
      g = { r: f(st.H, st.K, st.S, st.P, st.D), c: f(st.W, st.K, st.S, st.P, st.D) };
    }
    function update() { if (w.stop) w.stop(); read(); w.frame = 0; w.draw(); }
    w.frames = function () { return Math.max(1, g.r.out * g.c.out); };

    // the padded (for transposed: spread and padded) grid and its values
    function cellValue(R, C) {
      // -> {kind: 'pad'|'in'|'gap', v, r, c}
      var a = g.r, b = g.c;
      var r = R - a.before, c = C - b.before;
      if (st.T) {
        if (r < 0 || c < 0 || r >= a.spread || c >= b.spread) return { kind: "pad", v: 0 };
        if (r % st.S || c % st.S) return { kind: "gap", v: 0 };
        return { kind: "in", r: r / st.S, c: c / st.S, v: values ? values[r / st.S][c / st.S] : null };
      }
      if (r < 0 || c < 0 || r >= st.H || c >= st.W) return { kind: "pad", v: 0 };
      return { kind: "in", r: r, c: c, v: values ? values[r][c] : null };
    }
    w.draw = function () {
      var a = g.r, b = g.c, S = st.T ? 1 : st.S, D = st.D;
      var rows = st.T ? (a.spread || 0) + a.before + a.after : st.H + a.before + a.after;
      var cols = st.T ? (b.spread || 0) + b.before + b.after : st.W + b.before + b.after;
      var err = a.error || b.error;
      var ok = !err && a.out > 0 && b.out > 0;
      var i = ok ? Math.floor(w.frame / b.out) : -1, j = ok ? w.frame % b.out : -1;
      // which padded cells some window reads, and which the current one reads
      var read = {}, here = {};
      if (ok) {
        for (var oi = 0; oi < a.out; oi++) for (var oj = 0; oj < b.out; oj++)
          for (var u = 0; u < st.K; u++) for (var v = 0; v < st.K; v++) {
            var key = (oi * S + u * D) + "," + (oj * S + v * D);
            read[key] = true;
            if (oi === i && oj === j) here[key] = [u, v];
          }
      }
      var unread = 0;
      pics.textContent = "";
      var inSvg = grid(rows, cols, function (R, C) {
        var cv = cellValue(R, C), key = R + "," + C;
        var cls = cv.kind === "in" ? "cnnw-in" : "cnnw-pad";
        if (cv.kind === "in" && ok && !read[key]) { cls += " cnnw-unread"; unread++; }
        if (here[key]) cls += " cnnw-here";
        return { cls: cls, text: values ? (cv.kind === "in" ? String(cv.v) : "0") : "" };
      }, t.svgInput(rows, cols));
      if (ok) {
        var spanR = D * (st.K - 1) + 1;
        windowBox(inSvg, i * S, j * S, spanR, spanR, "cnnw-window");
      }
      var outSvg = grid(Math.max(a.out, 0), Math.max(b.out, 0), function (r, c) {
        var cls = "cnnw-out" + (r === i && c === j ? " cnnw-here" : "");
        var text = "";
        if (values && weights && (r < i || (r === i && c <= j))) text = String(dotAt(r, c).sum);
        return { cls: cls, text: text };
      }, t.svgOutput(a.out, b.out));
      pics.appendChild(h("figure", {}, [inSvg, h("figcaption", {}, [t.input])]));
      if (weights) {
        pics.appendChild(h("figure", {}, [grid(st.K, st.K, function (r, c) { return { cls: "cnnw-w", text: String(weights[r][c]) }; },
                                                t.filter + " " + st.K + " × " + st.K), h("figcaption", {}, [t.filter])]));
      }
      pics.appendChild(h("figure", {}, [outSvg, h("figcaption", {}, [t.output])]));
      // formula with the live numbers
      formula.textContent = t.formula + ": " + formulaText(a, "H") + ";  " + formulaText(b, "W");
      keras.textContent = "";
      if (st.P === "same" && !st.T) {
        var line = function (x) { return t.kerasLine(x.before, x.before + x.after, x.after, (x.before + x.after) % 2 ? t.kerasOdd : ""); };
        keras.textContent = t.keras + ": H: " + line(a) + "; W: " + line(b);
      }
      if (st.T) keras.textContent = t.transposedNote;
      status.textContent = err ? errorText(a.error ? a : b) : t.position(i, j, a.out, b.out);
      dot.textContent = "";
      if (ok && values && weights) {
        var d = dotAt(i, j);
        dot.textContent = t.dot + ": " + d.terms.map(function (p) { return p[0] + "×" + p[1]; }).join(" + ") + " = " + d.sum;
        root.setAttribute("data-dot-terms", JSON.stringify(d.terms));
        root.setAttribute("data-dot-sum", String(d.sum));
      }
      root.setAttribute("data-out", ok ? a.out + "x" + b.out : "error");
      root.setAttribute("data-error", err || "");
      root.setAttribute("data-pad", JSON.stringify([[a.before, a.after], [b.before, b.after]]));
      root.setAttribute("data-window", ok ? JSON.stringify([i * S, j * S]) : "");
      root.setAttribute("data-unread", String(unread));
      root.setAttribute("data-frame", String(w.frame));
      root.setAttribute("data-frames", String(w.frames()));
    };
    function dotAt(i, j) {
      var terms = [], sum = 0, S = st.S;
      for (var u = 0; u < st.K; u++) for (var v = 0; v < st.K; v++) {
        var cv = cellValue(i * S + u, j * S + v);
        terms.push([cv.v, weights[u][v]]);
        sum += cv.v * weights[u][v];
      }
      return { terms: terms, sum: fmt(sum) };
    }
    function formulaText(x, name) {
      if (x.error === "transposed") return t.errTransposed;
      var k = x.d > 1 ? x.d + "(" + x.k + " − 1) + 1" : String(x.k);
      if (st.T) {
        if (st.P === "same") return "O" + name + " = " + x.n + " × " + x.s + " = " + x.out;
        if (st.P === "valid") return "O" + name + " = " + x.n + " × " + x.s + " + max(" + k + " − " + x.s + ", 0) = " + x.out;
        return "O" + name + " = (" + x.n + " − 1) × " + x.s + " + " + k + " − 2 × " + x.top + " = " + x.out;
      }
      if (st.P === "same") return "O" + name + " = ⌈" + x.n + " / " + x.s + "⌉ = " + x.out;
      var pads = x.before + x.after;
      var head = "O" + name + " = (" + x.n + " + " + pads + " − " + k + ") / " + x.s + " + 1";
      if (x.error === "larger") return head + ": " + t.noWindows;
      var exact = (x.n + pads - x.span) / x.s + 1;
      if (x.error === "divide") return head + " = " + fmt(exact);
      return head + (st.P === "valid" && exact !== x.out ? " = ⌊" + fmt(exact) + "⌋" : "") + " = " + x.out;
    }
    function errorText(x) {
      if (x.error === "larger") return t.errLarger(x.span, x.n, x.before, x.after);
      if (x.error === "divide") return t.errDivide(x.travel, x.s);
      return t.errTransposed;
    }
    read();
    w.draw();
  }

  // ------------------------------------------------------------- max pooling
  function pooling(root, cfg, t) {
    var id = "cnnw" + (++uid), x = cfg.x, H = x.length, W = x[0].length;
    var st = { K: cfg.K, S: cfg.S, mode: cfg.mode || "forward" };
    var w = { frame: 0 };
    var kIn = numberInput(st.K, 1, 4), sIn = numberInput(st.S, 1, 4);
    var mIn = select([["forward", t.forward], ["backward", t.backward]], st.mode);
    [kIn, sIn, mIn].forEach(function (el) { el.addEventListener("change", update); });
    var status = h("p", { "class": "cnnw-status", role: "status", "aria-live": "polite" });
    var pics = h("div", { "class": "cnnw-pics" });
    root.appendChild(h("p", { "class": "cnnw-title" }, [t.poolName]));
    root.appendChild(h("div", { "class": "cnnw-controls" }, [control(id + "-K", t.pool, kIn), control(id + "-S", t.stride, sIn), control(id + "-M", t.mode, mIn)]));
    root.appendChild(player(w, t, root));
    root.appendChild(status);
    root.appendChild(pics);
    var g;
    function read() {
      st.K = clamp(kIn.value, 1, 4, st.K); st.S = clamp(sIn.value, 1, 4, st.S); st.mode = mIn.value;
      g = { r: axis(H, st.K, st.S, "valid"), c: axis(W, st.K, st.S, "valid") };
    }
    function update() { if (w.stop) w.stop(); read(); w.frame = 0; w.draw(); }
    w.frames = function () { return Math.max(1, g.r.out * g.c.out); };
    // dout: 1, 2, 3, ... times 10 unless given (the chapter's [[10, 20], [30, 40]] for 2 x 2)
    function dout(i, j) {
      if (cfg.dout && cfg.dout.length === g.r.out && cfg.dout[0].length === g.c.out) return cfg.dout[i][j];
      return 10 * (i * g.c.out + j + 1);
    }
    function argmax(i, j) {  // first maximum in row-major order, as numpy's argmax
      var best = null;
      for (var u = 0; u < st.K; u++) for (var v = 0; v < st.K; v++) {
        var r = i * st.S + u, c = j * st.S + v;
        if (best === null || x[r][c] > x[best[0]][best[1]]) best = [r, c];
      }
      return best;
    }
    w.draw = function () {
      var ok = !g.r.error && !g.c.error, OH = g.r.out, OW = g.c.out;
      var i = ok ? Math.floor(w.frame / OW) : -1, j = ok ? w.frame % OW : -1;
      var done = function (r, c) { return r < i || (r === i && c <= j); };
      var dx = [], out = [], r, c;
      for (r = 0; r < H; r++) { dx.push([]); for (c = 0; c < W; c++) dx[r].push(0); }
      for (r = 0; r < OH; r++) { out.push([]); for (c = 0; c < OW; c++) {
        var m = argmax(r, c);
        out[r].push(x[m[0]][m[1]]);
        if (done(r, c)) dx[m[0]][m[1]] += dout(r, c);
      } }
      var win = ok ? argmax(i, j) : null;
      pics.textContent = "";
      var inSvg = grid(H, W, function (r, c) {
        var inWin = ok && r >= i * st.S && r < i * st.S + st.K && c >= j * st.S && c < j * st.S + st.K;
        var cls = "cnnw-in" + (inWin ? " cnnw-here" : "") + (win && win[0] === r && win[1] === c ? " cnnw-max" : "");
        return { cls: cls, text: String(x[r][c]) };
      }, t.svgInput(H, W));
      if (ok) windowBox(inSvg, i * st.S, j * st.S, st.K, st.K, "cnnw-window");
      pics.appendChild(h("figure", {}, [inSvg, h("figcaption", {}, [t.input])]));
      if (st.mode === "forward") {
        pics.appendChild(h("figure", {}, [grid(OH, OW, function (r, c) {
          return { cls: "cnnw-out" + (r === i && c === j ? " cnnw-here" : ""), text: done(r, c) ? String(out[r][c]) : "" };
        }, t.svgOutput(OH, OW)), h("figcaption", {}, [t.poolOut])]));
        status.textContent = ok ? t.position(i, j, OH, OW) + ": " + t.maxIs(x[win[0]][win[1]], win[0], win[1]) : t.noWindows;
      } else {
        pics.appendChild(h("figure", {}, [grid(OH, OW, function (r, c) {
          return { cls: "cnnw-out" + (r === i && c === j ? " cnnw-here" : ""), text: String(dout(r, c)) };
        }, t.svgOutput(OH, OW)), h("figcaption", {}, [t.dout])]));
        pics.appendChild(h("figure", {}, [grid(H, W, function (r, c) {
          return { cls: "cnnw-dx" + (win && win[0] === r && win[1] === c ? " cnnw-max" : ""), text: String(dx[r][c]) };
        }, t.svgInput(H, W)), h("figcaption", {}, [t.dx])]));
        status.textContent = ok ? t.position(i, j, OH, OW) + ": " + t.routeTo(dout(i, j), win[0], win[1]) : t.noWindows;
      }
      root.setAttribute("data-out", ok ? OH + "x" + OW : "error");
      root.setAttribute("data-pooled", JSON.stringify(out));
      root.setAttribute("data-dx", JSON.stringify(dx));
      root.setAttribute("data-argmax", win ? JSON.stringify(win) : "");
      root.setAttribute("data-frame", String(w.frame));
      root.setAttribute("data-frames", String(w.frames()));
    };
    read();
    w.draw();
  }

  // ---------------------------------------------------------------- im2col
  function im2col(root, cfg, t) {
    var id = "cnnw" + (++uid), x = cfg.x, H = x.length, W = x[0].length;
    var st = { K: cfg.K, S: cfg.S, P: cfg.P };
    var w = { frame: 0 };
    var kIn = numberInput(st.K, 1, 4), sIn = numberInput(st.S, 1, 3);
    var pIn = select([["valid", "'valid'"], ["same", t.sameKeras], [0, "0"], [1, "1"], [2, "2"]], st.P);
    [kIn, sIn, pIn].forEach(function (el) { el.addEventListener("change", update); });
    var status = h("p", { "class": "cnnw-status", role: "status", "aria-live": "polite" });
    var pics = h("div", { "class": "cnnw-pics" });
    root.appendChild(h("p", { "class": "cnnw-title" }, [t.im2colName]));
    root.appendChild(h("div", { "class": "cnnw-controls" }, [control(id + "-K", t.kernel, kIn), control(id + "-S", t.stride, sIn), control(id + "-P", t.padding, pIn)]));
    root.appendChild(player(w, t, root));
    root.appendChild(status);
    root.appendChild(pics);
    var g;
    function read() {
      st.K = clamp(kIn.value, 1, 4, st.K); st.S = clamp(sIn.value, 1, 3, st.S); st.P = parsePad(pIn.value);
      g = { r: axis(H, st.K, st.S, st.P), c: axis(W, st.K, st.S, st.P) };
    }
    function update() { if (w.stop) w.stop(); read(); w.frame = 0; w.draw(); }
    var n = function () { return g.r.out * g.c.out; };
    // frames 0..n-1 fill the rows of col; frames n..2n-1 add them back (col2im)
    w.frames = function () { return Math.max(1, 2 * n()); };
    function val(R, C) {
      var r = R - g.r.before, c = C - g.c.before;
      return (r < 0 || c < 0 || r >= H || c >= W) ? 0 : x[r][c];
    }
    function rowOf(k) {
      var i = Math.floor(k / g.c.out), j = k % g.c.out, row = [];
      for (var u = 0; u < st.K; u++) for (var v = 0; v < st.K; v++) row.push(val(i * st.S + u, j * st.S + v));
      return row;
    }
    w.draw = function () {
      var err = g.r.error || g.c.error, N = err ? 0 : n(), KK = st.K * st.K;
      var phase = w.frame < N ? "im2col" : "col2im", k = err ? -1 : (w.frame < N ? w.frame : w.frame - N);
      var i = k >= 0 ? Math.floor(k / g.c.out) : -1, j = k >= 0 ? k % g.c.out : -1;
      var rows = H + g.r.before + g.r.after, cols = W + g.c.before + g.c.after;
      var col = [], r, c;
      for (r = 0; r < N; r++) col.push(rowOf(r));
      var filled = phase === "im2col" ? k + 1 : N;
      pics.textContent = "";
      var inSvg = grid(rows, cols, function (R, C) {
        var inWin = k >= 0 && R >= i * st.S && R < i * st.S + st.K && C >= j * st.S && C < j * st.S + st.K;
        var pad = R < g.r.before || C < g.c.before || R >= g.r.before + H || C >= g.c.before + W;
        return { cls: (pad ? "cnnw-pad" : "cnnw-in") + (inWin ? " cnnw-here" : ""), text: String(val(R, C)) };
      }, t.svgInput(rows, cols), 26);
      if (k >= 0) windowBox(inSvg, i * st.S, j * st.S, st.K, st.K, "cnnw-window", 26);
      pics.appendChild(h("figure", {}, [inSvg, h("figcaption", {}, [t.input])]));
      var colSvg = grid(N, KK, function (r, c) {
        return { cls: "cnnw-out" + (r === k ? " cnnw-here" : ""), text: r < filled ? String(col[r][c]) : "" };
      }, t.col + " " + N + " × " + KK, 26);
      pics.appendChild(h("figure", {}, [colSvg, h("figcaption", {}, [t.col])]));
      // col2im: rows 0..k added back into a padded image, then the padding cut away
      var back = [];
      for (r = 0; r < rows; r++) { back.push([]); for (c = 0; c < cols; c++) back[r].push(0); }
      var added = phase === "col2im" ? k + 1 : 0;
      for (var q = 0; q < added; q++) {
        var qi = Math.floor(q / g.c.out), qj = q % g.c.out;
        for (var u = 0; u < st.K; u++) for (var v = 0; v < st.K; v++) back[qi * st.S + u][qj * st.S + v] += col[q][u * st.K + v];
      }
      var img = [];
      for (r = 0; r < H; r++) { img.push([]); for (c = 0; c < W; c++) img[r].push(back[r + g.r.before][c + g.c.before]); }
      if (phase === "col2im") {
        var bSvg = grid(H, W, function (r, c) {
          var R = r + g.r.before, C = c + g.c.before;
          var inWin = R >= i * st.S && R < i * st.S + st.K && C >= j * st.S && C < j * st.S + st.K;
          return { cls: "cnnw-dx" + (inWin ? " cnnw-here" : ""), text: fmt(img[r][c]) };
        }, t.svgInput(H, W), 26);
        pics.appendChild(h("figure", {}, [bSvg, h("figcaption", {}, [t.col2im])]));
      }
      status.textContent = err ? (g.r.error === "larger" || g.c.error === "larger" ? t.noWindows : t.errDivide((g.r.error ? g.r : g.c).travel, st.S))
        : (phase === "im2col" ? t.im2colPhase : t.col2imPhase) + ": " + t.row(k, N) + ", " + t.position(i, j, g.r.out, g.c.out);
      root.setAttribute("data-out", err ? "error" : g.r.out + "x" + g.c.out);
      root.setAttribute("data-phase", phase);
      root.setAttribute("data-col", JSON.stringify(col.slice(0, filled)));
      root.setAttribute("data-col2im", JSON.stringify(img));
      root.setAttribute("data-frame", String(w.frame));
      root.setAttribute("data-frames", String(w.frames()));
    };
    read();
    w.draw();
  }


  // ------------------------------------------------- a layer on a volume (CS231n's demo)
  // x: (C, H, W), w: (FN, C, K, K), b: (FN,).  Frames: filter f, then output row i, column j;
  // each shows the C channel sums under the window, the bias and the output value.
  function volume(root, cfg, t) {
    var id = "cnnw" + (++uid), x = cfg.x, wt = cfg.w, bias = cfg.b;
    var C = x.length, H = x[0].length, W = x[0][0].length, FN = wt.length, K = wt[0][0].length;
    var st = { S: cfg.S, P: cfg.P };
    var w = { frame: 0 };
    var sIn = numberInput(st.S, 1, 3);
    var pIn = select([["valid", "'valid'"], ["same", t.sameKeras], [0, "0"], [1, "1"], [2, "2"]], st.P);
    [sIn, pIn].forEach(function (el) { el.addEventListener("change", update); });
    var status = h("p", { "class": "cnnw-status", role: "status", "aria-live": "polite" });
    var formula = h("p", { "class": "cnnw-formula" });
    var dot = h("p", { "class": "cnnw-dot" });
    var pics = h("div", { "class": "cnnw-pics" });
    root.appendChild(h("p", { "class": "cnnw-title" }, [t.volumeName]));
    root.appendChild(h("div", { "class": "cnnw-controls" }, [control(id + "-S", t.stride, sIn), control(id + "-P", t.padding, pIn)]));
    root.appendChild(player(w, t, root));
    root.appendChild(status);
    root.appendChild(formula);
    root.appendChild(pics);
    root.appendChild(dot);
    var g;
    function read() {
      st.S = clamp(sIn.value, 1, 3, st.S); st.P = parsePad(pIn.value);
      g = { r: axis(H, K, st.S, st.P), c: axis(W, K, st.S, st.P) };
    }
    function update() { if (w.stop) w.stop(); read(); w.frame = 0; w.draw(); }
    var err = function () { return g.r.error || g.c.error; };
    w.frames = function () { return err() ? 1 : FN * g.r.out * g.c.out; };
    function val(c, R, Cc) {
      var r = R - g.r.before, q = Cc - g.c.before;
      return (r < 0 || q < 0 || r >= H || q >= W) ? 0 : x[c][r][q];
    }
    function at(f, i, j) {  // -> {parts: [sum of channel c], value}
      var parts = [], total = bias[f];
      for (var c = 0; c < C; c++) {
        var sum = 0;
        for (var u = 0; u < K; u++) for (var v = 0; v < K; v++) sum += val(c, i * st.S + u, j * st.S + v) * wt[f][c][u][v];
        parts.push(sum); total += sum;
      }
      return { parts: parts, value: total };
    }
    w.draw = function () {
      var e = err(), OH = g.r.out, OW = g.c.out, per = OH * OW;
      var f = e ? -1 : Math.floor(w.frame / per), i = e ? -1 : Math.floor((w.frame % per) / OW), j = e ? -1 : w.frame % OW;
      var rows = H + g.r.before + g.r.after, cols = W + g.c.before + g.c.after;
      pics.textContent = "";
      var col1 = h("div", { "class": "cnnw-stack" }), col2 = h("div", { "class": "cnnw-stack" }), col3 = h("div", { "class": "cnnw-stack" });
      for (var c = 0; c < C; c++) {
        var svg = grid(rows, cols, function (R, Q) {
          var pad = R < g.r.before || Q < g.c.before || R >= g.r.before + H || Q >= g.c.before + W;
          var inWin = !e && R >= i * st.S && R < i * st.S + K && Q >= j * st.S && Q < j * st.S + K;
          return { cls: (pad ? "cnnw-pad" : "cnnw-in") + (inWin ? " cnnw-here" : ""), text: String(val(c, R, Q)) };
        }, t.channel(c) + ": " + t.svgInput(rows, cols), 24);
        if (!e) windowBox(svg, i * st.S, j * st.S, K, K, "cnnw-window", 24);
        col1.appendChild(h("figure", {}, [svg, h("figcaption", {}, [t.channel(c)])]));
      }
      var ff = Math.max(f, 0);
      for (c = 0; c < C; c++) {
        col2.appendChild(h("figure", {}, [grid(K, K, function (u, v) { return { cls: "cnnw-w", text: String(wt[ff][c][u][v]) }; },
          t.filterSlice(ff, c), 24), h("figcaption", {}, [t.filterSlice(ff, c)])]));
      }
      col2.appendChild(h("p", {}, [t.bias(ff, bias[ff])]));
      var outs = [];
      for (var q = 0; q < FN; q++) {
        outs.push([]);
        for (var r = 0; r < OH; r++) { outs[q].push([]); for (var s2 = 0; s2 < OW; s2++) outs[q][r].push(at(q, r, s2).value); }
      }
      var doneUpTo = e ? -1 : w.frame;
      for (q = 0; q < FN; q++) {
        col3.appendChild(h("figure", {}, [grid(OH, OW, function (r, s3) {
          var k = q * per + r * OW + s3;
          return { cls: "cnnw-out" + (k === w.frame && !e ? " cnnw-here" : ""), text: k <= doneUpTo ? fmt(outs[q][r][s3]) : "" };
        }, t.outMap(q) + ": " + t.svgOutput(OH, OW), 24), h("figcaption", {}, [t.outMap(q)])]));
      }
      pics.appendChild(col1); pics.appendChild(col2); pics.appendChild(col3);
      formula.textContent = t.formula + ": O = (" + H + " + " + (g.r.before + g.r.after) + " − " + K + ") / " + st.S + " + 1 = " + (e ? "—" : OH);
      dot.textContent = "";
      if (e) {
        status.textContent = g.r.error === "larger" || g.c.error === "larger" ? t.noWindows : t.errDivide((g.r.error ? g.r : g.c).travel, st.S);
        root.setAttribute("data-out", "error");
      } else {
        var a = at(f, i, j);
        status.textContent = t.position(i, j, OH, OW) + ", " + t.outMap(f);
        dot.textContent = t.volumeSum(f, i, j) + a.parts.map(fmt).join(" + ") + " + " + bias[f] + " = " + fmt(a.value);
        root.setAttribute("data-out", FN + "x" + OH + "x" + OW);
        root.setAttribute("data-parts", JSON.stringify(a.parts));
        root.setAttribute("data-value", String(a.value));
        root.setAttribute("data-position", JSON.stringify([f, i, j]));
      }
      root.setAttribute("data-frame", String(w.frame));
      root.setAttribute("data-frames", String(w.frames()));
    };
    read();
    w.draw();
  }


  // ------------------------------------------------------ a trained network you can click
  // cfg.x: (H, W) input; cfg.layers: [{name, kind: conv|relu|pool, k, s, pad, maps: (C, h, w), conv}];
  // cfg.filters: {conv1: (FN, C, K, K), ...}; cfg.scores: softmax of the class scores.
  // The receptive field of unit (i, j) is computed here layer by layer (size, jump, first).
  function colour(v, lo, hi) {
    var a = hi > lo ? (v - lo) / (hi - lo) : 0;
    var g = Math.round(255 - 215 * a);
    return "rgb(" + g + "," + g + "," + Math.round(255 - 140 * a) + ")";
  }
  function heat(a, size, label, cls) {
    var rows = a.length, cols = a[0].length, lo = Infinity, hi = -Infinity, r, c;
    for (r = 0; r < rows; r++) for (c = 0; c < cols; c++) { lo = Math.min(lo, a[r][c]); hi = Math.max(hi, a[r][c]); }
    var svg = s("svg", { width: cols * size, height: rows * size, viewBox: "0 0 " + cols * size + " " + rows * size, role: "img",
                         "aria-label": label, "class": "cnnw-heat " + (cls || "") });
    for (r = 0; r < rows; r++) for (c = 0; c < cols; c++) {
      svg.appendChild(s("rect", { x: c * size, y: r * size, width: size, height: size, fill: colour(a[r][c], lo, hi), "data-r": r, "data-c": c }));
    }
    return svg;
  }
  function fields(layers) {  // size, jump, first of every layer's units, from the input up
    var size = 1, jump = 1, first = 0, out = {};
    layers.forEach(function (L) {
      first = first - L.pad * jump;
      size = size + (L.k - 1) * jump;
      jump = jump * L.s;
      out[L.name] = { size: size, jump: jump, first: first };
    });
    return out;
  }
  function network(root, cfg, t) {
    var id = "cnnw" + (++uid), L = cfg.layers, rf = fields(L), byName = {};
    L.forEach(function (l) { byName[l.name] = l; });
    var st = { layer: cfg.layer || L[0].name, c: 0, i: 0, j: 0 };
    var lIn = select(L.map(function (l) { return [l.name, l.name]; }), st.layer);
    var cIn = numberInput(0, 0, 99), iIn = numberInput(0, 0, 99), jIn = numberInput(0, 0, 99);
    [lIn, cIn, iIn, jIn].forEach(function (el) { el.addEventListener("change", function () { read(); draw(); }); });
    var status = h("p", { "class": "cnnw-status", role: "status", "aria-live": "polite" });
    var info = h("p", { "class": "cnnw-formula" });
    var pics = h("div", { "class": "cnnw-pics" });
    var mapsBox = h("div", { "class": "cnnw-maps" });
    root.appendChild(h("p", { "class": "cnnw-title" }, [t.netName]));
    root.appendChild(h("div", { "class": "cnnw-controls" }, [control(id + "-L", t.layer, lIn), control(id + "-C", t.mapChannel, cIn),
                                                            control(id + "-I", t.unitRow, iIn), control(id + "-J", t.unitCol, jIn)]));
    root.appendChild(status);
    root.appendChild(info);
    root.appendChild(pics);
    root.appendChild(mapsBox);
    function read() {
      var layerChanged = lIn.value !== st.layer;
      st.layer = lIn.value;
      var m = byName[st.layer].maps;
      st.c = clamp(cIn.value, 0, m.length - 1, 0); st.i = clamp(iIn.value, 0, m[0].length - 1, 0); st.j = clamp(jIn.value, 0, m[0][0].length - 1, 0);
      cIn.max = m.length - 1; iIn.max = m[0].length - 1; jIn.max = m[0][0].length - 1;
      cIn.value = st.c; iIn.value = st.i; jIn.value = st.j;
      if (layerChanged) drawMaps();
    }
    function drawMaps() {
      var l = byName[st.layer], size = l.maps[0].length > 12 ? 5 : (l.maps[0].length > 4 ? 9 : 16);
      mapsBox.textContent = "";
      var wrap = h("div", { "class": "cnnw-pics" });
      l.maps.forEach(function (m, c) {
        var svg = heat(m, size, t.maps(l.name) + " " + c, "cnnw-map");
        svg.setAttribute("data-channel", c);
        svg.addEventListener("click", function (ev) {
          var r = ev.target.getAttribute("data-r");
          if (r === null) return;
          cIn.value = c; iIn.value = r; jIn.value = ev.target.getAttribute("data-c");
          read(); draw();
        });
        wrap.appendChild(h("figure", {}, [svg, h("figcaption", {}, [String(c)])]));
      });
      mapsBox.appendChild(h("p", {}, [t.maps(l.name)]));
      mapsBox.appendChild(wrap);
    }
    function draw() {
      var l = byName[st.layer], f = rf[st.layer];
      var r0 = f.first + st.i * f.jump, c0 = f.first + st.j * f.jump, r1 = r0 + f.size, c1 = c0 + f.size;
      var v = l.maps[st.c][st.i][st.j];
      pics.textContent = "";
      var size = 8, img = heat(cfg.x, size, t.digit, "cnnw-input");
      img.appendChild(s("rect", { x: c0 * size, y: r0 * size, width: f.size * size, height: f.size * size, "class": "cnnw-window" }));
      pics.appendChild(h("figure", {}, [img, h("figcaption", {}, [t.digit])]));
      var filt = cfg.filters[l.conv][st.c], fbox = h("div", { "class": "cnnw-pics" });
      filt.forEach(function (sl, k) { fbox.appendChild(heat(sl, filt.length > 1 ? 7 : 14, t.producedBy(l.conv, st.c) + ", " + k, "cnnw-filter")); });
      pics.appendChild(h("figure", {}, [fbox, h("figcaption", {}, [t.producedBy(l.conv, st.c)])]));
      var best = 0;
      cfg.scores.forEach(function (p, k) { if (p > cfg.scores[best]) best = k; });
      var list = h("ol", { "class": "cnnw-scores", start: "0" });
      cfg.scores.forEach(function (p, k) {
        list.appendChild(h("li", { "class": k === best ? "cnnw-best" : "" }, [
          h("span", { "class": "cnnw-bar", style: "width:" + Math.round(p * 100) + "px" }), " " + k + ": " + fmt(p)]));
      });
      pics.appendChild(h("figure", {}, [list, h("figcaption", {}, [t.scores + "; " + t.predicted(best, cfg.label === undefined ? null : cfg.label)])]));
      mapsBox.querySelectorAll("rect.cnnw-picked").forEach(function (e) { e.classList.remove("cnnw-picked"); });
      var pick = mapsBox.querySelector("svg[data-channel='" + st.c + "'] rect[data-r='" + st.i + "'][data-c='" + st.j + "']");
      if (pick) pick.classList.add("cnnw-picked");
      status.textContent = t.unitValue(st.layer, st.c, st.i, st.j, fmt(v));
      info.textContent = t.field(Math.max(r0, 0), Math.min(r1, cfg.x.length), Math.max(c0, 0), Math.min(c1, cfg.x[0].length));
      root.setAttribute("data-unit", JSON.stringify([st.layer, st.c, st.i, st.j]));
      root.setAttribute("data-field", JSON.stringify([r0, r1, c0, c1]));
      root.setAttribute("data-value", String(v));
      root.setAttribute("data-filter", JSON.stringify([l.conv, st.c]));
      root.setAttribute("data-predicted", String(best));
    }
    drawMaps();
    read();
    draw();
  }

  // ------------------------------------------------------------------ mount
  var KINDS = { explorer: explorer, dot: explorer, pooling: pooling, im2col: im2col, volume: volume, network: network };
  function mount(root) {
    if (root.getAttribute("data-mounted")) return;
    var data = root.querySelector("script[type='application/json']");
    var cfg = JSON.parse(data.textContent);
    var t = T[lang(root)];
    root.setAttribute("data-mounted", "1");
    root.setAttribute("data-lang", lang(root));
    var still = root.querySelector(".cnnw-still");
    if (still) still.remove();  // the text shown where no script runs
    KINDS[root.getAttribute("data-kind")](root, cfg, t);
  }
  function scan() {
    var all = document.querySelectorAll("div.cnnw[data-kind]");
    for (var k = 0; k < all.length; k++) mount(all[k]);
  }
  window.CNNWidgets = { scan: scan, mount: mount, axis: axis, axisTransposed: axisTransposed };
  scan();
})();
