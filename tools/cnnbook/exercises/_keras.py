"""Shared by chapters 8 and 11: a ``scratch_to_keras`` answer is run in the sandbox on a scratch
model and a fresh Keras model; the Keras weights come back and are compared here, layer by
layer, with the weights the conversion must give."""

import numpy as np

from ..grading import _

ADAPTERS = '''
import numpy as np
import cnnlib
def convert(fn, arch, params, state):
    scratch = cnnlib.LeNet(seed=0) if arch == "lenet" else cnnlib.AlexNet(seed=0)
    for key, value in params.items():
        scratch.params[key][...] = value
    for key, value in state.items():
        scratch.state[key][...] = value
    keras_model = cnnlib.build_lenet() if arch == "lenet" else cnnlib.build_alexnet(input_shape=(32, 32, 3))
    fn(scratch, keras_model)
    return {layer.name: [np.asarray(w) for w in layer.get_weights()] for layer in keras_model.layers if layer.get_weights()}
'''


def compare(got, want, case):
    assert isinstance(got, dict), _("the Keras model's weights could not be read")
    for layer, weights in want.items():
        mine = got.get(layer)
        assert mine is not None and len(mine) == len(weights), _("{case}: layer {layer} has no weights set", case=case, layer=layer)
        for i, (a, b) in enumerate(zip(mine, weights)):
            what = ([_("kernel"), _("bias")] if len(weights) == 2
                    else [_("gamma"), _("beta"), _("moving mean"), _("moving variance")])[i]
            assert np.shape(a) == b.shape, _("{case}: {layer} {what}: shape {got}, expected {want}", case=case, layer=layer,
                                             what=what, got=np.shape(a), want=b.shape)
            assert np.allclose(a, b, rtol=1e-5, atol=1e-6), _(
                "{case}: {layer} {what}: wrong values (copy and reorder every weight)", case=case, layer=layer, what=what)
