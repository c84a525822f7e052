"""The process in which the course's grader runs one student's answer (``python -I sandbox.py``).

It is started fresh for every graded exercise, so nothing the student's notebook did to its
own kernel (``numpy.allclose = ...``, a replaced ``cnnlib.checks``, a changed builtin) reaches
it.  It receives the definitions of the student's answer cells (imports, functions, classes
and constants; the grader drops every other statement), runs them, and then calls the
student's function on the arguments the grader sends, one call at a time.  It sends back only
the results, in a format that carries numbers, strings, arrays, lists, tuples and dicts and
nothing that could run code in the grader.  The grader, not this process, compares them with
the expected values, so even a function that changes numpy while it runs changes nothing but
its own results.

With ``block`` set, ``cnnlib`` (the package whose implementations answer the exercises) cannot
be imported here: a name bound to it raises "this answer calls cnnlib's own implementation".
``refuse`` switches off single library functions instead, for exercises whose answer may use
the rest of cnnlib.

This file imports only the standard library and numpy.
"""

import base64
import builtins
import importlib.abc
import io
import json
import os
import pickle
import struct
import sys

import numpy as np

REFUSAL = "this answer calls cnnlib's own implementation ({}): write the computation yourself"
BLOCKED = ("cnnlib", "cnnbook")


def _read(stream):
    header = stream.read(4)
    if len(header) < 4:
        raise EOFError
    (n,) = struct.unpack(">I", header)
    data = b""
    while len(data) < n:
        chunk = stream.read(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _write(stream, data):
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def encode(value, depth=0):
    """A JSON-able form of ``value``: numbers, strings, arrays, lists, tuples, dicts only."""
    if depth > 20:
        raise TypeError("the result is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"__num__": repr(value), "int": isinstance(value, int)}
    if isinstance(value, np.generic):
        return {"__npscalar__": encode(np.asarray(value), depth + 1)}
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("an array of Python objects")
        buf = io.BytesIO()
        np.save(buf, value, allow_pickle=False)
        return {"__nd__": base64.b64encode(buf.getvalue()).decode("ascii")}
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, depth + 1) for v in value]}
    if isinstance(value, list):
        return [encode(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, depth + 1), encode(v, depth + 1)] for k, v in value.items()]}
    raise TypeError(f"the result is a {type(value).__name__}: return numbers, arrays, lists, tuples or dicts")


class _Refused:
    """Stands for a switched-off part of cnnlib: using it raises."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def __getattr__(self, attr):
        return _Refused(f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        raise RuntimeError(REFUSAL.format(self._name))

    def __repr__(self):
        return f"<switched off: {self._name}>"


class _Blocker(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in BLOCKED:
            raise ImportError(REFUSAL.format(fullname), name=fullname)
        return None


def _refuse(dotted):
    """Switch off the library function ``dotted`` (e.g. ``cnnlib.reference.col2im``) in this process."""
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return
        break
    else:
        return
    func = getattr(obj, "__func__", obj)
    if hasattr(func, "__code__") and not func.__code__.co_freevars:
        made = {}
        exec(f"def refused(*args, **kwargs):\n    raise RuntimeError({REFUSAL.format(dotted)!r})\n", made)
        func.__code__ = made["refused"].__code__  # every name bound to this function (any alias) now raises


def _bind_refused_import(node, namespace):
    import ast

    if isinstance(node, ast.Import):
        for alias in node.names:
            top = alias.name.split(".")[0]
            namespace[alias.asname or top] = _Refused(alias.name if alias.asname else top)
    else:
        for alias in node.names:
            namespace[alias.asname or alias.name] = _Refused(f"{node.module}.{alias.name}")


def _define(source, namespace, block):
    """Run the answer's definitions statement by statement; returns the problems met."""
    import ast

    problems = []
    for node in ast.parse(source).body:
        code = compile(ast.Module(body=[node], type_ignores=[]), "<your answer>", "exec")
        try:
            exec(code, namespace)
        except ImportError as e:
            if block and isinstance(node, (ast.Import, ast.ImportFrom)):
                _bind_refused_import(node, namespace)
            else:
                problems.append(f"line {node.lineno}: {type(e).__name__}: {e}")
        except Exception as e:  # noqa: BLE001 (the student's code may raise anything)
            problems.append(f"line {node.lineno}: {type(e).__name__}: {e}")
    return problems


def main():
    answer_out = os.fdopen(os.dup(1), "wb", buffering=0)
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    os.dup2(2, 1)  # whatever the student's code prints goes to stderr, not to the grader
    sys.stdout = sys.stderr
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)

    setup = pickle.loads(_read(requests))  # from the grader: trusted
    block = setup.get("block", True)
    for module in setup.get("preload", []):
        importlib.import_module(module)
    for dotted in setup.get("refuse", []):
        _refuse(dotted)
    adapters = {}
    if setup.get("adapters"):
        exec(setup["adapters"], adapters)
    namespace = {"__name__": "__answer__", "__builtins__": builtins, "np": np, "numpy": np}
    if block:
        for name in [m for m in list(sys.modules) if m.split(".")[0] in BLOCKED]:
            del sys.modules[name]
        sys.meta_path.insert(0, _Blocker())
        namespace["cnnlib"] = _Refused("cnnlib")
    else:
        namespace["cnnlib"] = importlib.import_module("cnnlib")
    problems = _define(setup["source"], namespace, block)
    _write(answer_out, json.dumps({"ready": problems}).encode())

    while True:
        try:
            request = pickle.loads(_read(requests))
        except EOFError:
            return
        name, args, kwargs, adapter = request["call"], request["args"], request["kwargs"], request.get("adapter")
        fn = namespace.get(name)
        try:
            if not callable(fn):
                raise NameError(f"your notebook does not define the function {name}")
            result = adapters[adapter](fn, *args, **kwargs) if adapter else fn(*args, **kwargs)
            reply = {"result": encode(result)}
        except BaseException as e:  # noqa: BLE001
            reply = {"error": [type(e).__name__, str(e)[:2000]]}
        try:
            data = json.dumps(reply).encode()
        except (TypeError, ValueError) as e:
            data = json.dumps({"error": ["TypeError", f"the result cannot be sent back: {e}"]}).encode()
        _write(answer_out, data)


if __name__ == "__main__":
    main()
