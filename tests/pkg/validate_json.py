#!/usr/bin/env python3
"""Validate JSON against oomguard's schemas (JSON Schema draft 2020-12).

  validate_json.py SCHEMA.json [DOC.json|-]   exit 0 valid, 1 invalid, 2 error
  validate_json.py --check-schemas DIR        every DIR/*.schema.json is a valid,
                                              versioned schema
"""
import glob
import json
import os
import re
import sys

try:
    import jsonschema
except ImportError:  # the caller decides whether that is a skip
    sys.stderr.write("validate_json: python3 module jsonschema is not installed\n")
    sys.exit(77)


def validator_for(schema):
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def main(argv):
    if len(argv) == 3 and argv[1] == "--check-schemas":
        bad = 0
        files = sorted(glob.glob(os.path.join(argv[2], "*.schema.json")))
        if not files:
            print("no schemas in %s" % argv[2])
            return 1
        for f in files:
            try:
                with open(f) as fh:
                    s = json.load(fh)
                validator_for(s)
                if "2020-12" not in s.get("$schema", ""):
                    raise ValueError("$schema is not draft 2020-12")
                name = os.path.basename(f)[: -len(".schema.json")]
                if not re.fullmatch(r"urn:oomguard:schema:%s:v[0-9]+" % re.escape(name), s.get("$id", "")):
                    raise ValueError("$id must be urn:oomguard:schema:%s:vN" % name)
            except Exception as e:  # noqa: BLE001 - report every problem
                print("%s: %s" % (f, e))
                bad = 1
        return bad
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    with open(argv[1]) as fh:
        schema = json.load(fh)
    src = sys.stdin if len(argv) == 2 or argv[2] == "-" else open(argv[2])
    text = src.read()
    try:
        doc = json.loads(text)
    except ValueError as e:
        print("not JSON: %s" % e)
        return 1
    errors = sorted(validator_for(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors[:20]:
        print("%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(root)", e.message))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
