#!/usr/bin/env python3
"""Builds static/emoji/emoji.json, the composer's emoji picker data, from the npm package
emojibase-data (MIT; Unicode's emoji list with CLDR names and keywords in English and
Spanish). Run again to update:

    npm pack emojibase-data@16 && tar xzf emojibase-data-*.tgz
    python3 scripts/emoji.py package > static/emoji/emoji.json

Output: {"source", "groups": [[key, en, es]], "emoji": [[emoji, group, en words, es words]]}
in Unicode's order; components (skin tones, hair) and skin-tone variants are left out.
"""
import json
import sys

root = sys.argv[1]
pkg = json.load(open(f"{root}/package.json"))
en = json.load(open(f"{root}/en/compact.json"))
es = {e["hexcode"]: e for e in json.load(open(f"{root}/es/compact.json"))}
gen = json.load(open(f"{root}/en/messages.json"))["groups"]
ges = {g["key"]: g["message"] for g in json.load(open(f"{root}/es/messages.json"))["groups"]}


def words(e):
    return " ".join([e.get("label", "")] + [t for t in e.get("tags", []) if t not in e.get("label", "")])


out = []
for e in sorted(en, key=lambda e: e.get("order", 1 << 30)):
    g = e.get("group")
    if g is None or g == 2:
        continue
    s = es.get(e["hexcode"], {})
    out.append([e["unicode"], g, words(e), words(s) if s else ""])
groups = [[g["key"], g["message"], ges.get(g["key"], g["message"])] for g in gen]
json.dump(
    {"source": f"emojibase-data {pkg['version']}", "groups": groups, "emoji": out},
    sys.stdout,
    ensure_ascii=False,
    separators=(",", ":"),
)
