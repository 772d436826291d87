"""wadup — write wadup modules in Python.

A Python module is a package (or a single file) with a ``main()`` function.
wadup's Python runtime imports it once per instance and then, for every
content (a file, or sub-content some module emitted), calls::

    wadup._begin_content(filename, uuid, depth)   # by the runtime
    your_module.main()                            # your code
    wadup._end_content()                          # by the runtime: flush()

The content is the read-only file ``/data.bin`` (:data:`CONTENT_PATH`).
``main()`` describes it with rows of typed tables (metadata) and may hand
new contents back to wadup (sub-content), which are processed recursively::

    import wadup

    wadup.define_table("file_sizes", [("size_bytes", "Int64")])

    def main():
        with wadup.open_content() as f:
            size = len(f.read())
        wadup.insert_row("file_sizes", [size])

The functions below write the JSON files of wadup's module ABI
(docs/module-abi.md) and follow the rules and the escaping of the C SDK
(guest/c/wadup.h): a row that the host would reject is refused here, with
an exception, when it is inserted.

**Types.** Columns are ``"Int64"``, ``"Float64"``, ``"String"`` or
``"Boolean"`` (or the Python types ``int``, ``float``, ``str``, ``bool``).
Values map as follows; each must fit its column, ``None`` fits every
column and is stored as SQL NULL:

=====================  ========================================================
Python value           column and conversion
=====================  ========================================================
``bool``               ``Boolean`` only (checked before ``int``: ``True`` is
                       never an Int64)
``int``                ``Int64`` (outside -2**63 .. 2**63-1: OverflowError),
                       or ``Float64`` (converted to float)
``float``              ``Float64`` only; NaN and infinities: ValueError
``str``                ``String``; lone surrogates (e.g. from
                       ``surrogateescape``) become U+FFFD, one per code point
``bytes``,             ``String`` only, decoded as UTF-8; every byte that does
``bytearray``,         not start a well-formed UTF-8 sequence becomes one
``memoryview``         U+FFFD — exactly like the C SDK's ``wadup_string_n``
``None``               any column: null
anything else          TypeError
=====================  ========================================================

Strings may contain NUL and control characters; they are escaped in the
JSON, which is always strict UTF-8.

**State.** The module (and this package) lives as long as the instance,
which wadup reuses for many contents: table definitions, the file counters
and your own globals persist from one content to the next. Rows queued for
a content that failed before they were flushed are dropped when the next
content begins; they never leak into it. After a crash, a timeout or
``sys.exit()`` the instance is discarded and the next content starts from
a fresh import.

**Testing on the host.** All paths hang off the guest root, ``/`` in wadup.
Set the environment variable ``WADUP_GUEST_ROOT`` to a directory before
importing this package (or call ``wadup._set_guest_root(dir)``) and the
content is read from ``DIR/data.bin``, metadata is written to
``DIR/metadata/`` and sub-content to ``DIR/subcontent/``.
"""

import codecs as _codecs
import math as _math
import os as _os

__all__ = [
    "CONTENT_PATH", "INT64", "FLOAT64", "STRING", "BOOLEAN",
    "define_table", "insert_row", "flush", "emit_bytes", "emit_slice",
    "filename", "content_uuid", "depth", "open_content", "read_content",
]
__version__ = "1.0"

INT64 = "Int64"
FLOAT64 = "Float64"
STRING = "String"
BOOLEAN = "Boolean"

_TYPE_NAMES = {
    "Int64": "Int64", "Float64": "Float64", "String": "String", "Boolean": "Boolean",
    int: "Int64", float: "Float64", str: "String", bool: "Boolean",
}
_NAME_MAX = 64  # bytes; names are ASCII, so also characters
_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1

# ---- paths ------------------------------------------------------------------

GUEST_ROOT = "/"
CONTENT_PATH = "/data.bin"
METADATA_DIR = "/metadata"
SUBCONTENT_DIR = "/subcontent"


def _set_guest_root(root):
    """Make every path relative to ``root`` instead of ``/`` (for tests on the
    host). ``WADUP_GUEST_ROOT`` in the environment does the same at import."""
    global GUEST_ROOT, CONTENT_PATH, METADATA_DIR, SUBCONTENT_DIR
    root = _os.fspath(root) or "/"
    GUEST_ROOT = root
    CONTENT_PATH = _os.path.join(root, "data.bin")
    METADATA_DIR = _os.path.join(root, "metadata")
    SUBCONTENT_DIR = _os.path.join(root, "subcontent")


