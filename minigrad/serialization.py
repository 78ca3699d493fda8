"""Save and load state_dicts in the safetensors format: `mg.save(obj, path)`, `mg.load(path)`.

torch.save pickles, and unpickling a file can run any code in it. minigrad never pickles:
the arrays go into a safetensors file (a JSON header naming each array's dtype, shape and
byte range, then the raw bytes), and everything else into that header's metadata as JSON.
Loading a file reads numbers and text only, so it can never run code.

The same files work in PyTorch, both ways:

    mg.save(model.state_dict(), "model.safetensors")
    torch_model.load_state_dict(safetensors.torch.load_file("model.safetensors"))

    safetensors.torch.save_file(torch_model.state_dict(), "torch.safetensors")
    model.load_state_dict(mg.load("torch.safetensors"))

The file's layout (format "minigrad-1"). The tensors are stored under names made from their
path in `obj`, joined with "." ("model.0.weight", "optimizer.state.0.exp_avg"; a plain
state_dict's tensors keep their own names, which is what PyTorch needs). The metadata
holds two strings:

    "minigrad.format":    "minigrad-1"
    "minigrad.structure": obj as JSON, in which
        null, true/false, an int, a finite float, a string  stand for themselves
        {"float": "nan" | "inf" | "-inf"}                    a float JSON cannot write
        {"tensor": NAME}                                     the array stored as NAME
        {"list": [ITEM, ...]}  {"tuple": [ITEM, ...]}        a list, a tuple
        {"dict": [[KEY, ITEM], ...]}                         a dict (keys str or int, in order)

A safetensors file without that metadata (as safetensors.torch.save_file writes) loads as
a dict {name: Tensor}.
"""
import json
import math
import os
from collections.abc import Mapping

import numpy as np

from minigrad.tensor import Tensor

FORMAT = "minigrad-1"
_FORMAT_KEY = "minigrad.format"
_STRUCTURE_KEY = "minigrad.structure"


def _safetensors():
    try:
        import safetensors
        import safetensors.numpy
    except ImportError:
        raise ImportError("minigrad.save and minigrad.load need the safetensors package: "
                          "pip install safetensors") from None
    return safetensors


# ---- save ------------------------------------------------------------------------------

def save(obj, path):
    """Write `obj` to the file `path` in the safetensors format (replacing the file).

    What can be saved: minigrad Tensors (their values; not their gradient or graph) and
    numpy arrays of bool, integer and float dtypes (any shape, 0-d and empty included);
    None, bools, ints, floats (nan and inf too) and strings; numpy scalars (saved as the
    Python number); and dicts (str or int keys; an OrderedDict loads as a dict), lists and
    tuples of these, nested to any depth. So a model's state_dict, an optimizer's, and a
    checkpoint such as {"model": ..., "optimizer": ..., "epoch": 3} can be saved.
    Anything else (a Module, a set, a function, a torch.Tensor, ...) is a TypeError naming
    its type and where it is in `obj`; save a Module's or an optimizer's `state_dict()`.
    A tensor that appears twice is stored twice (and loads as two tensors).
    """
    safetensors = _safetensors()
    path = _check_path(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"mg.save: cannot write {path!r}: the directory {directory!r} does not exist")
    arrays = {}
    structure = _encode(obj, (), arrays)
    metadata = {_FORMAT_KEY: FORMAT, _STRUCTURE_KEY: json.dumps(structure, allow_nan=False)}
    safetensors.numpy.save_file(arrays, path, metadata=metadata)


