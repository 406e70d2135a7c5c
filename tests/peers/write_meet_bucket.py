"""Writes one complete recording into a bucket exactly as OpenVidu Meet lays it out (reference §4):
record and secrets as compact JSON without a content type, the archived room metadata, and the
media file egress uploads — with the AWS SDK for Python (Debian's python3-boto3), path-style.

Usage: python3 write_meet_bucket.py ENDPOINT BUCKET ACCESS_KEY SECRET_KEY
Room "R-abc", egress "EG_x1", uid "0123456789"; the media is 300 000 bytes, byte i = (i*7) % 251.
Prints "ok".
"""
import json
import sys

import boto3
from botocore.config import Config

endpoint, bucket, ak, sk = sys.argv[1:5]
s3 = boto3.client("s3", endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk,
                  region_name="us-east-1", config=Config(s3={"addressing_style": "path"},
                  retries={"max_attempts": 1}))


def put_json(key, obj):
    s3.put_object(Bucket=bucket, Key=key, Body=json.dumps(obj, separators=(",", ":")))


room, egress, uid = "R-abc", "EG_x1", "0123456789"
rid = room + "--" + egress + "--" + uid
put_json("openvidu-meet/recordings/.metadata/%s/%s/%s.json" % (room, egress, uid),
         {"recordingId": rid, "roomId": room, "roomName": "Daily", "status": "complete",
          "filename": "%s--%s.mp4" % (room, uid), "startDate": 1767225600000.5, "size": 300000})
put_json("openvidu-meet/recordings/.secrets/%s/%s/%s.json" % (room, egress, uid),
         {"publicAccessSecret": "pub", "privateAccessSecret": "priv"})
put_json("openvidu-meet/recordings/.room_metadata/%s/room_metadata.json" % room,
         {"roomId": room, "roomName": "Daily"})
s3.put_object(Bucket=bucket, Key="openvidu-meet/recordings/%s/%s--%s.mp4" % (room, room, uid),
              Body=bytes((i * 7) % 251 for i in range(300000)))
print("ok")
