"""The fast path's optimizers: the update rules of :mod:`cnnlib.reference`, in place.

Each class is a subclass of the reference optimizer of the same name (same
constructor, defaults, ``update`` and per-parameter ``state``) and overrides
only ``step`` (and ``decay``): every operation writes into scratch arrays the
optimizer keeps.  AlexNet has 8.5 million parameters, and ``p -= lr * g`` would
allocate (and page-fault) a new 34 MB temporary every step.  The operations
are those of the formulas in the reference's docstrings, so the numbers agree
(``tests/package/test_reference_twins.py``); one step of ``Adam()`` here and of
``keras.optimizers.Adam()`` gives the same numbers (``tests/package/test_optimizers.py``).
"""

import numpy as np

from . import reference

__all__ = ["SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "Adadelta"]


class InPlace:
    """Scratch arrays for the in-place steps, and the decay written in place (a mixin of every class here)."""

    def _tmp(self, p, i=0):
        """Scratch array ``i`` shaped like ``p``: a view into one flat buffer per ``i`` and dtype,
        shared by all parameters (they are updated one after another)."""
        scratch = self.__dict__.setdefault("_scratch", {})
        buf = scratch.get((i, p.dtype))
        if buf is None or buf.size < p.size:
            buf = scratch[(i, p.dtype)] = np.empty(p.size, p.dtype)
        return buf[: p.size].reshape(p.shape)

    def _slots(self, s, p, *names, fill=0.0):
        """This parameter's state arrays ``names``, created (filled with ``fill``) on first use."""
        return [s[n] if n in s else s.setdefault(n, np.full_like(p, fill)) for n in names]

    def decay(self, p):
        p -= np.multiply(p, p.dtype.type(self.learning_rate * self.weight_decay), out=self._tmp(p))


def _scaled_step(g, lr, acc, eps, out, tmp):
    """``lr * g / sqrt(acc + eps)`` into ``out``, with ``tmp`` as scratch (AdaGrad, RMSprop)."""
    np.multiply(g, lr, out=out)
    np.add(acc, eps, out=tmp)
    np.sqrt(tmp, out=tmp)
    out /= tmp
    return out


class SGD(InPlace, reference.SGD):
    def step(self, p, g, s):
        lr_g = np.multiply(g, p.dtype.type(self.learning_rate), out=self._tmp(p))
        if not self.momentum:
            p -= lr_g
            return
        (v,) = self._slots(s, p, "v")
        mu = p.dtype.type(self.momentum)
        v *= mu
        v -= lr_g
        if self.nesterov:  # p += mu * v - lr * g
            step = np.multiply(v, mu, out=self._tmp(p, 1))
            step -= lr_g
            p += step
        else:
            p += v


class Momentum(SGD, reference.Momentum):
    pass


class Nesterov(SGD, reference.Nesterov):
    pass


class AdaGrad(InPlace, reference.AdaGrad):
    def step(self, p, g, s):
        (h,) = self._slots(s, p, "h", fill=self.initial_accumulator_value)
        h += np.multiply(g, g, out=self._tmp(p))
        dt = p.dtype.type
        p -= _scaled_step(g, dt(self.learning_rate), h, dt(self.epsilon), self._tmp(p), self._tmp(p, 1))


class RMSprop(InPlace, reference.RMSprop):
    def step(self, p, g, s):
        (v,) = self._slots(s, p, "v")
        dt = p.dtype.type
        rho = dt(self.rho)
        v *= rho
        t = np.multiply(g, 1 - rho, out=self._tmp(p))  # v += (1 - rho) * g * g
        t *= g
        v += t
        p -= _scaled_step(g, dt(self.learning_rate), v, dt(self.epsilon), self._tmp(p), self._tmp(p, 1))


class Adam(InPlace, reference.Adam):
    def step(self, p, g, s):
        m, v = self._slots(s, p, "m", "v")
        dt = p.dtype.type
        t = self.iterations + 1
        alpha = dt(self.learning_rate) * np.sqrt(1 - dt(self.beta_2) ** t) / (1 - dt(self.beta_1) ** t)
        a, b = self._tmp(p), self._tmp(p, 1)
        np.subtract(g, m, out=a)  # m += (g - m) * (1 - beta_1)
        a *= 1 - dt(self.beta_1)
        m += a
        np.multiply(g, g, out=a)  # v += (g * g - v) * (1 - beta_2)
        a -= v
        a *= 1 - dt(self.beta_2)
        v += a
        np.multiply(m, alpha, out=a)  # p -= (m * alpha) / (sqrt(v) + eps)
        np.sqrt(v, out=b)
        b += dt(self.epsilon)
        a /= b
        p -= a


class Adadelta(InPlace, reference.Adadelta):
    def step(self, p, g, s):
        acc_g, acc_d = self._slots(s, p, "G", "D")
        dt = p.dtype.type
        rho, eps = dt(self.rho), dt(self.epsilon)
        a, delta = self._tmp(p), self._tmp(p, 1)
        acc_g *= rho
        np.multiply(g, 1 - rho, out=a)  # G += (1 - rho) * g * g
        a *= g
        acc_g += a
        np.add(acc_d, eps, out=delta)  # delta = -sqrt(D + eps) * g / sqrt(G + eps)
        np.sqrt(delta, out=delta)
        np.negative(delta, out=delta)
        delta *= g
        np.add(acc_g, eps, out=a)
        np.sqrt(a, out=a)
        delta /= a
        acc_d *= rho
        np.multiply(delta, 1 - rho, out=a)  # D += (1 - rho) * delta * delta
        a *= delta
        acc_d += a
        delta *= dt(self.learning_rate)  # p += lr * delta
        p += delta