def _check_path(path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    return os.fspath(path)


def _where(keys):
    return "obj" + "".join(f"[{key!r}]" for key in keys)


def _encode(value, keys, arrays):
    """`value` as the JSON layout of the module docstring; its arrays go into `arrays`."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)   # an IntEnum or int subclass is saved as the int
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else {"float": repr(float(value))}
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return _encode(value.item(), keys, arrays)
    if isinstance(value, Tensor):
        return _encode(value.data, keys, arrays)
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"cannot save {_where(keys)}: a numpy array of dtype {value.dtype} "
                            f"(saved arrays hold bools, integers or floats)")
        name = _tensor_name(keys, arrays)
        # safetensors copies the raw buffer: a transposed or sliced view must be made contiguous
        # first (not with np.ascontiguousarray, which turns a 0-d array into a 1-d one).
        arrays[name] = value if value.flags.c_contiguous else value.copy(order="C")
        return {"tensor": name}
    if isinstance(value, Mapping):
        items = []
        for key, item in value.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(f"cannot save {_where(keys)}: its key {key!r} is a {type(key).__name__} "
                                f"(dict keys must be str or int)")
            items.append([key if isinstance(key, str) else int(key), _encode(item, keys + (key,), arrays)])
        return {"dict": items}
    if type(value) in (list, tuple):
        kind = type(value).__name__
        return {kind: [_encode(item, keys + (i,), arrays) for i, item in enumerate(value)]}
    hint = ""
    if hasattr(value, "state_dict"):
        hint = ": save its state_dict() instead (minigrad never pickles objects)"
    raise TypeError(f"cannot save {_where(keys)}: a {type(value).__module__}.{type(value).__qualname__}{hint}. "
                    "mg.save stores Tensors, numpy arrays, None, bools, ints, floats, strings, "
                    "and dicts, lists and tuples of them")


def _tensor_name(keys, arrays):
    """The path of keys joined with '.', made unique if two paths give the same name."""
    name = ".".join(str(key) for key in keys) or "tensor"
    unique, n = name, 1
    while unique in arrays:
        n += 1
        unique = f"{name}~{n}"
    return unique


# ---- load ------------------------------------------------------------------------------

def load(path, map_location=None, weights_only=True):
    """Read a file written by `save` (or any safetensors file) back, with minigrad Tensors.

    Returns the structure that was saved, each array as a minigrad Tensor (with mg.tensor's
    dtype rules, e.g. int32 becomes int64) and each tuple, list and dict as one again; a safetensors file from elsewhere (no minigrad metadata) gives a dict
    {name: Tensor}. A model's `load_state_dict` takes the result as it is.

    `map_location` ("cpu" or None) and `weights_only` are accepted so that torch.load's
    common calls run unchanged: minigrad has only the CPU, and never runs code from a
    file whatever `weights_only` says.

    A missing file is a FileNotFoundError; a file that is not safetensors (a torch.save
    pickle, a text file) or is truncated is a ValueError; both name the path.
    """
    safetensors = _safetensors()
    path = _check_path(path)
    if map_location is not None and str(map_location) != "cpu":   # "cpu" or torch.device("cpu")
        raise ValueError(f"map_location must be 'cpu' or None (minigrad runs on the CPU), got {map_location!r}")
    if not os.path.exists(path):
        raise FileNotFoundError(f"mg.load: no such file: {path!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(f"mg.load: {path!r} is a directory, not a file")
    _check_looks_like_safetensors(path)
    try:
        with safetensors.safe_open(path, framework="np") as f:
            metadata = f.metadata() or {}
            names = list(f.keys())
            arrays = {name: _read_tensor(f, name, path) for name in names}
    except safetensors.SafetensorError as error:
        raise ValueError(f"mg.load: {path!r} is not a valid safetensors file (truncated or corrupt?): "
                         f"{error}") from None
    tensors = {name: Tensor(array) for name, array in arrays.items()}
    if _STRUCTURE_KEY not in metadata:
        return tensors
    if metadata.get(_FORMAT_KEY) != FORMAT:
        raise ValueError(f"mg.load: {path!r} was written in format {metadata.get(_FORMAT_KEY)!r}, "
                         f"this minigrad reads {FORMAT!r}")
    try:
        structure = json.loads(metadata[_STRUCTURE_KEY])
    except json.JSONDecodeError as error:
        raise ValueError(f"mg.load: {path!r} has a corrupt minigrad structure: {error}") from None
    return _decode(structure, tensors, path)


def _check_looks_like_safetensors(path):
    """A clear error for the usual wrong files, before safetensors' terse one.

    A safetensors file starts with the length of its JSON header (8 bytes, little-endian),
    then the header itself, which starts with "{".
    """
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(9)
    header_length = int.from_bytes(head[:8], "little")
    if head[8:9] == b"{" and header_length <= size - 8:
        return
    if head.startswith(b"PK\x03\x04") or (head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05")):
        raise ValueError(f"mg.load: {path!r} is a pickle (what torch.save writes), not a safetensors file. "
                         "minigrad never unpickles, since that can run code; in PyTorch, save the state_dict "
                         "with safetensors.torch.save_file(state_dict, path) instead")
    if size < 9:
        raise ValueError(f"mg.load: {path!r} is not a safetensors file: it has {size} bytes (truncated or empty?)")
    if head[8:9] == b"{":
        raise ValueError(f"mg.load: {path!r} is truncated: its first 8 bytes announce a {header_length}-byte "
                         f"header but the file has {size} bytes")
    raise ValueError(f"mg.load: {path!r} is not a safetensors file (it does not start with a safetensors header)")


def _read_tensor(f, name, path):
    try:
        return f.get_tensor(name)
    except TypeError as error:   # a dtype numpy has no type for, such as bfloat16
        raise TypeError(f"mg.load: {path!r}: tensor {name!r} has a dtype numpy cannot hold ({error}); "
                        "convert it in PyTorch first, e.g. {k: v.float() for k, v in state_dict.items()}") from None


def _decode(node, tensors, path):
    """The inverse of _encode."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, dict) and len(node) == 1:
        (kind, body), = node.items()
        if kind == "tensor" and isinstance(body, str):
            if body not in tensors:
                raise ValueError(f"mg.load: {path!r} is corrupt: its structure names a tensor {body!r} "
                                 "that the file does not hold")
            return tensors[body]
        if kind == "float" and body in ("nan", "inf", "-inf"):
            return float(body)
        if kind in ("list", "tuple") and isinstance(body, list):
            items = [_decode(item, tensors, path) for item in body]
            return items if kind == "list" else tuple(items)
        if kind == "dict" and isinstance(body, list) and all(
                isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], (str, int)) for entry in body):
            return {key: _decode(item, tensors, path) for key, item in body}
    raise ValueError(f"mg.load: {path!r} is corrupt: unexpected entry {json.dumps(node)[:80]} in its structure")
