"""binary128.py — an exact IEEE 754 oracle for the soft-float tests.

Every value is decoded to an exact rational (fractions.Fraction) and every
result is rounded to nearest, ties to even, from the exact result, so the
expected values do not depend on any floating-point implementation (not
the host's libgcc that wadup uses, nor Python's floats). Used by
tests/guest/abi/gen_softfloat_cases.py (which writes the known values the
soft-float test module checks itself against) and by tests/e2e/test_softfloat.py
(which checks every result the module reports again).

Formats are (exponent bits, mantissa bits): F32, F64, F128.
"""

from fractions import Fraction

F32 = (8, 23)
F64 = (11, 52)
F128 = (15, 112)


class Val:
    """An IEEE value: kind 'num' (exact rational v, neg = sign of a zero), 'inf' or 'nan'."""

    __slots__ = ("kind", "v", "neg")

    def __init__(self, kind, v=Fraction(0), neg=False):
        self.kind, self.v, self.neg = kind, Fraction(v), bool(neg)

    def __repr__(self):
        return "Val(%s, %s, neg=%s)" % (self.kind, self.v, self.neg)


def num(x):
    x = Fraction(x)
    return Val("num", x, x < 0)


def decode(bits, fmt):
    """The value of raw bits in format fmt."""
    ebits, mbits = fmt
    sign = (bits >> (ebits + mbits)) & 1
    e = (bits >> mbits) & ((1 << ebits) - 1)
    m = bits & ((1 << mbits) - 1)
    bias = (1 << (ebits - 1)) - 1
    if e == (1 << ebits) - 1:
        return Val("nan", neg=sign) if m else Val("inf", neg=sign)
    if e == 0:
        v = Fraction(m) * Fraction(2) ** (1 - bias - mbits)
    else:
        v = Fraction(m + (1 << mbits)) * Fraction(2) ** (e - bias - mbits)
    return Val("num", -v if sign else v, sign)


def _round_half_even(n):
    fl = n.numerator // n.denominator
    r = n - fl
    if r > Fraction(1, 2) or (r == Fraction(1, 2) and fl & 1):
        return fl + 1
    return fl


def _floor_log2(a):
    e = a.numerator.bit_length() - a.denominator.bit_length()
    while Fraction(2) ** e > a:
        e -= 1
    while Fraction(2) ** (e + 1) <= a:
        e += 1
    return e


def encode(x, fmt):
    """Raw bits of x rounded to format fmt (a NaN gives the quiet NaN with x's sign)."""
    ebits, mbits = fmt
    bias = (1 << (ebits - 1)) - 1
    top = 1 << (ebits + mbits)
    emax_field = (1 << ebits) - 1
    if x.kind == "nan":
        return (top if x.neg else 0) | emax_field << mbits | 1 << (mbits - 1)
    sign = x.neg if x.kind == "inf" or x.v == 0 else x.v < 0
    s = top if sign else 0
    if x.kind == "inf":
        return s | emax_field << mbits
    a = abs(x.v)
    if a == 0:
        return s
    e = max(_floor_log2(a), 1 - bias)
    m = _round_half_even(a / Fraction(2) ** (e - mbits))
    if m == 1 << (mbits + 1):
        m >>= 1
        e += 1
    if e > bias:
        return s | emax_field << mbits
    if m < 1 << mbits:
        return s | m
    return s | (e + bias) << mbits | (m - (1 << mbits))


def rounded(x, fmt=F128):
    """x rounded to fmt, as a value."""
    return decode(encode(x, fmt), fmt)


# ---- operations (IEEE, round to nearest even) ----

def add(a, b):
    if a.kind == "nan" or b.kind == "nan":
        return Val("nan")
    if a.kind == "inf" or b.kind == "inf":
        if a.kind == "inf" and b.kind == "inf" and a.neg != b.neg:
            return Val("nan")
        return a if a.kind == "inf" else b
    s = a.v + b.v
    if s == 0:
        return Val("num", 0, a.neg and b.neg if a.v == 0 and b.v == 0 else False)
    return num(s)


def neg(a):
    return Val(a.kind, -a.v, not a.neg)


