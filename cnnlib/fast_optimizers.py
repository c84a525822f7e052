"""Optimizers for the scratch models, step for step the same as ``keras.optimizers``.

``optimizer.update(params, grads)`` changes every array of ``params`` in place
(the layers hold the same arrays, so they see the new values at once), or,
if a key or a gradient's shape does not match, nothing at all.  The
defaults and update rules are Keras 3's, so one step of ``Adam()`` here and
``keras.optimizers.Adam()`` there gives the same numbers; ``tests/test_optimizers.py``
checks it.  ``weight_decay`` is Keras's decoupled decay:
``p -= learning_rate * weight_decay * p`` before the step.

Every step is written with in-place operations (``np.multiply(g, lr, out=tmp)``,
``p -= tmp``) into scratch arrays the optimizer keeps: AlexNet has 8.5 million
parameters, and ``p -= lr * g`` would allocate (and page-fault) a new 34 MB
temporary every step.  The operations and their order are those of the formulas,
so the numbers are the same as the plain expressions'.
"""

import numpy as np

__all__ = ["Optimizer", "SGD", "Momentum", "Nesterov", "AdaGrad", "RMSprop", "Adam", "Adadelta"]


class Optimizer:
    """Base class: per-parameter state, created on first use and kept by key."""

    def __init__(self, learning_rate, weight_decay=None):
        if learning_rate <= 0:
            raise ValueError(f"learning_rate must be positive; got {learning_rate}")
        self.learning_rate = learning_rate
        self.weight_decay = weight_decay
        self.iterations = 0
        self.state = {}
        self._scratch = {}

    def _slots(self, key, param, *names, fill=0.0):
        if key not in self.state:
            self.state[key] = tuple(np.full_like(param, fill) for _ in names)
        return self.state[key]

    def _tmp(self, p, i=0):
        """Scratch array ``i`` shaped like ``p``: a view into one flat buffer per ``i`` and dtype,
        shared by all parameters (they are updated one after another)."""
        key = (i, p.dtype)
        buf = self._scratch.get(key)
        if buf is None or buf.size < p.size:
            buf = self._scratch[key] = np.empty(p.size, p.dtype)
        return buf[: p.size].reshape(p.shape)

    def update(self, params, grads):
        """One step: every array of ``params`` changed in place by its gradient in ``grads``.

        All or nothing: the keys and every gradient's shape are checked first, so
        a bad gradient, even the last one, raises before any parameter or state changes.
        """
        if params.keys() != grads.keys():
            missing = set(params) ^ set(grads)
            raise KeyError(f"params and grads must have the same keys; these differ: {sorted(missing)}")
        for key, p in params.items():
            if np.shape(grads[key]) != p.shape:
                raise ValueError(f"gradient for {key!r} has shape {np.shape(grads[key])}, parameter has {p.shape}")
        for key, p in params.items():
            g = grads[key]
            lr = p.dtype.type(self.learning_rate)
            if self.weight_decay:
                p -= np.multiply(p, lr * p.dtype.type(self.weight_decay), out=self._tmp(p))
            self._step(key, p, g, lr)
        self.iterations += 1

    def _step(self, key, p, g, lr):
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}(learning_rate={self.learning_rate})"


class SGD(Optimizer):
    """Plain gradient descent ``p -= lr * g``, or with ``momentum`` (and ``nesterov``) as Keras's SGD."""

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.momentum, self.nesterov = momentum, nesterov

    def _step(self, key, p, g, lr):
        lr_g = np.multiply(g, lr, out=self._tmp(p))
        if not self.momentum:
            p -= lr_g
            return
        (m,) = self._slots(key, p, "m")
        mu = p.dtype.type(self.momentum)
        m *= mu
        m -= lr_g
        if self.nesterov:  # p += mu * m - lr * g
            step = np.multiply(m, mu, out=self._tmp(p, 1))
            step -= lr_g
            p += step
        else:
            p += m


