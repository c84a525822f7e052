"""The widgets (cnnlib/widgets.js) driven in headless Chromium and compared with cnnlib.

Each test writes a page with the widgets exactly as a notebook cell outputs them
(cnnlib.widgets.html_of), opens it in Debian's chromium over the DevTools
protocol (tests/site/cdp.py), sets the controls as a reader would (a value and a
``change`` event, the buttons clicked, keys pressed), steps the animations and
compares what the page shows (the widget's data-* attributes, which its drawing is
made from, and the text it writes) with cnnlib.reference on a grid of cases,
including formulas that do not divide and kernels larger than the input.

Screenshots of every widget in both languages go to _build/screenshots/.
Without chromium the tests are skipped (under CI=true they fail).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cdp import Browser  # noqa: E402

import cnnlib  # noqa: E402
from cnnlib import reference, widgets  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "_build" / "screenshots"

# the chapters' worked examples (chapter 2's x and w, chapter 4's x)
X2 = np.array([[1, 2, 3, 0], [0, 1, 2, 3], [3, 0, 1, 2], [2, 3, 0, 1]])
W2 = np.array([[2, 0, 1], [0, 1, 2], [1, 0, 2]])
X4 = np.array([[1, 2, 0, 3], [4, 6, 5, 1], [3, 1, 2, 7], [0, 8, 1, 2]])
TIES = np.array([[3, 3, 1, 0, 2], [3, 1, 1, 2, 2], [0, 5, 5, 1, 0], [4, 1, 5, 2, 2], [1, 0, 0, 2, 6]])


@pytest.fixture(scope="module")
def browser():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("chromium is not installed: run tools/install_chromium.sh", pytrace=False)
        pytest.skip("chromium is not installed: run tools/install_chromium.sh")
    with Browser(path) as b:
        yield b


def page(tmp_path, items, lang="en"):
    """A page holding the widgets ``items`` as their cells output them; returns its file URL."""
    body = "\n".join(widgets.html_of(w) for w in items)
    path = tmp_path / f"widgets-{lang}.html"
    path.write_text(f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>widgets</title></head>'
                    f"<body><main>{body}</main></body></html>", encoding="utf-8")
    return path.as_uri()


def setc(b, k, name, value):
    """Set control ``name`` (H, W, K, S, P, D, T; or by position in the widget's bar) of widget k, as a reader would."""
    b.js(f"""(() => {{
      const root = document.querySelectorAll('.cnnw')[{k}];
      const el = root.querySelector('[id$="-{name}"]');
      if (!el) throw new Error('no control {name}');
      if (el.type === 'checkbox') el.checked = {json.dumps(bool(value))}; else el.value = {json.dumps(str(value))};
      el.dispatchEvent(new Event('change'));
    }})()""")


def state(b, k):
    return b.js(f"Object.assign({{}}, document.querySelectorAll('.cnnw')[{k}].dataset)")


def click(b, k, cls):
    b.js(f"document.querySelectorAll('.cnnw')[{k}].querySelector('.{cls}').click()")


def text(b, k, cls):
    return b.js(f"document.querySelectorAll('.cnnw')[{k}].querySelector('.{cls}').textContent")


# ------------------------------------------------------------------ explorer
# (H, W, K, S, padding, dilation): dividing and non-dividing formulas, 'valid' with a
# remainder, 'same' with odd and even totals, kernels larger than the input, dilation
EXPLORER_CASES = [
    (4, 4, 3, 1, "valid", 1), (4, 4, 3, 1, 1, 1), (7, 7, 3, 2, 0, 1), (6, 6, 3, 2, 0, 1),
    (6, 6, 3, 2, "valid", 1), (6, 6, 3, 2, "same", 1), (5, 5, 3, 1, "same", 1), (5, 7, 3, 2, 1, 1),
    (5, 8, 4, 3, "valid", 1), (8, 5, 4, 3, "same", 1), (3, 3, 5, 1, "valid", 1), (3, 3, 5, 1, "same", 1),
    (3, 3, 5, 1, 1, 1), (3, 3, 5, 1, 2, 1), (2, 5, 7, 2, 3, 1), (1, 1, 1, 1, "valid", 1),
    (12, 12, 7, 4, "same", 1), (9, 9, 2, 2, "valid", 1), (7, 7, 3, 1, "valid", 2), (9, 9, 3, 2, 2, 2),
    (5, 5, 3, 1, "same", 2), (6, 6, 3, 1, 0, 3), (4, 4, 3, 1, "valid", 2), (10, 7, 2, 3, 1, 3),
]


def expected_geometry(H, W, K, S, P, D):
    """cnnlib's answer: output size (or the error), the padding split and the cells no window reads."""
    span = D * (K - 1) + 1  # a dilated kernel of K taps spans D(K - 1) + 1 cells
    try:
        OH, OW = cnnlib.conv_output_size(H, span, S, P), cnnlib.conv_output_size(W, span, S, P)
    except ValueError:
        return {"out": "error"}
    pads = [list(p) for p in reference_pads(H, W, span, S, P)]
    Hp, Wp = H + sum(pads[0]), W + sum(pads[1])
    # which cells of the padded grid the windows read: im2col of the cells' own indices
    idx = np.arange(Hp * Wp, dtype=np.int64).reshape(1, 1, Hp, Wp)
    col = reference.im2col(idx, span, span, S, "valid").reshape(-1, span, span)[:, ::D, ::D]
    assert col.shape[0] == OH * OW
    read = set(col.ravel().tolist())
    inside = {(r + pads[0][0]) * Wp + c + pads[1][0] for r in range(H) for c in range(W)}
    return {"out": f"{OH}x{OW}", "pad": pads, "unread": len(inside - read)}


def reference_pads(H, W, span, S, P):
    try:  # cnnlib's one definition of the split
        from cnnlib.geometry import resolve_padding
    except ImportError:  # before the package's restructuring (issue 20)
        from cnnlib.reference import resolve_padding
    return resolve_padding((H, W), (span, span), S, P)


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_explorer_agrees_with_cnnlib_on_a_grid_of_cases(browser, tmp_path, lang):
    browser.open(page(tmp_path, [widgets.conv_explorer()], lang))
    for H, W, K, S, P, D in EXPLORER_CASES:
        for name, value in (("T", False), ("H", H), ("W", W), ("K", K), ("S", S), ("P", P), ("D", D)):
            setc(browser, 0, name, value)
        got, want = state(browser, 0), expected_geometry(H, W, K, S, P, D)
        case = f"H={H} W={W} K={K} S={S} P={P!r} D={D}"
        assert got["out"] == want["out"], case
        if want["out"] == "error":
            assert got["error"] in ("larger", "divide"), case
            status = text(browser, 0, "cnnw-status")
            assert ("larger" in status or "not an integer" in status) if lang == "en" else ("大きい" in status or "整数" in status), case
            continue
        assert json.loads(got["pad"]) == want["pad"], case
        assert int(got["unread"]) == want["unread"], case
        OH, OW = map(int, want["out"].split("x"))
        assert int(got["frames"]) == OH * OW, case
        # the formula line carries the live numbers, and 'same' says how Keras splits
        formula = text(browser, 0, "cnnw-formula")
        assert f"= {OH};" in formula and formula.endswith(f"= {OW}"), (case, formula)
        if P == "same":
            keras = text(browser, 0, "cnnw-keras")
            (pt, pb), (pl, pr) = want["pad"]
            assert (f"{pt} before, {pb} after" in keras) if lang == "en" else (f"前に {pt}、後ろに {pb}" in keras), (case, keras)
        # stepping walks the windows in reading order: window (i, j) starts at (i S, j S)
        for frame in (0, OH * OW - 1):
            click(browser, 0, "cnnw-reset")
            for _ in range(frame):
                click(browser, 0, "cnnw-step")
            i, j = divmod(frame, OW)
            assert json.loads(state(browser, 0)["window"]) == [i * S, j * S], case


# transposed: cnnlib.reference.conv_transpose_output_size, the size whose convolution gives back H
TRANSPOSED_CASES = [(2, 3, 3, 1, "valid", 1), (3, 3, 3, 2, "valid", 1), (3, 4, 3, 2, 1, 1), (4, 4, 4, 2, 1, 1),
                    (2, 2, 5, 3, 0, 1), (3, 3, 3, 1, 2, 1), (3, 3, 3, 2, 0, 2), (4, 4, 3, 2, 3, 1), (3, 3, 2, 3, "valid", 1),
                    (3, 5, 2, 3, "same", 1), (4, 3, 3, 2, "same", 1), (2, 2, 4, 1, "same", 1), (3, 3, 3, 2, "same", 2)]


def test_transposed_mode_agrees_with_cnnlibs_transposed_convolution(browser, tmp_path):
    browser.open(page(tmp_path, [widgets.conv_explorer()]))
    for H, W, K, S, P, D in TRANSPOSED_CASES:
        for name, value in (("H", H), ("W", W), ("K", K), ("S", S), ("P", P), ("D", D), ("T", True)):
            setc(browser, 0, name, value)
        got, case = state(browser, 0), f"H={H} W={W} K={K} S={S} P={P!r} D={D}"
        span = D * (K - 1) + 1
        try:
            want = (reference.conv_transpose_output_size(H, span, S, P), reference.conv_transpose_output_size(W, span, S, P))
        except ValueError:
            assert got["out"] == "error", case
            continue
        assert got["out"] == f"{want[0]}x{want[1]}", case
        # the layer itself gives that shape, and a convolution of that shape gives back H x W (D = 1)
        if D == 1:
            up = reference.ConvolutionTranspose(np.ones((1, 1, K, K)), np.zeros(1), S, P)
            assert up.forward(np.ones((1, 1, H, W))).shape[2:] == want, case


# --------------------------------------------------------------- dot products
DOT_CASES = [(X2, W2, 1, "valid"), (X2, W2, 1, 1), (X2, W2, 1, "same"), (X2, W2, 2, "same"), (X2, W2, 3, 1),
             ("rand5", 2, 2, "valid"), ("rand5", 3, 2, 1), ("rand6", 3, 2, "same"), ("rand5", 2, 3, 0)]


def test_every_dot_product_the_window_writes_is_cnnlibs(browser, tmp_path):
    rng = np.random.default_rng(0)
    for x, w, S, P in DOT_CASES:
        if isinstance(x, str):
            n = int(x[-1])
            x, w = rng.integers(-3, 6, (n, n)), rng.integers(-2, 3, (w, w))
        browser.open(page(tmp_path, [widgets.sliding_dot(x, w, stride=1, padding="valid")]))
        setc(browser, 0, "S", S)
        setc(browser, 0, "P", P)
        case = f"x {x.shape}, w {w.shape}, S={S}, P={P!r}"
        try:
            y = reference.Convolution(w.reshape(1, 1, *w.shape), np.zeros(1, dtype=w.dtype), S, P).forward(x.reshape(1, 1, *x.shape))[0, 0]
        except ValueError:
            assert state(browser, 0)["out"] == "error", case
            continue
        K = w.shape[0]
        col = reference.im2col(x.reshape(1, 1, *x.shape), K, K, S, P)
        st = state(browser, 0)
        assert st["out"] == f"{y.shape[0]}x{y.shape[1]}" and int(st["frames"]) == y.size, case
        for k in range(y.size):
            st = state(browser, 0)
            terms = json.loads(st["dotTerms"])
            # each term is (input value under the window, filter weight): im2col's row k against w
            assert [t[0] for t in terms] == col[k].tolist() and [t[1] for t in terms] == w.ravel().tolist(), (case, k)
            assert float(st["dotSum"]) == y.flat[k], (case, k)
            assert text(browser, 0, "cnnw-dot").endswith(f"= {int(y.flat[k])}"), (case, k)
            click(browser, 0, "cnnw-step")


# ------------------------------------------------------------------- pooling
POOL_CASES = [(X4, 2, 2), (X4, 2, 1), (X4, 3, 1), (X4, 3, 2), (X4, 1, 1), (TIES, 2, 1), (TIES, 3, 2), (TIES, 2, 2),
              (TIES, 3, 1), (TIES, 4, 3), (X4, 4, 4)]


def test_max_pooling_routes_each_gradient_to_cnnlibs_maximum(browser, tmp_path):
    browser.open(page(tmp_path, [widgets.max_pooling(X4, 2, 2), widgets.max_pooling(TIES, 2, 2, mode="backward")]))
    for x, K, S in POOL_CASES:
        k = 0 if x is X4 else 1
        case = f"x {x.shape}, pool {K}, stride {S}"
        setc(browser, k, "K", K)
        setc(browser, k, "S", S)
        setc(browser, k, "M", "backward")
        pool = reference.MaxPooling(K, stride=S)
        out = pool.forward(x.reshape(1, 1, *x.shape).astype(np.float64))[0, 0]
        OH, OW = out.shape
        args = pool.arg.reshape(OH, OW)  # cnnlib's first maximum of each window
        dout = 10.0 * np.arange(1, OH * OW + 1).reshape(OH, OW)
        assert state(browser, k)["out"] == f"{OH}x{OW}", case
        for f in range(OH * OW):
            i, j = divmod(f, OW)
            u, v = divmod(int(args[i, j]), K)
            assert json.loads(state(browser, k)["argmax"]) == [i * S + u, j * S + v], (case, f)
            click(browser, k, "cnnw-step")
        st = state(browser, k)
        assert json.loads(st["pooled"]) == out.astype(int).tolist(), case
        dx = pool.backward(dout.reshape(1, 1, OH, OW))[0, 0]
        assert json.loads(st["dx"]) == dx.astype(int).tolist(), case
        # overlapping windows: a cell that wins several windows receives their sum
        if S < K:
            assert dx.max() > dout.max() or len(set(args.ravel())) == args.size, case


# -------------------------------------------------------------------- im2col
IM2COL_CASES = [(X2, 2, 1, 0), (X2, 3, 1, 1), (X2, 2, 2, "valid"), (X2, 3, 2, "same"), (X2, 3, 2, 0),
                (X2, 1, 1, "valid"), (X2, 4, 1, "valid"), (X2, 4, 3, "same"), (TIES, 3, 2, 1), (TIES, 2, 3, "valid"),
                (TIES, 4, 1, 2), (X2[:2, :3], 3, 1, "valid"), (X2[:2, :3], 3, 1, "same")]


def test_im2col_rows_and_col2im_are_cnnlibs(browser, tmp_path):
    browser.open(page(tmp_path, [widgets.im2col_steps(X2), widgets.im2col_steps(TIES)]))
    for x, K, S, P in IM2COL_CASES:
        case = f"x {x.shape}, K={K}, S={S}, P={P!r}"
        if x is not TIES and x is not X2:
            browser.open(page(tmp_path, [widgets.im2col_steps(x), widgets.im2col_steps(TIES)]))
        k = 1 if x is TIES else 0
        setc(browser, k, "K", K)
        setc(browser, k, "S", S)
        setc(browser, k, "P", P)
        x4 = x.reshape(1, 1, *x.shape)
        try:
            col = reference.im2col(x4, K, K, S, P)
        except ValueError:
            assert state(browser, k)["out"] == "error", case
            if x is not X2 and x is not TIES:
                browser.open(page(tmp_path, [widgets.im2col_steps(X2), widgets.im2col_steps(TIES)]))
            continue
        n = col.shape[0]
        for r in range(n):  # im2col: row r appears when the window reaches output pixel r
            st = state(browser, k)
            assert st["phase"] == "im2col" and json.loads(st["col"]) == col[: r + 1].tolist(), (case, r)
            click(browser, k, "cnnw-step")
        for r in range(n):  # col2im: rows 0..r added back
            st = state(browser, k)
            part = np.zeros_like(col)
            part[: r + 1] = col[: r + 1]
            want = reference.col2im(part, x4.shape, K, K, S, P)[0, 0]
            assert st["phase"] == "col2im" and json.loads(st["col2im"]) == want.tolist(), (case, r)
            click(browser, k, "cnnw-step")
        if x is not X2 and x is not TIES:
            browser.open(page(tmp_path, [widgets.im2col_steps(X2), widgets.im2col_steps(TIES)]))


# -------------------------------------------------------------------- volume
VOLUME_CASES = [(2, 1), (1, 1), (2, "valid"), (2, "same"), (1, 0), (3, 2), (2, 0), (3, "same")]


def test_the_volume_shows_cnnlibs_channel_sums_and_outputs(browser, tmp_path):
    rng = np.random.default_rng(1)
    x, w, b = rng.integers(0, 3, (3, 5, 5)), rng.integers(-1, 2, (2, 3, 3, 3)), np.array([1, 0])
    browser.open(page(tmp_path, [widgets.conv_volume(x, w, b)]))
    for S, P in VOLUME_CASES:
        case = f"S={S}, P={P!r}"
        setc(browser, 0, "S", S)
        setc(browser, 0, "P", P)
        try:
            y = reference.Convolution(w, b, S, P).forward(x[None])[0]
        except ValueError:
            assert state(browser, 0)["out"] == "error", case
            continue
        # each channel's sum: the same layer on that channel alone (its filter slice, no bias)
        parts = [reference.Convolution(w[:, c : c + 1], np.zeros(2, int), S, P).forward(x[None, c : c + 1])[0] for c in range(3)]
        assert state(browser, 0)["out"] == "x".join(map(str, y.shape)), case
        for k in range(y.size):
            f, i, j = np.unravel_index(k, y.shape)
            st = state(browser, 0)
            assert json.loads(st["position"]) == [f, i, j], (case, k)
            assert json.loads(st["parts"]) == [int(p[f, i, j]) for p in parts], (case, k)
            assert int(st["value"]) == y[f, i, j], (case, k)
            assert text(browser, 0, "cnnw-dot").endswith(f"= {y[f, i, j]}"), (case, k)
            click(browser, 0, "cnnw-step")


def test_the_backward_pass_as_a_convolution_with_the_flipped_filter(browser, tmp_path):
    """Chapter 6a's use of the sliding window: dout padded by K - 1, the flipped filter, stride 1 gives dx."""
    dout = np.array([[1, -2], [3, 1]])
    browser.open(page(tmp_path, [widgets.sliding_dot(dout, W2[::-1, ::-1], padding=2)]))
    layer = reference.Convolution(W2.reshape(1, 1, 3, 3), np.zeros(1, int))
    layer.forward(X2.reshape(1, 1, 4, 4))
    dx = layer.backward(dout.reshape(1, 1, 2, 2))[0, 0]
    assert state(browser, 0)["out"] == "4x4"
    for k in range(16):
        assert float(state(browser, 0)["dotSum"]) == dx.flat[k], k
        click(browser, 0, "cnnw-step")


# ------------------------------------------------------------------- network
NETWORK_UNITS = [("conv1", 0, 0, 0), ("conv1", 5, 23, 23), ("relu1", 2, 7, 19), ("maxpool1", 3, 11, 0), ("maxpool1", 0, 5, 6),
                 ("conv2", 15, 7, 7), ("conv2", 4, 0, 3), ("relu2", 9, 2, 5), ("maxpool2", 11, 3, 3), ("maxpool2", 0, 1, 2)]


def test_clicking_a_unit_shows_cnnlibs_receptive_field_and_filter(browser, tmp_path):
    from cnnlib import anatomy

    model = cnnlib.LeNet(seed=0)
    x = np.random.default_rng(3).random((1, 28, 28)).astype(np.float32)
    acts = model.activations(x[None])
    fields = {r.name: r for r in anatomy.receptive_fields(model, (1, 28, 28))}
    fields.update(relu1=fields["conv1"], relu2=fields["conv2"])  # a ReLU sees what its convolution saw
    browser.open(page(tmp_path, [widgets.network_explorer(model, x, label=7)]))
    for name, c, i, j in NETWORK_UNITS:
        for control, value in (("L", name), ("C", c), ("I", i), ("J", j)):
            setc(browser, 0, control, value)
        st = state(browser, 0)
        case = f"{name}[{c}, {i}, {j}]"
        assert json.loads(st["unit"]) == [name, c, i, j], case
        assert tuple(json.loads(st["field"])) == fields[name].window(i, j), case
        assert float(st["value"]) == round(float(acts[name][0, c, i, j]), 2), case
        assert json.loads(st["filter"]) == ["conv1" if name in ("conv1", "relu1", "maxpool1") else "conv2", c], case
    z = acts["dense3"][0]
    assert int(state(browser, 0)["predicted"]) == int(z.argmax())
    # a real mouse click on a cell of a map selects that unit
    setc(browser, 0, "L", "maxpool1")
    box = browser.js("""(() => { const r = document.querySelector('.cnnw svg.cnnw-map[data-channel="4"] rect[data-r="9"][data-c="2"]');
                         r.scrollIntoView({block: 'center'}); const b = r.getBoundingClientRect(); return [b.x + b.width / 2, b.y + b.height / 2]; })()""")
    for kind in ("mousePressed", "mouseReleased"):
        browser.send("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)
    st = state(browser, 0)
    assert json.loads(st["unit"]) == ["maxpool1", 4, 9, 2]
    assert tuple(json.loads(st["field"])) == fields["maxpool1"].window(9, 2)


# ---------------------------------------------- keyboard, labels, motion, print
def test_every_control_has_a_label_and_works_from_the_keyboard(browser, tmp_path):
    browser.open(page(tmp_path, [widgets.conv_explorer(H=7, W=7, kernel=3, stride=2, padding=0)]))
    unlabeled = browser.js("""Array.from(document.querySelectorAll('.cnnw input, .cnnw select'))
        .filter(e => !(e.labels && e.labels.length && e.labels[0].textContent.trim())).length""")
    assert unlabeled == 0
    assert browser.js("Array.from(document.querySelectorAll('.cnnw button')).every(b => b.textContent.trim().length > 1)")
    # Step by keyboard: focus the button, press Enter
    browser.js("document.querySelector('.cnnw-step').focus()")
    browser.key("Enter", "Enter", 13)
    assert state(browser, 0)["frame"] == "1"
    # change the stride by keyboard: focus the field, select its text, type 1, Tab away (the change event)
    browser.js("const s = document.querySelector('[id$=\"-S\"]'); s.focus(); s.select()")
    browser.send("Input.insertText", text="1")
    browser.key("Tab", "Tab", 9)
    assert state(browser, 0)["out"] == "5x5"
    # the status line is a live region a screen reader announces
    assert browser.js("document.querySelector('.cnnw-status').getAttribute('aria-live')") == "polite"
    assert browser.js("document.querySelectorAll('.cnnw svg[role=img][aria-label]').length") >= 2


def test_play_animates_and_reduced_motion_shows_the_finished_picture_instead(browser, tmp_path):
    browser.open(page(tmp_path, [widgets.sliding_dot(X2, W2)]))
    browser.reduced_motion(False)
    click(browser, 0, "cnnw-play")
    time.sleep(2.2)
    assert int(state(browser, 0)["frame"]) >= 1
    click(browser, 0, "cnnw-play")  # pause
    paused = state(browser, 0)["frame"]
    time.sleep(1.2)
    assert state(browser, 0)["frame"] == paused
    browser.reduced_motion(True)
    try:
        browser.open(page(tmp_path, [widgets.sliding_dot(X2, W2)]))
        assert text(browser, 0, "cnnw-play") == "Show all"
        click(browser, 0, "cnnw-play")
        assert state(browser, 0)["frame"] == "3"  # the last of 2 x 2 windows at once, no motion
    finally:
        browser.reduced_motion(False)


def test_labels_follow_the_page_language(browser, tmp_path):
    items = [widgets.conv_explorer(), widgets.sliding_dot(X2, W2), widgets.max_pooling(X4), widgets.im2col_steps(X2),
             widgets.conv_volume(np.ones((3, 5, 5), int), np.ones((2, 3, 3, 3), int), np.array([1, 0]))]
    for lang, words in (("en", ["Step", "Stride S", "Reset"]), ("ja", ["1歩進む", "ストライド S", "最初から"])):
        browser.open(page(tmp_path, items, lang))
        shown = browser.js("Array.from(document.querySelectorAll('.cnnw')).map(e => e.innerText)")
        assert len(shown) == 5
        for t in shown:
            for word in words:
                assert word in t, (lang, word)
        if lang == "ja":
            for t in shown:
                assert "Step" not in t and "Stride" not in t and "Play" not in t


def test_screenshots_of_every_widget_in_both_languages(browser, tmp_path):
    items = [widgets.conv_explorer(H=6, W=6, kernel=3, stride=2, padding="same"), widgets.sliding_dot(X2, W2),
             widgets.max_pooling(X4, 3, 1, mode="backward"), widgets.im2col_steps(X2),
             widgets.conv_volume(np.random.default_rng(1).integers(0, 3, (3, 5, 5)),
                                 np.random.default_rng(2).integers(-1, 2, (2, 3, 3, 3)), np.array([1, 0])),
             widgets.network_explorer(cnnlib.LeNet(seed=0), np.random.default_rng(3).random((1, 28, 28)), label=7)]
    names = ["explorer", "dot", "pooling", "im2col", "volume", "network"]
    for lang in ("en", "ja"):
        browser.open(page(tmp_path, items, lang))
        for k, name in enumerate(names):
            for _ in range(3 if name != "network" else 0):
                click(browser, k, "cnnw-step")
            shot = browser.screenshot(SCREENSHOTS / f"widget-{name}-{lang}.png", f"document.querySelectorAll('.cnnw')[{k}]")
            assert shot.stat().st_size > 5000
