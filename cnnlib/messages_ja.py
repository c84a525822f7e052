"""Japanese messages of cnnlib's exercise checks (:mod:`cnnlib.checks`), keyed by the English template.

Read by :mod:`cnnlib.i18n` when the language is ``ja``.  Every template keeps the English one's
fields (``{name}``, ``{case}``, ...); the words follow the book's termbase
(``locale/ja/termbase.yml``: フィルター, チャンネル, 画素, 窓, 勾配, 形状) and the book's style (である調, no
space between Japanese and Latin words or numbers).  tests/book/test_messages_ja.py checks that every
English template of the code has an entry here, with the same fields.
"""

MESSAGES = {
    # --- the result line and the general failures -------------------------------------------
    "{name}: all {n} cases agree with the reference":
        "{name}：{n}ケースすべてで参照実装と一致した",
    "{name}: your function is not written yet (NotImplementedError: {e}).":
        "{name}：関数がまだ書かれていない（NotImplementedError: {e}）。",
    "{name}: your function is not written yet ({e}).":
        "{name}：関数がまだ書かれていない（{e}）。",
    "{name}: your function raised {kind}: {e}":
        "{name}：関数が{kind}を送出した：{e}",
    "{name}, {case}: your function returned None; did you forget `return`?":
        "{name}、{case}：関数がNoneを返した。`return` を書き忘れていないか？",
    "{name}, {case}: wrong shape {got}, expected {want}":
        "{name}、{case}：形状が違う。返ってきたのは{got}、期待値は{want}",
    "index {idx}":
        "インデックス{idx}",
    "{name}, {case}: {bad} of {size} values are wrong; the first at {where}: got {got:.6g}, expected {want:.6g}":
        "{name}、{case}：{size}個の値のうち{bad}個が違う。最初に違うのは{where}で、返ってきた値は{got:.6g}、期待値は{want:.6g}",
    "{name}, {case}: {why}":
        "{name}、{case}：{why}",
    # --- the cases ----------------------------------------------------------------------------
    "x {shape}{dtype}, filter {FH}x{FW}, stride {S}, pad {P}":
        "x {shape}{dtype}、フィルター{FH}x{FW}、ストライド{S}、パディング{P}",
    "input {shape}, filter {FH}x{FW}, stride {S}, pad {P}":
        "入力{shape}、フィルター{FH}x{FW}、ストライド{S}、パディング{P}",
    "x {shape}{dtype}, W {W}, stride {S}, pad {P}":
        "x {shape}{dtype}、W {W}、ストライド{S}、パディング{P}",
    "x {shape}, pool {pool}, stride {S}{overlap}":
        "x {shape}、プーリング{pool}、ストライド{S}{overlap}",
    " (overlapping windows)":
        "（窓が重なる）",
    "x {shape}, W {W}, pad {pad}":
        "x {shape}、W {W}、パディング{pad}",
    "{N} samples, {K} classes":
        "{N}サンプル、{K}クラス",
    ", logits up to {top:.0f}":
        "、ロジットは最大{top:.0f}",
    "step t={t}":
        "ステップt={t}",
    "step {t}":
        "ステップ{t}",
    ", lr={lr}, beta1={b1}, beta2={b2}, eps={eps}":
        "、lr={lr}、beta1={b1}、beta2={b2}、eps={eps}",
    ", lr={lr}, momentum={momentum}":
        "、lr={lr}、momentum={momentum}",
    "x of shape ({N}, {D})":
        "形状({N}, {D})のx",
    ", eps={eps:g}":
        "、eps={eps:g}",
    ", features on different scales":
        "、特徴量ごとにスケールが違う",
    "activations of shape {shape}":
        "形状{shape}の活性",
    "x of shape {shape}, {FN} filters":
        "形状{shape}のx、フィルター{FN}個",
    ", {dtype}":
        "、{dtype}",
    # --- where the first wrong value is -------------------------------------------------------
    "image {n}, channel {c}, pixel {p}":
        "画像{n}、チャンネル{c}、画素{p}",
    "row {r} (image {n}, output pixel {pixel}), column {c} (channel {ch}, filter offset {offset})":
        "{r}行目（画像{n}、出力の画素{pixel}）、{c}列目（チャンネル{ch}、フィルター内の位置{offset}）",
    "image {n}, filter {f}, output pixel {p}":
        "画像{n}、フィルター{f}、出力の画素{p}",
    "sample {n}, class {k}":
        "サンプル{n}、クラス{k}",
    "feature {d}":
        "特徴量{d}",
    "sample {n}, feature {d}":
        "サンプル{n}、特徴量{d}",
    "image {n}, position {p}":
        "画像{n}、位置{p}",
    "image {n}, filter {f}, pixel {p}":
        "画像{n}、フィルター{f}、画素{p}",
    # --- conv_output_size ---------------------------------------------------------------------
    "{name}(H={H}, F={F}, S={S}, P={P}): got {got!r}, expected the integer {want} = ({H} + 2*{P} - {F}) / {S} + 1":
        "{name}(H={H}, F={F}, S={S}, P={P})：返ってきたのは{got!r}、期待値は整数{want} = ({H} + 2*{P} - {F}) / {S} + 1",
    "{name}(H={H}, F={F}, S={S}, P={P}): ({H} + 2*{P} - {F}) / {S} + 1 = {size:g} is not a whole number of "
    "positions at least 1, so the filter does not fit; your function returned {got!r} instead of raising "
    "ValueError":
        "{name}(H={H}, F={F}, S={S}, P={P})：({H} + 2*{P} - {F}) / {S} + 1 = {size:g}は1以上の整数ではないので、"
        "フィルターが入力に収まらない。関数はValueErrorを送出せずに{got!r}を返した",
    # --- col2im, convolution, pooling ---------------------------------------------------------
    "{name}, {case}: where patches overlap your function keeps only one of them; col2im must ADD the "
    "overlapping entries (use += not =): it is the adjoint of im2col, not its inverse":
        "{name}、{case}：パッチが重なるところで、関数はそのうち1つしか残していない。col2imは重なる要素を"
        "必ず足し合わせなければならない（=ではなく+=を使う）。col2imはim2colの逆関数ではなく随伴である",
    "{name}, {case}: the bias b is missing (add b[f] to every output of filter f)":
        "{name}、{case}：バイアスbが足されていない（フィルターfのすべての出力にb[f]を足す）",
    "{name}, {case}: you flipped the filter (true convolution); deep-learning layers compute cross-correlation: "
    "multiply x[..., i + u, j + v] by W[..., u, v] without flipping":
        "{name}、{case}：フィルターを反転している（数学の畳み込み）。ディープラーニングの層が計算するのは"
        "相互相関である。反転せずに、x[..., i + u, j + v]にW[..., u, v]を掛ける",
    "{name}, {case}: gradient reaches {got} input positions, but only the maximum of each window ({want} "
    "positions) took part in the output: send each window's gradient to its argmax only":
        "{name}、{case}：勾配が入力の{got}か所に届いているが、出力に関わったのは各窓の最大値（{want}か所）"
        "だけである。各窓の勾配は、その最大値の位置（argmax）だけに渡す",
    "{name}, {case}: where one input is the maximum of several overlapping windows, your function keeps the "
    "gradient of only one of them; ADD them (use += not =)":
        "{name}、{case}：1つの入力が重なり合う複数の窓の最大値になっているところで、関数はそのうち1つの窓の"
        "勾配しか残していない。それらを足し合わせる（=ではなく+=を使う）",
    # --- softmax with cross-entropy, Adam -----------------------------------------------------
    "{name}, {case}: your gradient has inf or nan: np.exp overflows; subtract each row's maximum from the "
    "logits before np.exp (the softmax does not change)":
        "{name}、{case}：勾配にinfかnanが含まれている。np.expがオーバーフローしている。np.expの前に、"
        "ロジットから各行の最大値を引く（ソフトマックスの値は変わらない）",
    "{name}, {case}: your gradient is {N} times too large: the loss is the MEAN over the batch, so divide "
    "(softmax - one_hot) by the batch size":
        "{name}、{case}：勾配が正しい値の{N}倍になっている。損失はバッチでの和ではなく平均なので、(softmax - one_hot)を"
        "バッチサイズで割る",
    "{name}, {case}: the sign is flipped: the gradient is softmax(x) - one_hot(t)":
        "{name}、{case}：符号が逆である。勾配はsoftmax(x) - one_hot(t)",
    "{name}: return the tuple (new_param, new_m, new_v); got {kind}":
        "{name}：タプル(new_param, new_m, new_v)を返す。返ってきたのは{kind}",
    "{name}, {case}: the bias correction is missing: early steps must use lr * sqrt(1 - beta2**t) / "
    "(1 - beta1**t) instead of lr":
        "{name}、{case}：バイアス補正が抜けている。最初のほうのステップでは、lrの代わりに"
        "lr * sqrt(1 - beta2**t) / (1 - beta1**t)を使う",
    # --- inside a convolution layer, batch normalization --------------------------------------
    "{name}, {case}: the filter is not flipped: use W[:, :, ::-1, ::-1]":
        "{name}、{case}：フィルターが反転されていない。W[:, :, ::-1, ::-1]を使う",
    "{name}, {case}: wrong shape {got}, expected {want} (the input's shape): the backward convolution needs "
    "padding FH - 1 - pad = {pad}, and C output channels (swap W's axes 0 and 1)":
        "{name}、{case}：形状が違う。返ってきたのは{got}、期待値は{want}（入力の形状）。逆方向の畳み込みには"
        "パディングFH - 1 - pad = {pad}と、C個の出力チャンネルが要る（Wの軸0と軸1を入れ替える）",
    "{name}: return the tuple (dx, dgamma, dbeta); got {kind}":
        "{name}：タプル(dx, dgamma, dbeta)を返す。返ってきたのは{kind}",
    "{name}, {case}: your dx treats the mean and variance as constants (that is inference mode); in training "
    "mode every x also moves them: subtract the mean of dout and xhat * mean(dout * xhat)":
        "{name}、{case}：dxが平均と分散を定数として扱っている（それは推論モードである）。訓練モードでは、"
        "どのxも平均と分散を動かす。doutの平均と、xhat * mean(dout * xhat)を引く",
    # --- momentum -----------------------------------------------------------------------------
    "{name}: return the tuple (new_param, new_velocity); got {kind}":
        "{name}：タプル(new_param, new_velocity)を返す。返ってきたのは{kind}",
    "{name}, {case}: your velocity has the opposite sign. Keep the book's (and Keras's) convention: v = momentum "
    "* v - lr * grad, then param + v":
        "{name}、{case}：速度の符号が逆である。本書（とKeras）の約束に合わせる：v = momentum * v - lr * grad、"
        "次にparam + v",
    "this is plain SGD (param - lr * grad): the velocity must carry the earlier steps":
        "これは素のSGD（param - lr * grad）である。速度がそれまでのステップを引き継がなければならない",
    "the parameter moved by the OLD velocity: compute the new v first, then add it":
        "パラメータが更新前の古い速度で動いている。先に新しいvを計算し、それを足す",
    "that is Nesterov's step (param + momentum * v - lr * grad); plain momentum adds v itself":
        "それはNesterovのステップ（param + momentum * v - lr * grad）である。素のMomentumはvそのものを足す",
    "the parameter moved against v: with v = momentum * v - lr * grad, add it (param + v)":
        "パラメータがvと逆向きに動いている。v = momentum * v - lr * gradなら、vを足す（param + v）",
    # --- Grad-CAM -----------------------------------------------------------------------------
    "{name}, {case}: keep only the positive part of the weighted sum (the ReLU)":
        "{name}、{case}：重み付き和の正の部分だけを残す（ReLU）",
    "{name}, {case}: the weights are the *mean* of each channel's gradient over the positions, not the sum":
        "{name}、{case}：重みは各チャンネルの勾配の位置についての平均であり、和ではない",
    "{name}, {case}: weight each channel by one number, the mean of its gradient over (h, w), not position by "
    "position":
        "{name}、{case}：各チャンネルには1つの数、つまりその勾配の(h, w)についての平均で重みを付ける。"
        "位置ごとに重みを付けるのではない",
    "{name}, {case}: wrong shape {got}, expected {want}: one map of h x w per image (sum over the channels, the "
    "last axis)":
        "{name}、{case}：形状が違う。返ってきたのは{got}、期待値は{want}。画像1枚につきh x wのマップが1枚"
        "（最後の軸であるチャンネルについて和をとる）",
    # --- 1x1 convolution ----------------------------------------------------------------------
    "{name}, {case}: x.reshape(-1, C) mixes pixels and channels (in NCHW a row of C numbers is not one pixel); "
    "move the channels last first, x.transpose(0, 2, 3, 1).reshape(-1, C)":
        "{name}、{case}：x.reshape(-1, C)は画素とチャンネルを混ぜてしまう（NCHWでは、C個の数の並び1行は"
        "1つの画素ではない）。先にチャンネルを最後の軸に移す：x.transpose(0, 2, 3, 1).reshape(-1, C)",
    "{name}, {case}: add the bias b, one number per filter, to every pixel":
        "{name}、{case}：フィルターごとに1つの数であるバイアスbを、すべての画素に足す",
    "{name}, {case}: wrong shape {got}, expected {want} (N, FN, H, W): put the filters' axis back in second "
    "place":
        "{name}、{case}：形状が違う。返ってきたのは{got}、期待値は{want}（N, FN, H, W）。フィルターの軸を"
        "2番目に戻す",
    "{name}, {case}: your output is {got}; keep the dtype of x ({want})":
        "{name}、{case}：出力が{got}になっている。xのdtype（{want}）を保つ",
}
