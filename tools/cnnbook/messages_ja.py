"""Japanese messages of the course's grader and of the classroom editions, keyed by the English template.

Read by :mod:`cnnlib.i18n` (``translator("cnnbook")``) when the language is ``ja``: the lines of a
student's feedback (:mod:`cnnbook.grading`, the case groups and diagnoses of
:mod:`cnnbook.exercises`, the sandbox's messages), and what the student edition and the nbgrader
course write into the students' cells (:mod:`cnnbook.classroom`: stubs, hints, the graded cell).
The words follow the book's termbase (``locale/ja/termbase.yml``) and the Japanese appendix "For
teachers" (解答セル, チェックセル, 採点セル, 採点器, 隠しケース).  tests/book/test_messages_ja.py checks
that every English template of the code, and every ``hint`` of the book's solution cells, has an
entry here with the same fields.
"""

MESSAGES = {
    # --- cnnbook.grading: one line per case group ---------------------------------------------
    "✓ {title}: {points:g} of {points:g} points":
        "✓ {title}：{points:g}点中{points:g}点",
    "✗ {title}: 0 of {points:g} points: {reason}":
        "✗ {title}：{points:g}点中0点：{reason}",
    "0 of {points:g} points":
        "{points:g}点中0点",
    "Score":
        "得点",
    "note: running the definitions of your answer cells: {problem}":
        "注意：解答セルの定義を実行すると次の問題が起きた：{problem}",
    "your function did not return within {seconds:.0f} s":
        "関数が{seconds:.0f}秒以内に戻らなかった",
    "your code ended the Python process that runs it (exit or a crash)":
        "コードが、それを実行しているPythonのプロセスを終了させた（exitかクラッシュ）",
    # --- the sandbox's messages (cnnbook/sandbox.py), translated in the grader -----------------
    "line {n}: {message}":
        "{n}行目：{message}",
    "this answer calls cnnlib's own implementation ({what}): write the computation yourself":
        "この解答はcnnlib自身の実装（{what}）を呼び出している。計算は自分で書く",
    "your notebook does not define the function {name}":
        "ノートブックに関数{name}が定義されていない",
    "the result cannot be sent back: {error}":
        "結果を送り返せない：{error}",
    "the result is a {kind}: return numbers, arrays, lists, tuples or dicts":
        "結果の型が{kind}である。数、配列、リスト、タプル、辞書のどれかを返す",
    "the result is nested too deeply":
        "結果の入れ子が深すぎる",
    "an array of Python objects":
        "Pythonオブジェクトの配列",
    # --- the case groups (cnnbook.exercises) ---------------------------------------------------
    "the check: LeNet's five layers": "チェック：LeNetの5つの層",
    "hidden: a filter that is not square, other layer sizes": "隠し：正方形でないフィルター、別の層サイズ",
    "the check's five cases": "チェックの5ケース",
    "hidden: float32, a filter that is not square, stride 2, padding 2":
        "隠し：float32、正方形でないフィルター、ストライド2、パディング2",
    "the check's seven cases": "チェックの7ケース",
    "hidden: strides of 2 to 4, and a filter larger than the input (ValueError)":
        "隠し：ストライド2〜4と、入力より大きいフィルター（ValueError）",
    "the check's windows that do not overlap": "チェックの重ならない窓",
    "the check's overlapping windows": "チェックの重なる窓",
    "hidden: overlapping 3x3 windows, stride 2, a non-square input": "隠し：重なる3x3の窓、ストライド2、正方形でない入力",
    "the check's patches that do not overlap": "チェックの重ならないパッチ",
    "the check's overlapping patches": "チェックの重なるパッチ",
    "hidden: stride 1, padding 2 (up to nine patches overlap)": "隠し：ストライド1、パディング2（最大9個のパッチが重なる）",
    "the check's four cases": "チェックの4ケース",
    "hidden: logits in the thousands (np.exp overflows unless the row maximum is subtracted)":
        "隠し：数千の大きさのロジット（行の最大値を引かないとnp.expがオーバーフローする）",
    "the check's four steps": "チェックの4ステップ",
    "hidden: other hyperparameters, a 2-D parameter, seven steps": "隠し：別のハイパーパラメータ、2次元のパラメータ、7ステップ",
    "hidden: 5x5 filters, more filters than channels, padding 2, a non-square input":
        "隠し：5x5のフィルター、チャンネルより多いフィルター、パディング2、正方形でない入力",
    "hidden: a larger batch, eps 1e-5, features on scales from 0.01 to 1000":
        "隠し：より大きなバッチ、eps=1e-5、0.01〜1000のスケールの特徴量",
    "hidden: another learning rate and momentum, a 2-D parameter, seven steps":
        "隠し：別の学習率とモーメンタム、2次元のパラメータ、7ステップ",
    "the check's two networks (std 0.01 and He)": "チェックの2つのネットワーク（標準偏差0.01とHe）",
    "hidden: another initialisation, another seed, other images": "隠し：別の重みの初期値、別のシード、別の画像",
    "the check's LeNet (seed 3)": "チェックのLeNet（シード3）",
    "hidden: biases that are not zero": "隠し：0でないバイアス",
    "the check's three inputs": "チェックの3つの入力",
    "hidden: inputs whose sizes are not multiples of the strides": "隠し：大きさがストライドの倍数でない入力",
    "the check's small case and 10,000 predictions": "チェックの小さいケースと10,000個の予測",
    "hidden: plain lists, num_classes=5 with classes that never occur, a repeated pair":
        "隠し：ただのリスト、一度も現れないクラスがあるnum_classes=5、繰り返される組",
    "the check's AlexNet (running averages not the defaults)": "チェックのAlexNet（移動平均がデフォルト値でない）",
    "hidden: biases, gammas and betas that are not their defaults": "隠し：デフォルト値でないバイアス、gamma、beta",
    "the check: shape, dtype, pad=0, crops that differ": "チェック：形状、dtype、pad=0、元と違う切り出し",
    "hidden: every crop a window of the reflect-padded image, every offset, uint8":
        "隠し：どの切り出しも反射パディングした画像の窓であること、すべてのオフセット、uint8",
    "hidden: more channels than filters, a non-square input, float32": "隠し：フィルターより多いチャンネル、正方形でない入力、float32",
    "hidden: more channels, several images, a map that is not square": "隠し：より多いチャンネル、複数の画像、正方形でないマップ",
    "the check's equal and unequal slices": "チェックの等しいスライスと等しくないスライス",
    "hidden: 2-D gradients, very unequal slices, one replica": "隠し：2次元の勾配、大きく異なるスライス、レプリカ1つ",
    # --- the graders' diagnoses (cnnbook.exercises) --------------------------------------------
    "{function} returned None: did you forget `return`?": "{function}がNoneを返した。`return` を書き忘れていないか？",
    "{name} with weights {W}: your function says {got}, the layer has {want}":
        "重み{W}の{name}：関数は{got}と答えたが、層のパラメータは{want}個",
    "conv_params(C={C}, FN={FN}, FH={FH}, FW={FW}), a filter that is not square: got {got!r}, expected {want}":
        "conv_params(C={C}, FN={FN}, FH={FH}, FW={FW})、正方形でないフィルター：返ってきたのは{got!r}、期待値は{want}",
    "conv_params(C=2, FN=1, FH=1, FW=1): got {got!r}, expected 3 (two weights and one bias)":
        "conv_params(C=2, FN=1, FH=1, FW=1)：返ってきたのは{got!r}、期待値は3（重み2つとバイアス1つ）",
    "dense_params({n_in}, {n_out}): got {got!r}, expected {want}":
        "dense_params({n_in}, {n_out})：返ってきたのは{got!r}、期待値は{want}",
    "LeNet({options}): return a dict of layer name -> float, got {kind}":
        "LeNet({options})：層の名前からfloatへの辞書を返す。返ってきたのは{kind}",
    "LeNet({options}): expected the keys {want}, got {got}":
        "LeNet({options})：期待したキーは{want}、返ってきたのは{got}",
    "LeNet({options}), layer {key}: got {got:.6g}, expected {want:.6g}":
        "LeNet({options})、層{key}：返ってきた値は{got:.6g}、期待値は{want:.6g}",
    "the Keras model's weights could not be read": "Kerasのモデルの重みを読み出せなかった",
    "{case}: layer {layer} has no weights set": "{case}：層{layer}に重みが設定されていない",
    "{case}: {layer} {what}: shape {got}, expected {want}": "{case}：{layer}の{what}：形状は{got}、期待値は{want}",
    "{case}: {layer} {what}: wrong values (copy and reorder every weight)":
        "{case}：{layer}の{what}：値が違う（すべての重みをコピーし、軸を並べ替える）",
    "kernel": "カーネル",
    "bias": "バイアス",
    "gamma": "gamma",
    "beta": "beta",
    "moving mean": "移動平均",
    "moving variance": "移動分散",
    "LeNet with non-zero biases": "バイアスが0でないLeNet",
    "AlexNet, other parameters": "AlexNet、別のパラメータ",
    "input {shape}: expected 8 shapes (one per conv and pooling layer), got {n}":
        "入力{shape}：期待値は8つの形状（畳み込み層とプーリング層ごとに1つ）、返ってきたのは{n}個",
    "input {shape}, layer {i} of 8: you computed {got}, expected {want}":
        "入力{shape}、8層中{i}番目の層：計算結果は{got}、期待値は{want}",
    "{case}: shape {got}, expected {want}": "{case}：形状は{got}、期待値は{want}",
    "{case}: expected {want}, got {got} (rows: true class)": "{case}：期待値は{want}、返ってきたのは{got}（行：正解のクラス）",
    "the small case": "小さいケース",
    "10,000 predictions": "10,000個の予測",
    "same shape and dtype as the input": "入力と同じ形状とdtypeにする",
    "pad=0 must return the images": "pad=0では画像をそのまま返さなければならない",
    "with pad=4 most crops must differ from the originals": "pad=4では、ほとんどの切り出しが元の画像と違っていなければならない",
    "pad={pad}: shape {got}, expected {want}": "pad={pad}：形状は{got}、期待値は{want}",
    "pad={pad}: crop {i} is not a {size}x{size} window of the image padded with mode 'reflect'":
        "pad={pad}：切り出し{i}が、mode 'reflect'でパディングした画像の{size}x{size}の窓になっていない",
    "pad={pad}: every offset from 0 to {top} in each direction must occur; seen {seen}":
        "pad={pad}：各方向で0から{top}までのすべてのオフセットが現れなければならない。現れたのは{seen}",
    "keep the dtype (uint8 images)": "dtypeを保つ（uint8の画像）",
    "slices of {sizes}: not the gradient over all 12 rows": "{sizes}のスライス：12行全体での勾配になっていない",
    "2-D gradients: shape {got}, expected (3, 2)": "2次元の勾配：形状は{got}、期待値は(3, 2)",
    "slices of {big} and {small} rows: wrong weighted mean": "{big}行と{small}行のスライス：重み付き平均が違う",
    "one replica: its own gradient": "レプリカ1つ：そのレプリカ自身の勾配になる",
    # --- cnnbook.classroom: what the generated notebooks say to the student ---------------------
    "# Exercise: write your answer here, then run the check cell below.":
        "# 演習：ここに解答を書き、下のチェックセルを実行する。",
    "write this cell": "このセルを書く",
    "write the class {name}": "クラス{name}を書く",
    "write {name}": "{name}を書く",
    "# Hint: {hint}": "# ヒント：{hint}",
    " with numpy only (cnnlib switched off)": "（numpyだけ。cnnlibは使えない）",
    " (cnnlib's own implementation of it switched off)": "（cnnlib自身のその実装は使えない）",
    "# Graded: the course's grader runs your {function} on the cases of the check above and on hidden\n"
    "# cases, in a fresh Python{library}, and gives points per group of cases.\n"
    "# Your feedback lists each group and why it passed or not.  Nothing to do in this cell.\n":
        "# 採点：コースの採点器が、新しいPython{library}の中で、あなたの{function}を上のチェックの\n"
        "# ケースと隠しケースで実行し、ケースのグループごとに点を与える。\n"
        "# フィードバックには、グループごとに通ったかどうかとその理由が書かれる。このセルですることはない。\n",
    # the hints of the book's solution cells (their `hint` metadata)
    "one weight per connection, one bias per filter or unit": "結合ごとに重みが1つ、フィルターまたはユニットごとにバイアスが1つ",
    "pad with np.pad, then loop over the output pixels (i, j)": "np.padでパディングし、出力の画素(i, j)についてループする",
    "(H + 2P - F) must be divisible by S": "(H + 2P - F)はSで割り切れなければならない",
    "flip W[:, :, ::-1, ::-1], swap axes 0 and 1, pad FH - 1 - pad":
        "W[:, :, ::-1, ::-1]で反転し、軸0と軸1を入れ替え、FH - 1 - padだけパディングする",
    "first xhat = (x - mean) / sqrt(var + eps), then the three formulas":
        "まずxhat = (x - mean) / sqrt(var + eps)、次に3つの式",
}
