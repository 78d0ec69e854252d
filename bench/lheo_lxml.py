#!/usr/bin/env python3
"""The reference LHEO reader of `make bench`: lxml.iterparse over the same catalogue,
extracting per session what skillgap's reader extracts (formation id, title, Formacodes,
NSF, organisme, action id, place, session id, dates, places), memory kept flat by clearing
each <formation> once read. Prints one JSON object like `skillgap-bench lheo-read`."""

import json
import os
import sys
import time

from lxml import etree


def local(tag):
    return tag.rsplit("}", 1)[-1]


def text_of(element, name):
    for child in element.iter():
        if local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def main(path):
    clock = time.perf_counter()
    formations = sessions = places = 0
    rows = []
    context = etree.iterparse(path, events=("end",), tag="{*}formation", resolve_entities=False, no_network=True, huge_tree=False)
    for _, formation in context:
        formations += 1
        domain = [child for child in formation if local(child.tag) == "domaine-formation"]
        formacodes = [c.text.strip() for d in domain for c in d if local(c.tag) == "code-FORMACODE" and c.text]
        nsf = [c.text.strip() for d in domain for c in d if local(c.tag) == "code-NSF" and c.text]
        title = next((" ".join(c.text.split()) for c in formation if local(c.tag) == "intitule-formation" and c.text), None)
        organisme = text_of(formation, "nom-organisme")
        for action in (c for c in formation if local(c.tag) == "action"):
            lieu = next((c for c in action if local(c.tag) == "lieu-de-formation"), None)
            commune = text_of(lieu, "code-INSEE-commune") if lieu is not None else None
            for session in (c for c in action if local(c.tag) == "session"):
                debut = fin = known = None
                for element in session.iter():
                    name = local(element.tag)
                    if name == "debut":
                        debut = element.text
                    elif name == "fin":
                        fin = element.text
                    elif name == "nb-places" and element.text and element.text.strip().lstrip("-").isdigit():
                        known = (known or 0) + int(element.text)
                sessions += 1
                places += known or 0
                rows.append((formation.get("numero"), title, formacodes, nsf, organisme, action.get("numero"), commune, session.get("numero"), debut, fin, known))
                if len(rows) >= 8192:
                    rows.clear()
        formation.clear(keep_tail=True)
        while formation.getprevious() is not None:
            del formation.getparent()[0]
    seconds = time.perf_counter() - clock
    print(json.dumps({"bytes": os.path.getsize(path), "formations": formations, "sessions": sessions, "places": places, "seconds": seconds, "peak_rss_kib": peak_rss_kib()}))


def peak_rss_kib():
    """This process's own high-water RSS (VmHWM is reset at exec; ru_maxrss is not)."""
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


if __name__ == "__main__":
    main(sys.argv[1])
