"""Chapter 1: ``conv_params`` and ``dense_params`` (parameter counts)."""

import cnnlib

from ..grading import Group, _, exercise


def _lenet_layers(conv_params, dense_params):
    for name, layer in cnnlib.LeNet().layers.items():
        W = layer.params.get("W")
        if W is None:
            continue
        want = W.size + layer.params["b"].size
        got = conv_params(*W.shape[1::-1], *W.shape[2:]) if W.ndim == 4 else dense_params(*W.shape)
        assert got == want, _("{name} with weights {W}: your function says {got}, the layer has {want}", name=name, W=W.shape,
                               got=got, want=want)


@exercise("01_why_cnns", "conv_params", uses=("dense_params",))
def groups(rng):
    C, FN, FH = (int(v) for v in rng.integers(2, 9, 3))
    FW = FH + int(rng.integers(1, 3))
    n_in, n_out = (int(v) for v in rng.integers(1, 50, 2))

    def hidden(conv_params, dense_params):
        want = FN * C * FH * FW + FN
        got = conv_params(C, FN, FH, FW)
        assert got == want, _("conv_params(C={C}, FN={FN}, FH={FH}, FW={FW}), a filter that is not square: got {got!r}, "
                               "expected {want}", C=C, FN=FN, FH=FH, FW=FW, got=got, want=want)
        got = conv_params(2, 1, 1, 1)
        assert got == 3, _("conv_params(C=2, FN=1, FH=1, FW=1): got {got!r}, expected 3 (two weights and one bias)", got=got)
        got = dense_params(n_in, n_out)
        assert got == n_in * n_out + n_out, _("dense_params({n_in}, {n_out}): got {got!r}, expected {want}", n_in=n_in,
                                               n_out=n_out, got=got, want=n_in * n_out + n_out)

    return [Group(_("the check: LeNet's five layers"), 2, _lenet_layers),
            Group(_("hidden: a filter that is not square, other layer sizes"), 1, hidden)]
