# Dumps the facts of an ehrQL source tree (tables, columns, constraints, helpers,
# class members, signatures) as JSON on stdout. Run from the root of an ehrQL checkout
# with Python 3.13: python extract.py MODULE,MODULE,... > out.json (see ../README.md).
import sys, json, inspect, importlib, datetime, dataclasses, typing
import os; sys.path.insert(0, os.path.dirname(os.path.abspath(__file__))); import stub  # noqa
sys.path.insert(0, ".")
import ehrql.query_language as ql

MODULES = sys.argv[1].split(",")
out = {"modules": [], "classes": {}, "functions": {}, "codes": {}}

def tname(t):
    if t is datetime.date: return "date"
    if t in (int, float, str, bool): return t.__name__
    return t.__name__

def con(c):
    d = {"kind": type(c).__name__}
    for f in dataclasses.fields(c):
        v = getattr(c, f.name)
        if isinstance(v, datetime.date): v = v.isoformat()
        if isinstance(v, tuple): v = [x.isoformat() if isinstance(x, datetime.date) else x for x in v]
        d[f.name] = v
    return d

def sig(fn):
    try: s = inspect.signature(fn)
    except (TypeError, ValueError): return None
    ps = []
    for p in s.parameters.values():
        if p.name == "self": continue
        d = {"name": p.name, "kind": str(p.kind).split(".")[-1]}
        if p.default is not inspect.Parameter.empty:
            dv = p.default
            d["default"] = repr(dv) if not isinstance(dv, (int, float, str, bool, type(None))) else dv
            if isinstance(dv, type): d["default"] = dv.__name__
        ps.append(d)
    r = s.return_annotation
    ret = None if r is inspect.Signature.empty else (r if isinstance(r, str) else getattr(r, "__name__", repr(r)))
    return {"params": ps, "returns": ret}

BASES = {ql.EventFrame, ql.PatientFrame, ql.BaseFrame, object}
def helpers(cls):
    hs = []
    for klass in cls.__mro__:
        if klass in BASES or klass.__module__.startswith("ehrql.query_language"): continue
        for name, v in vars(klass).items():
            if name.startswith("_"): continue
            if isinstance(v, ql.Series): continue
            if any(h["name"] == name for h in hs): continue
            if isinstance(v, property):
                hs.append({"name": name, "kind": "property", "defined_in": klass.__module__})
            elif inspect.isfunction(v):
                s = sig(v) or {}
                hs.append({"name": name, "kind": "method", "defined_in": klass.__module__, **s})
    return hs

for mp in MODULES:
    try:
        m = importlib.import_module(mp)
    except Exception as e:
        print("skip", mp, e, file=sys.stderr); continue
    names = getattr(m, "__all__", None) or [n for n in dir(m) if not n.startswith("_")]
    mod = {"path": mp, "tables": [], "exports": [], "has_all": hasattr(m, "__all__"), "dir": [n for n in dir(m) if not n.startswith("_")]}
    for n in names:
        v = getattr(m, n)
        if isinstance(v, ql.BaseFrame):
            node = v._qm_node
            cls = type(v)
            schema = node.schema
            cols = []
            for cn in schema.column_names:
                c = schema.get_column(cn)
                t = c.type_
                cols.append({"name": cn, "type": tname(t),
                    "constraints": [con(x) for x in c.constraints],
                    "dummy": [con(x) for x in getattr(c, "dummy_data_constraints", ())]})
            meta = getattr(cls, "_meta", None)
            mod["tables"].append({"attr": n, "table_name": node.name, "class": cls.__name__,
                "class_module": cls.__module__,
                "kind": "event" if isinstance(v, ql.EventFrame) else "patient",
                "permission": getattr(node, "required_permission", None),
                "activation_filter_field": getattr(node, "activation_filter_field", None),
                "columns": cols, "helpers": helpers(cls),
                "doc_first": (cls.__doc__ or "").strip().split("\n")[0]})
        else:
            mod["exports"].append(n)
    out["modules"].append(mod)

# classes and their methods
import ehrql.measures.measures as mm
cand = {k: v for k, v in vars(ql).items() if inspect.isclass(v) and v.__module__ == ql.__name__}
cand["Measures"] = mm.Measures
for cname, cls in cand.items():
    ms = []
    for name, v in vars(cls).items():
        if name.startswith("_") and name not in ("__add__","__sub__","__radd__","__rsub__","__mul__","__rmul__","__truediv__","__rtruediv__","__floordiv__","__rfloordiv__","__pow__","__rpow__","__neg__","__and__","__or__","__invert__","__lt__","__le__","__gt__","__ge__","__eq__","__ne__","__abs__","__rand__","__ror__"): continue
        kind = "property" if isinstance(v, property) or type(v).__name__ == "int_property" else ("method" if inspect.isfunction(v) else ("staticmethod" if isinstance(v,(staticmethod,classmethod)) else None))
        if kind is None: continue
        ent = {"name": name, "kind": kind}
        if kind == "method": ent.update(sig(v) or {})
        ms.append(ent)
    out["classes"][cname] = {"mro": [k.__name__ for k in cls.__mro__], "members": ms}

import ehrql
for fname in dir(ehrql):
    if fname.startswith("_"): continue
    v = getattr(ehrql, fname)
    if inspect.isfunction(v) or inspect.isclass(v):
        out["functions"][fname] = {"module": getattr(v, "__module__", None), **(sig(v) or {})}

import ehrql.codes as codes
for n in dir(codes):
    v = getattr(codes, n)
    if inspect.isclass(v) and issubclass(v, (codes.BaseCode,)) and v is not codes.BaseCode:
        out["codes"][n] = {"regex": getattr(v, "regex", None) and v.regex.pattern}
json.dump(out, sys.stdout, indent=1, default=str)