class Momentum(SGD):
    """SGD with momentum: ``v = momentum * v - lr * g; p += v``."""

    def __init__(self, learning_rate=0.01, momentum=0.9, weight_decay=None):
        super().__init__(learning_rate, momentum, nesterov=False, weight_decay=weight_decay)


class Nesterov(SGD):
    """Nesterov momentum, as ``keras.optimizers.SGD(momentum=..., nesterov=True)``."""

    def __init__(self, learning_rate=0.01, momentum=0.9, weight_decay=None):
        super().__init__(learning_rate, momentum, nesterov=True, weight_decay=weight_decay)


class AdaGrad(Optimizer):
    """``h += g²; p -= lr * g / sqrt(h + eps)``, ``h`` starting at ``initial_accumulator_value``."""

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.initial_accumulator_value, self.epsilon = initial_accumulator_value, epsilon

    def _step(self, key, p, g, lr):
        (h,) = self._slots(key, p, "h", fill=self.initial_accumulator_value)
        h += np.multiply(g, g, out=self._tmp(p))
        p -= _scaled_step(g, lr, h, p.dtype.type(self.epsilon), self._tmp(p), self._tmp(p, 1))


class RMSprop(Optimizer):
    """``v = rho * v + (1 - rho) g²; p -= lr * g / sqrt(v + eps)`` (Keras's RMSprop, no momentum)."""

    def __init__(self, learning_rate=0.001, rho=0.9, epsilon=1e-7, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.rho, self.epsilon = rho, epsilon

    def _step(self, key, p, g, lr):
        (v,) = self._slots(key, p, "v")
        rho = p.dtype.type(self.rho)
        v *= rho
        t = np.multiply(g, 1 - rho, out=self._tmp(p))  # (1 - rho) * g * g
        t *= g
        v += t
        p -= _scaled_step(g, lr, v, p.dtype.type(self.epsilon), self._tmp(p), self._tmp(p, 1))


class Adam(Optimizer):
    """Adam (Kingma & Ba), with Keras's form of the bias correction:
    ``alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)``, ``p -= alpha * m / (sqrt(v) + eps)``."""

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon

    def _step(self, key, p, g, lr):
        m, v = self._slots(key, p, "m", "v")
        dt = p.dtype.type
        t = self.iterations + 1
        alpha = lr * np.sqrt(1 - dt(self.beta_2) ** t) / (1 - dt(self.beta_1) ** t)
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


class Adadelta(Optimizer):
    """Adadelta (Zeiler 2012) as Keras: ``delta = -sqrt(D + eps) / sqrt(G + eps) * g; p += lr * delta``."""

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None):
        super().__init__(learning_rate, weight_decay)
        self.rho, self.epsilon = rho, epsilon

    def _step(self, key, p, g, lr):
        acc_g, acc_d = self._slots(key, p, "acc_grad", "acc_delta")
        dt = p.dtype.type
        rho, eps = dt(self.rho), dt(self.epsilon)
        a, delta = self._tmp(p), self._tmp(p, 1)
        acc_g *= rho
        np.multiply(g, 1 - rho, out=a)  # acc_g += (1 - rho) * g * g
        a *= g
        acc_g += a
        np.add(acc_d, eps, out=delta)  # delta = -sqrt(acc_d + eps) * g / sqrt(acc_g + eps)
        np.sqrt(delta, out=delta)
        np.negative(delta, out=delta)
        delta *= g
        np.add(acc_g, eps, out=a)
        np.sqrt(a, out=a)
        delta /= a
        acc_d *= rho
        np.multiply(delta, 1 - rho, out=a)  # acc_d += (1 - rho) * delta * delta
        a *= delta
        acc_d += a
        delta *= lr  # p += lr * delta
        p += delta


def _scaled_step(g, lr, acc, eps, out, tmp):
    """``lr * g / sqrt(acc + eps)`` into ``out``, with ``tmp`` as scratch (AdaGrad, RMSprop)."""
    np.multiply(g, lr, out=out)
    np.add(acc, eps, out=tmp)
    np.sqrt(tmp, out=tmp)
    out /= tmp
    return out