def sub(a, b):
    return add(a, neg(b))


def mul(a, b):
    if a.kind == "nan" or b.kind == "nan":
        return Val("nan")
    sign = a.neg != b.neg
    if a.kind == "inf" or b.kind == "inf":
        if (a.kind == "num" and a.v == 0) or (b.kind == "num" and b.v == 0):
            return Val("nan")
        return Val("inf", neg=sign)
    p = a.v * b.v
    return Val("num", p, sign) if p == 0 else num(p)


def div(a, b):
    if a.kind == "nan" or b.kind == "nan":
        return Val("nan")
    sign = a.neg != b.neg
    if a.kind == "inf":
        return Val("nan") if b.kind == "inf" else Val("inf", neg=sign)
    if b.kind == "inf":
        return Val("num", 0, sign)
    if b.v == 0:
        return Val("nan") if a.v == 0 else Val("inf", neg=sign)
    q = a.v / b.v
    return Val("num", q, sign) if q == 0 else num(q)


def powi(a, b):
    """compiler-rt's __powitf2: repeated squaring, each step rounded to binary128."""
    recip = b < 0
    r = num(1)
    while True:
        if b & 1:
            r = rounded(mul(r, a))
        b = int(b / 2) if b >= 0 else -((-b) // 2)
        if b == 0:
            break
        a = rounded(mul(a, a))
    return rounded(div(num(1), r)) if recip else r


def compare(a, b, unordered):
    if a.kind == "nan" or b.kind == "nan":
        return unordered
    def key(x):
        return (1 if not x.neg else -1, 0) if x.kind == "inf" else (0, x.v)
    ka, kb = key(a), key(b)
    return -1 if ka < kb else 0 if ka == kb else 1


def to_int(a, bits, signed):
    """compiler-rt's __fixtf*: truncate toward zero, saturate; NaN by its sign."""
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    if a.kind == "nan":
        return lo if a.neg else hi
    if a.kind == "inf":
        return lo if a.neg else hi
    t = int(a.v)  # int() truncates toward zero for Fraction
    return max(lo, min(hi, t))


# ---- the functions wadup provides and the cases the test module runs ----
# Operand and result types: 'q' binary128, 'd' f64, 'f' f32, 'i32', 'u32',
# 'i64', 'u64', 'i128', 'u128' (raw bits; integers in two's complement).

FUNCTIONS = {
    "__addtf3": ("qq", "q"), "__subtf3": ("qq", "q"), "__multf3": ("qq", "q"), "__divtf3": ("qq", "q"),
    "__negtf2": ("q", "q"), "__powitf2": (("q", "i32"), "q"),
    "__eqtf2": ("qq", "i32"), "__netf2": ("qq", "i32"), "__lttf2": ("qq", "i32"), "__letf2": ("qq", "i32"),
    "__cmptf2": ("qq", "i32"), "__gttf2": ("qq", "i32"), "__getf2": ("qq", "i32"), "__unordtf2": ("qq", "i32"),
    "__extendsftf2": ("f", "q"), "__extenddftf2": ("d", "q"), "__trunctfsf2": ("q", "f"), "__trunctfdf2": ("q", "d"),
    "__fixtfsi": ("q", "i32"), "__fixunstfsi": ("q", "u32"), "__fixtfdi": ("q", "i64"), "__fixunstfdi": ("q", "u64"),
    "__fixtfti": ("q", "i128"), "__fixunstfti": ("q", "u128"),
    "__floatsitf": ("i32", "q"), "__floatunsitf": ("u32", "q"), "__floatditf": ("i64", "q"),
    "__floatunditf": ("u64", "q"), "__floattitf": ("i128", "q"), "__floatuntitf": ("u128", "q"),
}

_FMT = {"q": F128, "d": F64, "f": F32}
_INT_BITS = {"i32": 32, "u32": 32, "i64": 64, "u64": 64, "i128": 128, "u128": 128}


def _types(fn):
    ops, res = FUNCTIONS[fn]
    if isinstance(ops, tuple):
        return list(ops), res
    if ops in _INT_BITS:
        return [ops], res
    return list(ops), res


def raw_of(t, x):
    """Raw bits of Python value x (Fraction/int/Val) as type t."""
    if t in _FMT:
        return encode(x if isinstance(x, Val) else num(x), _FMT[t])
    return int(x) & ((1 << _INT_BITS[t]) - 1)


def value_of(t, raw):
    if t in _FMT:
        return decode(raw, _FMT[t])
    bits = _INT_BITS[t]
    return raw - (1 << bits) if t.startswith("i") and raw >> (bits - 1) else raw


def expected(fn, raws):
    """(raw result bits, result_is_any_nan) of fn on raw operand bits."""
    ts, rt = _types(fn)
    args = [value_of(t, r) for t, r in zip(ts, raws)]
    name = fn.strip("_")
    if name in ("addtf3", "subtf3", "multf3", "divtf3"):
        r = {"addtf3": add, "subtf3": sub, "multf3": mul, "divtf3": div}[name](*args)
    elif name == "negtf2":
        return raws[0] ^ (1 << 127), False  # a sign flip, NaN payload included
    elif name == "powitf2":
        r = powi(*args)
    elif name in ("eqtf2", "netf2", "lttf2", "letf2", "cmptf2"):
        return compare(args[0], args[1], 1) & 0xFFFFFFFF, False
    elif name in ("gttf2", "getf2"):
        return compare(args[0], args[1], -1) & 0xFFFFFFFF, False
    elif name == "unordtf2":
        return int(args[0].kind == "nan" or args[1].kind == "nan"), False
    elif name.startswith("fix"):
        return raw_of(rt, to_int(args[0], _INT_BITS[rt], rt.startswith("i"))), False
    elif name.startswith("float"):
        r = num(args[0])
    else:  # extend / trunc
        r = args[0]
    if r.kind == "nan":
        return encode(r, _FMT[rt]), True
    return encode(r, _FMT[rt]), False


def _q(x):
    return raw_of("q", x)


_THIRD = rounded(num(Fraction(1, 3)))
_TENTH = rounded(num(Fraction(1, 10)))
_MAXQ = decode(0x7FFEFFFFFFFFFFFFFFFFFFFFFFFFFFFF, F128)
_MINSUB = decode(1, F128)
_INF, _NINF = Val("inf"), Val("inf", neg=True)
_NAN, _NNAN = Val("nan"), Val("nan", neg=True)
_NZERO = Val("num", 0, True)
_E112 = Fraction(1, 2 ** 112)

# (function, operands as Python values of the operand types)
CASES = [
    ("__addtf3", [1, 2]), ("__addtf3", [1, _E112]), ("__addtf3", [1, _E112 / 2]),
    ("__addtf3", [1, _E112 * 3 / 2]), ("__addtf3", [_THIRD, _TENTH]), ("__addtf3", [_MAXQ, _MAXQ]),
    ("__addtf3", [_INF, _NINF]), ("__addtf3", [_NZERO, _NZERO]), ("__addtf3", [Fraction(-5, 2), Fraction(5, 2)]),
    ("__subtf3", [1, 1 + _E112]), ("__subtf3", [_THIRD, _TENTH]), ("__subtf3", [_INF, _INF]),
    ("__subtf3", [Fraction(10 ** 30), Fraction(1, 10 ** 30)]),
    ("__multf3", [Fraction(3, 2), 2]), ("__multf3", [_THIRD, 3]), ("__multf3", [_MINSUB, Fraction(1, 2)]),
    ("__multf3", [_MINSUB, Fraction(3, 2)]), ("__multf3", [_MAXQ, 2]), ("__multf3", [1 + _E112, 1 + _E112]),
    ("__multf3", [_INF, 0]), ("__multf3", [_TENTH, _NZERO]),
    ("__divtf3", [1, 3]), ("__divtf3", [1, 10]), ("__divtf3", [2, 0]), ("__divtf3", [0, 0]),
    ("__divtf3", [-1, _INF]), ("__divtf3", [Fraction(22), Fraction(7)]),
    ("__negtf2", [_THIRD]), ("__negtf2", [0]),
    ("__powitf2", [Fraction(11, 10), 5]), ("__powitf2", [3, -2]), ("__powitf2", [1 + _E112, 1000]),
    ("__powitf2", [2, 0]),
]
for _fn in ("__eqtf2", "__netf2", "__lttf2", "__letf2", "__cmptf2", "__gttf2", "__getf2", "__unordtf2"):
    CASES += [(_fn, [1, 3]), (_fn, [3, 1]), (_fn, [1, 1]), (_fn, [_NZERO, 0]), (_fn, [_NAN, 1])]
CASES += [
    ("__extendsftf2", [rounded(num(Fraction(1, 10)), F32)]), ("__extendsftf2", [decode(1, F32)]),
    ("__extendsftf2", [_NINF]), ("__extendsftf2", [_NZERO]),
    ("__extenddftf2", [rounded(num(Fraction(1, 10)), F64)]), ("__extenddftf2", [decode(1, F64)]),
    ("__extenddftf2", [decode(0x7FEFFFFFFFFFFFFF, F64)]), ("__extenddftf2", [_NAN]),
    ("__trunctfsf2", [_THIRD]), ("__trunctfsf2", [Fraction(10) ** 40]), ("__trunctfsf2", [1 + Fraction(1, 2 ** 24)]),
    ("__trunctfsf2", [Fraction(1, 2 ** 149) * Fraction(3, 4)]),
    ("__trunctfdf2", [_THIRD]), ("__trunctfdf2", [1 + Fraction(1, 2 ** 53)]),
    ("__trunctfdf2", [1 + Fraction(1, 2 ** 53) + _E112]), ("__trunctfdf2", [Fraction(1, 2 ** 1075)]),
    ("__trunctfdf2", [Fraction(3, 2 ** 1076)]), ("__trunctfdf2", [_MAXQ]), ("__trunctfdf2", [_NNAN]),
    ("__fixtfsi", [Fraction(37, 10)]), ("__fixtfsi", [Fraction(-37, 10)]), ("__fixtfsi", [2 ** 31]),
    ("__fixtfsi", [-(2 ** 31)]), ("__fixtfsi", [Fraction(10) ** 10]), ("__fixtfsi", [_NAN]), ("__fixtfsi", [_NNAN]),
    ("__fixunstfsi", [Fraction(37, 10)]), ("__fixunstfsi", [Fraction(-1, 2)]), ("__fixunstfsi", [-3]),
    ("__fixunstfsi", [2 ** 32]), ("__fixunstfsi", [Fraction(2 ** 32 - 1) + Fraction(9, 10)]),
    ("__fixtfdi", [Fraction(10 ** 18) + Fraction(1, 2)]), ("__fixtfdi", [-(2 ** 63)]), ("__fixtfdi", [2 ** 63]),
    ("__fixtfdi", [_NINF]),
    ("__fixunstfdi", [Fraction(2 ** 64 - 1) + Fraction(1, 2)]), ("__fixunstfdi", [2 ** 64]), ("__fixunstfdi", [_NAN]),
    ("__fixtfti", [Fraction(2 ** 100) + Fraction(3, 4)]), ("__fixtfti", [-(2 ** 127)]), ("__fixtfti", [2 ** 127]),
    ("__fixtfti", [-(Fraction(10) ** 30) - Fraction(1, 3)]),
    ("__fixunstfti", [2 ** 127]), ("__fixunstfti", [2 ** 128]), ("__fixunstfti", [-1]),
    ("__floatsitf", [-(2 ** 31)]), ("__floatsitf", [123456789]), ("__floatunsitf", [2 ** 32 - 1]),
    ("__floatditf", [-(2 ** 63)]), ("__floatditf", [2 ** 53 + 1]), ("__floatunditf", [2 ** 64 - 1]),
    ("__floattitf", [2 ** 127 - 1]), ("__floattitf", [-(2 ** 113 + 1)]), ("__floattitf", [2 ** 113 + 3]),
    ("__floatuntitf", [2 ** 128 - 1]), ("__floatuntitf", [2 ** 113 + 1]),
]


def case_raws(fn, operands):
    ts, _ = _types(fn)
    return [raw_of(t, x) for t, x in zip(ts, operands)]
