#!/usr/bin/env python3
"""What a dhat heap profile (the server built with `--features dhat-heap`, written by
`kill -USR1`) holds live, grouped by the first frame of cloud_msg's own code in each
allocation's backtrace (or of a named crate when none is ours).

    python3 bench/dhat-sum.py [--peak] dhat-heap.json [SOCKETS] [TOP]

With SOCKETS, each line also says bytes per socket. With --peak, what was live at the
moment the heap was biggest (dhat's t-gmax) instead of at the end."""
import json
import re
import sys
from collections import defaultdict

args = sys.argv[1:]
peak = "--peak" in args
args = [a for a in args if a != "--peak"]
path = args[0]
sockets = int(args[1]) if len(args) > 1 else 0
top = int(args[2]) if len(args) > 2 else 25
BYTES, BLOCKS = ("gb", "gbk") if peak else ("eb", "ebk")
d = json.load(open(path))
ftbl = d["ftbl"]

# Frames that say nothing about who asked for the memory.
NOISE = re.compile(
    r"(alloc::|core::|std::|hashbrown::|<alloc::|<core::|<std::|__rust|dhat::|"
    r"<hashbrown|bytes::|<bytes::|smallvec|indexmap|serde_json::|<serde_json|"
    r"<T as |<&|\[root\])"
)


def where(pp):
    frames = [ftbl[i] for i in pp["fs"]]
    ours = [f for f in frames if "cloud_msg::" in f]
    pick = ours[0] if ours else next((f for f in frames if not NOISE.search(f)), frames[-1])
    # "0x1234: name (path:line:col)" -> "name (file:line)"
    m = re.match(r"0x[0-9a-f]+: (.*?)(?: \((.*)\))?$", pick)
    name, loc = (m.group(1), m.group(2)) if m else (pick, "")
    name = re.sub(r"::h[0-9a-f]{16}$", "", name)
    name = re.sub(r"\{\{closure\}\}", "{c}", name)
    if loc:
        loc = re.sub(r".*/src/", "src/", loc)
        loc = re.sub(r":\d+$", "", loc)
    return f"{name}  [{loc}]" if loc else name


groups = defaultdict(lambda: [0, 0])
for pp in d["pps"]:
    if pp.get(BYTES, 0) == 0:
        continue
    g = groups[where(pp)]
    g[0] += pp[BYTES]
    g[1] += pp[BLOCKS]
total = sum(b for b, _ in groups.values())
blocks = sum(k for _, k in groups.values())
print(f"live at the {'peak' if peak else 'end'}: {total / 1024:.0f} KiB in {blocks} blocks"
      + (f" = {total / sockets:.0f} B and {blocks / sockets:.1f} blocks per socket" if sockets else ""))
for key, (b, k) in sorted(groups.items(), key=lambda kv: -kv[1][0])[:top]:
    per = f"{b / sockets:8.0f} B/socket {k / sockets:5.2f} blk" if sockets else ""
    print(f"{b / 1024:9.0f} KiB {k:8d} blk {per}  {key}")
