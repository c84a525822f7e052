"""Self-test of book/nbval_sanitize.cfg: it masks per-run noise and nothing else.

The patterns are read with nbval's own parser and applied the way nbval does
(python ``re.sub`` of each pattern, in file order, to an output's text).
"""

import re
from collections import OrderedDict
from pathlib import Path

import pytest
from nbval.plugin import get_sanitize_patterns

CFG = Path(__file__).resolve().parents[2] / "book" / "nbval_sanitize.cfg"


@pytest.fixture(scope="module")
def patterns():
    # nbval stores them in an OrderedDict keyed by regex (nbval/plugin.py).
    pats = OrderedDict(get_sanitize_patterns(CFG.read_text(encoding="utf-8")))
    assert len(pats) >= 8, "sanitize file did not parse"
    return pats


def sanitize(patterns, text):
    for regex, replace in patterns.items():
        text = re.sub(regex, replace, text)
    return text


# (run output, what it must become)
MASKED = [
    # scratch training loop
    (
        "epoch  3/10  loss 0.1234  train acc 98.12%  test acc 97.50%  (1.2 s)",
        "epoch  3/10  loss <loss>  train acc <acc>%  test acc <acc>%  (<time> s)",
    ),
    (
        "epoch 10/10  loss 0.0071  train acc 100.00%  test acc 99.01%  (12.5 s)\n",
        "epoch 10/10  loss <loss>  train acc <acc>%  test acc <acc>%  (<time> s)\n",
    ),
    # Keras verbose=2
    ("Epoch 3/10", "Epoch 3/10"),
    (
        "47/47 - 3s - 62ms/step - accuracy: 0.9123 - loss: 0.2876"
        " - val_accuracy: 0.9500 - val_loss: 0.1700",
        "47/47 - <time> - <time>/step - accuracy: <metric> - loss: <metric>"
        " - val_accuracy: <metric> - val_loss: <metric>",
    ),
    (
        "Epoch 1/2\n469/469 - 41s - 87ms/step - accuracy: 0.9701 - loss: 1.2345e-04\n"
        "Epoch 2/2\n469/469 - 40s - 850us/step - accuracy: 0.9902 - loss: 0.0310\n",
        "Epoch 1/2\n469/469 - <time> - <time>/step - accuracy: <metric> - loss: <metric>\n"
        "Epoch 2/2\n469/469 - <time> - <time>/step - accuracy: <metric> - loss: <metric>\n",
    ),
    # the time per step in each of the units Keras picks (s, ms, us)
    ("157/157 - 95s - 1s/step - accuracy: 0.8653", "157/157 - <time> - <time>/step - accuracy: <metric>"),
    ("157/157 - 30s - 191ms/step - accuracy: 0.8653", "157/157 - <time> - <time>/step - accuracy: <metric>"),
    ("375/375 - 0s - 850us/step - loss: 0.1012", "375/375 - <time> - <time>/step - loss: <metric>"),
    ("  32/32 - 0s - 14ms/epoch", "  32/32 - <time> - <time>/epoch"),
    # benchmark-style timings
    ("im2col conv    12.3 ms\nnaive conv     1.2 s", "im2col conv    <time> ms\nnaive conv     <time> s"),
    ("| forward | 0.85 ms | 41.2 ms |", "| forward | <time> ms | <time> ms |"),
    # glued measured numbers (application/papermill.record/text/plain)
    ("'97.8 %'", "'<measured>'"),
    ("'2.3021'", "'<measured>'"),
    ("'12.3 ms'", "'<measured>'"),
    ("'97.8 ± 0.3 %'", "'<measured>'"),
    ("'12.5 points'", "'<measured>'"),
]

DETERMINISTIC = [
    "(2, 3, 4, 4)",
    "array([[ 1.,  2.]])",
    "Total params: 61,706 (241.04 KB)",
    "[[ 1 -2  3]]",
    "loss function",
    "the loss function is the cross-entropy error",
    "'relu'",
    "'float32'",
    "dtype('float32')",
    "Epoch 3/10",
    "x.shape = (100, 1, 28, 28), 10 classes",
    "Conv2D(32, (3, 3), strides=2, padding='same')",
    "{'loss': 'categorical_crossentropy', 'metrics': ['accuracy']}",
    "Layer (type)   Output Shape   Param #\nconv2d (Conv2D)   (None, 26, 26, 32)   320",
]


@pytest.mark.parametrize("text, expected", MASKED)
def test_masks_run_noise(patterns, text, expected):
    assert sanitize(patterns, text) == expected


@pytest.mark.parametrize("text", DETERMINISTIC)
def test_keeps_deterministic_output(patterns, text):
    assert sanitize(patterns, text) == text


def test_two_runs_compare_equal(patterns):
    """Two runs that differ only in noise sanitize to the same text."""
    run1 = "epoch  1/2  loss 0.3012  train acc 91.02%  test acc 90.50%  (3.4 s)"
    run2 = "epoch  1/2  loss 0.2987  train acc 91.20%  test acc 90.71%  (2.9 s)"
    assert sanitize(patterns, run1) == sanitize(patterns, run2)
    assert sanitize(patterns, "epoch  1/2  loss 0.3") != sanitize(patterns, "epoch  2/2  loss 0.3")


# A stored log line (fast machine) and the same line from a machine 4-10x slower:
# Keras switches the per-step unit (ms -> s, us -> ms) with the measured time.
KERAS_SAME_LINE_TWO_MACHINES = [
    ("47/47 - 6s - 131ms/step - accuracy: 0.7182 - loss: 1.2042",
     "47/47 - 39s - 1s/step - accuracy: 0.7183 - loss: 1.2040"),
    ("375/375 - 0s - 850us/step - accuracy: 0.9698 - loss: 0.1012",
     "375/375 - 2s - 4ms/step - accuracy: 0.9698 - loss: 0.1012"),
    ("Epoch 1/50\n157/157 - 30s - 191ms/step - accuracy: 0.8653 - loss: 0.5279 - val_accuracy: 0.8700 - val_loss: 0.3634\n",
     "Epoch 1/50\n157/157 - 312s - 2s/step - accuracy: 0.8650 - loss: 0.5281 - val_accuracy: 0.8700 - val_loss: 0.3634\n"),
]


@pytest.mark.parametrize("stored, slower", KERAS_SAME_LINE_TWO_MACHINES)
def test_keras_log_from_a_slower_machine_compares_equal(patterns, stored, slower):
    assert sanitize(patterns, stored) == sanitize(patterns, slower)
    assert "<time> - <time>/step" in sanitize(patterns, stored)


def test_keras_step_count_is_not_masked(patterns):
    """The batch count is deterministic: a different number of steps must still fail."""
    assert sanitize(patterns, "47/47 - 6s - 131ms/step") != sanitize(patterns, "94/94 - 6s - 131ms/step")
