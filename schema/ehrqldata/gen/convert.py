# Turns the v1 and v0 dumps of extract.py into ../tables.json:
# python convert.py ../tables.json v1.json v0.json
import json, sys
SYS = {"SNOMEDCTCode":"SNOMEDCT","CTV3Code":"CTV3","ICD10Code":"ICD10","OPCS4Code":"OPCS4","DMDCode":"DMD","BNFCode":"BNF"}
MULTI = {"ICD10MultiCodeString":"ICD10","OPCS4MultiCodeString":"OPCS4"}
def typ(t):
    if t in SYS: return t
    if t in MULTI: return t
    assert t in ("bool","int","float","str","date"), t
    return t
def cons(lst):
    out = {}
    for c in lst:
        k = c["kind"]
        if k == "NotNull": out["not_null"] = True
        elif k == "Unique": out["unique"] = True
        elif k == "FirstOfMonth": out["first_of_month"] = True
        elif k == "Categorical":
            vals = []
            for v in c["values"]:
                if v is None: out["null_category"] = True
                else: vals.append(str(v))
            out["categories"] = vals
        elif k == "Regex": out["regex"] = c["regex"]
        elif k == "ClosedRange":
            out["min"] = str(c["minimum"]); out["max"] = str(c["maximum"])
            if c.get("step", 1) != 1: out["step"] = c["step"]
        elif k == "GeneralRange":
            if c.get("minimum") is not None: out["min"] = str(c["minimum"])
            if c.get("maximum") is not None: out["max"] = str(c["maximum"])
            if not c.get("includes_minimum", True): out["min_exclusive"] = True
            if not c.get("includes_maximum", True): out["max_exclusive"] = True
        elif k == "DateAfter": out["date_after"] = list(c["column_names"])
        else: raise Exception(k)
    return out
PUBLIC = {
 "ehrql.codes": ["BNFCode","CTV3Code","DMDCode","ICD10Code","OPCS4Code","SNOMEDCTCode","ICD10MultiCodeString","OPCS4MultiCodeString","codelist_from_csv","CodelistError"],
 "databuilder.codes": ["BNFCode","CTV3Code","DMDCode","ICD10Code","OPCS4Code","SNOMEDCTCode","codelist_from_csv","CodelistError"],
 "ehrql.measures": ["INTERVAL","Measures","create_measures"],
 "ehrql.query_language": [],
}
STDLIB = {"Any","Callable","ChainMap","Path","TypeVar","dataclasses","datetime","functools","operator","overload","re","csv","qm","date_utils","strip_indent","ehrql","exclude_from_docs","compile"}
res = {"source": {"v1": "opensafely-core/ehrql@350a1ccd857960d6474f9b6d02cf3a8a4b5c89d3", "v0": "opensafely-core/ehrql v0.139.1 (5b1b98da)"}, "versions": {}}
for ver in ("v1","v0"):
    d = json.load(open(sys.argv[2 if ver == "v1" else 3]))
    mods = []
    paths = [m["path"] for m in d["modules"]]
    for m in d["modules"]:
        tables = []
        for t in m["tables"]:
            cols = []
            for c in t["columns"]:
                col = {"name": c["name"], "type": typ(c["type"])}
                cc = cons(c["constraints"]); dd = cons(c["dummy"])
                if cc: col["c"] = cc
                if dd: col["d"] = dd
                cols.append(col)
            helpers = []
            for h in t["helpers"]:
                helpers.append({"name": h["name"], "kind": h["kind"], "params": [p["name"] for p in h.get("params", [])]})
            tab = {"name": t["attr"], "dim": t["kind"], "class_module": t["class_module"], "columns": cols}
            if t["table_name"] != t["attr"]: tab["storage"] = t["table_name"]
            if t["permission"]: tab["permission"] = t["permission"]
            if helpers: tab["helpers"] = helpers
            tables.append(tab)
        tnames = {t["attr"] for t in m["tables"]}
        if m["path"] in PUBLIC: pub = [n for n in PUBLIC[m["path"]] if n in m["dir"]]
        elif m["has_all"]: pub = [n for n in m["exports"]]
        else: pub = [n for n in m["exports"] if n not in STDLIB]
        internal = sorted(n for n in m["dir"] if n not in pub and n not in tnames and n not in STDLIB)
        subs = sorted(p.rsplit(".",1)[1] for p in paths if "." in p and p.rsplit(".",1)[0] == m["path"])
        internal = [n for n in internal if n not in subs]
        mod = {"path": m["path"], "tables": tables, "exports": pub}
        if internal: mod["internal"] = internal
        if subs: mod["submodules"] = subs
        mods.append(mod)
    res["versions"][ver] = {"modules": mods}
json.dump(res, open(sys.argv[1], "w"), indent=1)
