"""tools/seed_sweep.py: which seeds it moves, how it reads stored figures, and how it judges margins;
and cnnlib.claim's record-only mode that lets it run a chapter to its end."""

import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("seed_sweep", ROOT / "tools" / "seed_sweep.py")
sweep = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(sweep)


def test_every_literal_seed_moves_and_computed_seeds_follow():
    source = """\
rng = cnnlib.notebook.setup(seed=0, keras=True)
SEED = 0               # weights and shuffling
model = cnnlib.LeNet(weight_init="he", seed=SEED)
h = cnnlib.train(model, opt, x, t, epochs=2, seed=SEED + 100 * phase)
draws = np.random.default_rng(1)
keras.utils.set_random_seed(0)
aug = keras.layers.RandomTranslation(0.125, 0.125, fill_mode="reflect", seed=1)
np.random.seed(3); r = np.random.RandomState(4)
layers.append(cnnlib.Dropout(dropout, seed=seed * 10 + i))
check_scratch = cnnlib.LeNet(seed=3)
"""
    new, changes = sweep.reseed(source, 2)
    assert "setup(seed=2, keras=True)" in new
    assert "SEED = 2 " in new and "seed=SEED)" in new and "seed=SEED + 100 * phase" in new
    assert "default_rng(3)" in new and "set_random_seed(2)" in new and 'reflect", seed=3)' in new
    assert "np.random.seed(5)" in new and "RandomState(6)" in new
    assert "seed=seed * 10 + i" in new  # follows its inputs
    assert "LeNet(seed=5)" in new
    assert len(changes) == 8
    assert sweep.reseed("x = 0.5 * seed\nacc = 0.97\n", 3) == ("x = 0.5 * seed\nacc = 0.97\n", [])


def test_the_train_default_is_moved_too():
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("rng = cnnlib.notebook.setup(seed=0)")]
    new, changes = sweep.reseeded_notebook(nb, 4)
    assert 'train.__kwdefaults__["seed"] = 4' in new.cells[0].source
    assert new.cells[1].source == "rng = cnnlib.notebook.setup(seed=4)"
    assert nb.cells[0].source == "rng = cnnlib.notebook.setup(seed=0)"  # the original is left alone
    assert changes == [{"cell": 0, "from": "seed=0", "to": "seed=4"}]


def test_stored_figures_are_read_from_the_glue():
    assert sweep.parse_glued("'97.8%'") == pytest.approx(0.978)
    assert sweep.parse_glued("1,104×") == 1104.0
    assert sweep.parse_glued("1e-05") == 1e-05
    assert sweep.parse_glued("+4.3") == 4.3 and sweep.parse_glued("−2.0") == -2.0
    output = {"output_type": "display_data", "metadata": {"scrapbook": {"name": "acc"}},
              "data": {sweep.GLUE_PREFIX + "text/plain": "'97.8%'"}}
    nb = {"cells": [{"cell_type": "code", "outputs": [output]}]}
    assert sweep.stored_claims(type("NB", (), {"cells": nb["cells"]})) == {"acc": {"text": "97.8%", "value": pytest.approx(0.978)}}


def test_margins_include_the_stored_value_and_name_the_worst():
    entry = {"bounds": {"at_least": 0.97}, "values": {"1": 0.975, "2": 0.99}, "stored_value": 0.978, "percent": True}
    margins, worst, verdict = sweep.margins(entry)
    assert worst == 0.975 and verdict == "THIN" and margins["at_least"]["margin"] == pytest.approx(0.5)
    entry["stored_value"] = 0.969
    assert sweep.margins(entry)[2] == "FAILS"


def test_notebook_bounds_reads_literal_bounds(tmp_path):
    nb = {"cells": [{"cell_type": "code", "source": [
        'acc = claim("acc", a, at_least=0.965)\n', '_ = claim("loss", l, at_least=2.29, at_most=2.5, fmt="{:.2f}")\n',
        '_ = claim("ep", e, at_most=EPOCHS - 5)\n']}]}
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(nb))
    assert sweep.notebook_bounds(path) == {"acc": {"at_least": 0.965}, "loss": {"at_least": 2.29, "at_most": 2.5}}


def test_claim_records_instead_of_raising_when_asked(monkeypatch, tmp_path):
    from cnnlib.claims import ClaimFailed, claim

    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("CNNLIB_CLAIMS", str(log))
    with pytest.raises(ClaimFailed):
        claim("acc", 0.5, at_least=0.9, glue=False)
    monkeypatch.setenv("CNNLIB_CLAIMS_RECORD_ONLY", "1")
    assert claim("acc", 0.5, at_least=0.9, glue=False) == 0.5
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r["passed"] for r in records] == [False, False]