if _os.environ.get("WADUP_GUEST_ROOT"):
    _set_guest_root(_os.environ["WADUP_GUEST_ROOT"])

# ---- state (per instance; see the module docstring) --------------------------

_tables = {}            # name -> tuple of (column name, type name)
_to_send = {}           # ordered set: tables defined or used since the last flush
_rows = []              # rendered rows (JSON text) waiting for flush()
_flush_count = 0        # k of /metadata/output_<k>.json, never reset
_emit_count = 0         # N of /subcontent/*_N.*, never reset
_content = None         # (filename, uuid, depth) from _begin_content


# ---- text ----------------------------------------------------------------------

def _bytewise_replace(exc):
    # One U+FFFD per byte that does not start a well-formed sequence, then
    # decoding resumes at the next byte: the C SDK's rule.
    if isinstance(exc, UnicodeDecodeError):
        return "\ufffd", exc.start + 1
    raise exc


_codecs.register_error("wadup.bytewise_replace", _bytewise_replace)


def _clean_str(s):
    """``s`` with every surrogate code point replaced by U+FFFD, so that it
    encodes as strict UTF-8."""
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in s)


def _decode_bytes(b):
    return bytes(b).decode("utf-8", "wadup.bytewise_replace")


def _text(value, what):
    """A str for a file name or similar argument."""
    if isinstance(value, str):
        return _clean_str(str.__str__(value))
    raise TypeError("%s must be a str, got %s" % (what, type(value).__name__))


_encode = None


def _dumps(obj):
    """Strict compact JSON. The json package (and the re module it pulls
    in) is imported on first use, not at interpreter start."""
    global _encode
    if _encode is None:
        import json
        _encode = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode
    return _encode(obj)


# ---- tables -------------------------------------------------------------------

def _check_name(name, what):
    if not isinstance(name, str):
        raise TypeError("%s must be a str, got %s" % (what, type(name).__name__))
    ok = (0 < len(name) <= _NAME_MAX and name.isascii()
          and (name[0].isalpha() or name[0] == "_")
          and all(c.isalnum() or c == "_" for c in name))
    if not ok:
        raise ValueError("%s %r is invalid: it must match [A-Za-z_][A-Za-z0-9_]* and be at most %d bytes"
                         % (what, name, _NAME_MAX))
    return name


def _type_name(t, table, column):
    try:
        name = _TYPE_NAMES.get(t)
    except TypeError:  # unhashable
        name = None
    if name is None:
        raise ValueError("table %r column %r: type %r is not one of 'Int64', 'Float64', 'String', "
                         "'Boolean' (or int, float, str, bool)" % (table, column, t))
    return name


def define_table(name, columns):
    """Declare the table ``name`` with ``columns``, a list of ``(name, type)``
    pairs (or a dict ``{name: type}``); a type is ``"Int64"``, ``"Float64"``,
    ``"String"`` or ``"Boolean"``, or ``int``, ``float``, ``str``, ``bool``.

    Names must match ``[A-Za-z_][A-Za-z0-9_]*`` and be at most 64 bytes; a
    table needs at least one column and its column names must be unique
    (ValueError otherwise, TypeError for arguments of the wrong type).

    Defining a table again with the same columns is fine (so it can be done
    at import time or at the start of every ``main()``); with different
    columns it is a ValueError. The definition is sent with the next flush.
    """
    _check_name(name, "table name")
    if isinstance(columns, dict):
        columns = list(columns.items())
    if isinstance(columns, (str, bytes)) or not hasattr(columns, "__iter__"):
        raise TypeError("define_table(%r, columns): columns must be a list of (name, type) pairs, got %s"
                        % (name, type(columns).__name__))
    cols = []
    seen = set()
    for col in columns:
        if not isinstance(col, (tuple, list)) or len(col) != 2:
            raise TypeError("define_table(%r): each column must be a (name, type) pair, got %r" % (name, col))
        cname = _check_name(col[0], "table %r: column name" % name)
        if cname in seen:
            raise ValueError("table %r: duplicate column name %r" % (name, cname))
        seen.add(cname)
        cols.append((cname, _type_name(col[1], name, cname)))
    if not cols:
        raise ValueError("table %r must have at least one column" % name)
    cols = tuple(cols)
    existing = _tables.get(name)
    if existing is not None and existing != cols:
        raise ValueError("table %r is already defined with different columns: %s (now %s)"
                         % (name, _describe(existing), _describe(cols)))
    _tables[name] = cols
    _to_send[name] = None


def _describe(cols):
    return "(" + ", ".join("%s %s" % c for c in cols) + ")"


