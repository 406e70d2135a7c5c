#!/usr/bin/env python3
"""Seeds a storage folder with N recordings in the OpenVidu Meet bucket layout (reference §4).

Usage: seed_catalogue.py DIR [N]. 1 000 rooms; statuses mostly complete, some failed/aborted/
active; start dates spread over a year. The first recording of room-0000 gets a 64 MiB media
file (random bytes), so media can be benchmarked; a few others get small files.
"""
import json, os, random, sys

root = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 100000
rooms = 1000
rng = random.Random(42)
statuses = ["complete"] * 90 + ["failed"] * 4 + ["aborted"] * 3 + ["active"] * 2 + ["limit_reached"]
base = 1727000000000
sub = os.path.join(root, "openvidu-meet", "recordings")
media_ids = []
for i in range(n):
    room = "room-%04d" % (i % rooms)
    egress = "EG_%012d" % i
    uid = "%010x" % i
    rid = f"{room}--{egress}--{uid}"
    status = "complete" if i < 4 else rng.choice(statuses)
    rec = {"recordingId": rid, "roomId": room, "roomName": room, "status": status,
           "filename": f"{room}--{uid}.mp4", "startDate": base + rng.randrange(365 * 86400000)}
    if status == "complete":
        rec.update({"endDate": rec["startDate"] + 60000, "duration": 60.0, "size": 1000})
    d = os.path.join(sub, ".metadata", room, egress)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, uid + ".json"), "w") as f:
        f.write(json.dumps(rec, separators=(",", ":")))
    if i < 4:
        md = os.path.join(sub, room)
        os.makedirs(md, exist_ok=True)
        size = 64 * 1024 * 1024 if i == 0 else 100000
        with open(os.path.join(md, f"{room}--{uid}.mp4"), "wb") as f:
            f.write(os.urandom(size))
        media_ids.append(rid)
print(json.dumps({"first_media": media_ids[0], "one": media_ids[1]}))