def _value(v, ctype, table, column):
    """The JSON form of value v for a column of type ctype."""
    if v is None:
        return None
    where = "insert_row: table %r column %r" % (table, column)
    if ctype == "Boolean":
        if isinstance(v, bool):
            return {"Boolean": v}
    elif isinstance(v, bool):
        pass  # a bool is never an Int64, Float64 or String
    elif ctype == "Int64":
        if isinstance(v, int):
            i = int.__int__(v)  # the plain value, whatever a subclass's __int__ says
            if i < _INT64_MIN or i > _INT64_MAX:
                raise OverflowError("%s: %d is outside the Int64 range" % (where, i))
            return {"Int64": i}
    elif ctype == "Float64":
        if isinstance(v, (int, float)):
            try:
                f = float.__float__(v) if isinstance(v, float) else float(int.__int__(v))
            except OverflowError:
                raise OverflowError("%s: integer too large for a Float64" % where) from None
            if not _math.isfinite(f):
                raise ValueError("%s: %r is not finite (NaN and infinities cannot be stored)" % (where, f))
            return {"Float64": f}
    elif ctype == "String":
        if isinstance(v, str):
            return {"String": _clean_str(str.__str__(v))}
        if isinstance(v, (bytes, bytearray, memoryview)):
            return {"String": _decode_bytes(v)}
    raise TypeError("%s: expected %s, got %s" % (where, ctype, type(v).__name__))


def insert_row(table, values):
    """Queue one row for ``table``, defined earlier in this instance.

    ``values`` is a list or tuple with one value per column, in column
    order (or a dict with exactly the column names as keys). See the
    module docstring for how Python values map to column types. Raises
    (and queues nothing) when the table is unknown, the number of values
    is wrong (ValueError), a value does not fit its column (TypeError),
    an integer is out of range (OverflowError) or a float is NaN or
    infinite (ValueError). Rows are written by :func:`flush`.
    """
    if not isinstance(table, str):
        raise TypeError("insert_row: table name must be a str, got %s" % type(table).__name__)
    cols = _tables.get(table)
    if cols is None:
        raise ValueError("insert_row: table %r is not defined in this instance (call define_table first)"
                         % table)
    if isinstance(values, dict):
        names = [c[0] for c in cols]
        unknown = [k for k in values if k not in names]
        missing = [n for n in names if n not in values]
        if unknown or missing:
            raise ValueError("insert_row: table %r: values dict must have exactly the keys %s (missing %s, "
                             "unknown %s)" % (table, names, missing, unknown))
        values = [values[n] for n in names]
    elif isinstance(values, (str, bytes, bytearray, memoryview)) or not hasattr(values, "__iter__"):
        raise TypeError("insert_row: values must be a list or tuple, got %s" % type(values).__name__)
    else:
        values = list(values)
    if len(values) != len(cols):
        raise ValueError("insert_row: table %r has %d column%s, got %d value%s"
                         % (table, len(cols), "" if len(cols) == 1 else "s",
                            len(values), "" if len(values) == 1 else "s"))
    rendered = [_value(v, c[1], table, c[0]) for v, c in zip(values, cols)]
    _rows.append(_dumps({"table_name": table, "values": rendered}))
    _to_send[table] = None


def flush():
    """Write everything queued — the definitions of the tables defined or
    used since the last flush, and the rows — as one JSON document to
    ``/metadata/output_<k>.json`` and close it, which hands it to wadup.

    Returns the path written, or None when nothing was queued. On failure
    (e.g. the instance's memory limit refused the write) the partial file
    is removed, the queue is kept and the OSError is raised.
    The runtime calls this after ``main()`` returns; call it yourself to
    bound memory when a content produces very many rows.
    """
    global _flush_count
    if not _rows and not _to_send:
        return None
    tables = [{"name": t, "columns": [{"name": c, "data_type": d} for c, d in _tables[t]]}
              for t in _to_send]
    doc = '{"tables":' + _dumps(tables) + ',"rows":[' + ",".join(_rows) + "]}"
    data = doc.encode("utf-8")  # strict: every string was cleaned on the way in
    path = _os.path.join(METADATA_DIR, "output_%d.json" % _flush_count)
    _ensure_dir(METADATA_DIR)
    _write_file(path, data)
    _flush_count += 1
    del _rows[:]
    _to_send.clear()
    return path


# ---- files --------------------------------------------------------------------

def _ensure_dir(d):
    if not _os.path.isdir(d):
        _os.makedirs(d, exist_ok=True)


def _write_file(path, data):
    """Create/truncate path, write all of data, close it. On a write error the
    file is unlinked before it is closed, so wadup never sees a partial file."""
    fd = _os.open(path, _os.O_WRONLY | _os.O_CREAT | _os.O_TRUNC, 0o644)
    try:
        view = memoryview(data).cast("B")
        while view:
            n = _os.write(fd, view)
            if n <= 0:
                raise OSError("short write to %s" % path)
            view = view[n:]
    except BaseException:
        try:
            _os.unlink(path)
        except OSError:
            pass
        _os.close(fd)
        raise
    _os.close(fd)


# ---- sub-content ----------------------------------------------------------------

def _next_emit():
    global _emit_count
    n = _emit_count
    _emit_count += 1
    _ensure_dir(SUBCONTENT_DIR)
    return n


def emit_bytes(data, filename):
    """Emit ``data`` (bytes, bytearray or memoryview) as a new sub-content
    named ``filename`` (a str). wadup processes it with every module after
    this content. Writes ``/subcontent/data_N.bin`` then
    ``/subcontent/metadata_N.json``; on failure neither is left behind.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("emit_bytes: data must be bytes, bytearray or memoryview, got %s"
                        % type(data).__name__)
    name = _text(filename, "emit_bytes: filename")
    n = _next_emit()
    data_path = _os.path.join(SUBCONTENT_DIR, "data_%d.bin" % n)
    _write_file(data_path, data)
    try:
        _write_file(_os.path.join(SUBCONTENT_DIR, "metadata_%d.json" % n),
                    _dumps({"filename": name}).encode("utf-8"))
    except BaseException:
        try:
            _os.unlink(data_path)
        except OSError:
            pass
        raise


def emit_slice(offset, length, filename):
    """Emit bytes ``[offset, offset + length)`` of the current content as a
    sub-content named ``filename``, without copying them. ``offset`` and
    ``length`` are ints >= 0 (TypeError, ValueError) and at most 2**63-1
    (OverflowError); wadup checks them against the content's size (a slice
    past the end fails this content with ``metadata_error``).
    """
    for what, v in (("offset", offset), ("length", length)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError("emit_slice: %s must be an int, got %s" % (what, type(v).__name__))
        if v < 0:
            raise ValueError("emit_slice: %s must be >= 0, got %d" % (what, v))
        if v > _INT64_MAX:
            raise OverflowError("emit_slice: %s %d is larger than 2**63-1" % (what, v))
    name = _text(filename, "emit_slice: filename")
    n = _next_emit()
    _write_file(_os.path.join(SUBCONTENT_DIR, "metadata_%d.json" % n),
                _dumps({"filename": name, "offset": int(offset), "length": int(length)}).encode("utf-8"))


# ---- the current content ------------------------------------------------------------

def filename():
    """The current content's file name (``WADUP_FILENAME``): an input file's
    name, or the name its parent module gave a sub-content."""
    if _content is not None:
        return _content[0]
    return _os.environ.get("WADUP_FILENAME", "unknown")


def content_uuid():
    """The current content's UUID (``WADUP_CONTENT_UUID``), or None."""
    if _content is not None:
        return _content[1]
    return _os.environ.get("WADUP_CONTENT_UUID")


def depth():
    """The current content's depth: 0 for input files, parent's + 1 for
    sub-content."""
    if _content is not None:
        return _content[2]
    try:
        return int(_os.environ.get("WADUP_DEPTH", "0"))
    except ValueError:
        return 0


def open_content():
    """Open the current content (:data:`CONTENT_PATH`, read-only) as a binary
    file. Use it in a ``with`` block; do not keep it across contents."""
    return open(CONTENT_PATH, "rb")


def read_content():
    """All bytes of the current content (it is held in memory: for large
    contents prefer :func:`open_content` and read in pieces)."""
    with open(CONTENT_PATH, "rb") as f:
        return f.read()


# ---- called by the runtime ------------------------------------------------------------

def _begin_content(filename, uuid, depth):
    """Called by the runtime before ``main()`` for every content, with the
    content's WADUP_FILENAME, WADUP_CONTENT_UUID and WADUP_DEPTH (each None
    when the host did not set it). Rows left queued by an earlier content
    that failed before its flush are dropped. (Table definitions persist:
    they describe the instance, not a content.)"""
    global _content
    del _rows[:]
    try:
        d = int(depth)
    except (TypeError, ValueError):
        d = 0
    _content = ("unknown" if filename is None else _clean_str(str(filename)),
                None if uuid is None else _clean_str(str(uuid)), d)


def _end_content():
    """Called by the runtime after ``main()`` returned: flush()."""
    flush()
