#!/usr/bin/python3
"""Prints Signature V4 test vectors for S3, computed by botocore (the AWS SDK for Python), as JSON.

The C++ signer (src/storage/s3/sigv4.cpp) must reproduce every field; tests/unit/storage/
sigv4_test.cpp checks the committed output (sigv4_vectors.json) and re-runs this script to check
the committed file is what botocore computes. Regenerate with Debian's python (its botocore):
    /usr/bin/python3 tests/unit/storage/sigv4_vectors.py > tests/unit/storage/sigv4_vectors.json
Needs python3-botocore (Debian's python3-boto3 brings it). Deterministic: fixed time, fixed keys.
"""
import datetime
import hashlib
import base64
import json
import sys

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.utils import percent_encode

FIXED = datetime.datetime(2026, 1, 2, 3, 4, 5)


class _FixedDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return FIXED

    @classmethod
    def now(cls, tz=None):
        return FIXED if tz is None else FIXED.replace(tzinfo=tz)


class _DatetimeModule:
    pass


_DatetimeModule.datetime = _FixedDatetime
_DatetimeModule.timezone = datetime.timezone
_DatetimeModule.timedelta = datetime.timedelta


# botocore's SigV4Auth.add_auth reads datetime.datetime.utcnow(): pin it.
botocore.auth.datetime = _DatetimeModule


class _RecordingSigner(botocore.auth.S3SigV4Auth):
    """Keeps the canonical request and string to sign that add_auth computed."""

    def string_to_sign(self, request, canonical_request):
        sts = super().string_to_sign(request, canonical_request)
        self.recorded = (canonical_request, sts)
        return sts


def vector(name, method, endpoint, bucket, key, path_style=True, query=(), headers=(), body=b"",
           unsigned=False, access_key="AKIDEXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
           region="us-east-1", session_token=None):
    scheme, rest = endpoint.split("://", 1)
    host = rest
    if path_style:
        raw_path = "/" + bucket + ("/" + key if key else "")
    else:
        host = bucket + "." + rest
        raw_path = "/" + key
    # The same encoding botocore's serializer applies to S3 keys ({Key+}).
    path = percent_encode(raw_path, safe="/~")
    url = scheme + "://" + host + path
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers),
                         params=list(query))
    if unsigned:
        request.context["payload_signing_enabled"] = False
        request.context["client_config"] = type(
            "C", (), {"s3": {"payload_signing_enabled": False}})()
    creds = Credentials(access_key, secret_key, session_token)
    signer = _RecordingSigner(creds, "s3", region)
    signer.add_auth(request)
    canonical_request, string_to_sign = signer.recorded
    prepared = request.prepare()
    return {
        "name": name,
        "access_key": access_key,
        "secret_key": secret_key,
        "region": region,
        "session_token": session_token or "",
        "time_s": int((FIXED - datetime.datetime(1970, 1, 1)).total_seconds()),
        "method": method,
        "host": botocore.auth._host_from_url(url),
        "raw_path": raw_path,
        "query": [list(kv) for kv in query],
        "headers": [list(kv) for kv in headers],
        "body": body.decode("utf-8"),
        "unsigned_payload": unsigned,
        "expected": {
            "path": path,
            "url": prepared.url,  # Informative: the query is in the given order.
            "x_amz_date": request.headers["X-Amz-Date"],
            "x_amz_content_sha256": request.headers["X-Amz-Content-SHA256"],
            "canonical_request": canonical_request,
            "string_to_sign": string_to_sign,
            "authorization": request.headers["Authorization"],
            "x_amz_security_token": request.headers.get("X-Amz-Security-Token", ""),
        },
    }


def main():
    ep = "http://127.0.0.1:9000"
    b = "openvidu-appdata"
    delete_body = ('<Delete><Quiet>true</Quiet><Object><Key>openvidu-meet/a b.json</Key></Object>'
                   '<Object><Key>x&amp;y</Key></Object></Delete>').encode()
    vectors = [
        vector("list_v2_first_page", "GET", ep, b, "",
               query=[("list-type", "2"), ("prefix", "openvidu-meet/recordings/.metadata/R-abc"),
                      ("max-keys", "50")]),
        vector("list_v2_special_prefix_and_token", "GET", ep, b, "",
               query=[("list-type", "2"), ("prefix", "a b+c=d&e/é~_-.!*'()"),
                      ("continuation-token", "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="),
                      ("max-keys", "1000")]),
        vector("list_v2_max_keys_1", "GET", "https://s3.eu-west-3.amazonaws.com", b, "",
               query=[("list-type", "2"), ("max-keys", "1")], region="eu-west-3"),
        vector("put_json", "PUT", ep, b,
               "openvidu-meet/recordings/.metadata/R-abc/EG_x/0123456789.json",
               body=b'{"recordingId":"R-abc--EG_x--0123456789","status":"complete"}'),
        vector("put_empty_body", "PUT", ep, b, "top.json", body=b""),
        vector("put_unicode_key_and_body", "PUT", ep, b, "rooms/sala café/ü+=;,:@$ !.json",
               body="{\"name\":\"Café ☕\"}".encode("utf-8")),
        vector("put_with_content_type", "PUT", ep, b, "a/b.bin",
               headers=[("Content-Type", "application/octet-stream")], body=b"abc"),
        vector("head", "HEAD", ep, b, "openvidu-meet/recordings/R-abc/R-abc--0123456789.mp4"),
        vector("get_ranged_if_match", "GET", ep, b,
               "openvidu-meet/recordings/R-abc/R-abc--0123456789.mp4",
               headers=[("Range", "bytes=4194304-8388607"),
                        ("If-Match", "\"9e107d9d372bb6826bd81d3542a419d6\"")]),
        vector("get_virtual_hosted", "GET", "http://localhost:9000", b, "k/with spaces/x.json",
               path_style=False),
        vector("get_key_with_tilde_and_percent", "GET", ep, b, "100%/~user/a%2Fb"),
        vector("delete_many", "POST", ep, b, "", query=[("delete", "")],
               headers=[("Content-MD5", base64.b64encode(hashlib.md5(delete_body).digest()).decode()),
                        ("Content-Type", "application/xml")],
               body=delete_body),
        vector("create_multipart", "POST", ep, b, "media/big.mp4", query=[("uploads", "")]),
        vector("upload_part", "PUT", ep, b, "media/big.mp4",
               query=[("partNumber", "2"), ("uploadId", "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA")],
               body=b"part-two-bytes"),
        vector("put_unsigned_payload_https", "PUT", "https://s3.amazonaws.com", b, "u.json",
               headers=[("Content-MD5", base64.b64encode(hashlib.md5(b"{}").digest()).decode())],
               body=b"{}", unsigned=True),
        vector("s3rver_credentials", "GET", "http://127.0.0.1:4568", "openvidu-appdata", "",
               query=[("list-type", "2"), ("max-keys", "1")], access_key="S3RVER",
               secret_key="S3RVER"),
        vector("header_value_whitespace", "PUT", ep, b, "w.json",
               headers=[("x-amz-meta-note", "  two   spaces\tand tab  ")], body=b"w"),
        # Temporary credentials (container, instance role): the session token is sent as
        # X-Amz-Security-Token and signed.
        vector("session_token_list", "GET", "http://127.0.0.1:4568", "openvidu-appdata", "",
               query=[("list-type", "2"), ("max-keys", "1")], access_key="ASIAEXAMPLE",
               secret_key="S3RVER", session_token="IQoJb3JpZ2luX2VjEXAMPLE/token+with=chars"),
        vector("session_token_put_with_headers", "PUT", ep, b, "a b/c.json",
               headers=[("Content-Type", "application/json"), ("x-amz-meta-z", "last")],
               body=b'{"k":1}', access_key="ASIAEXAMPLE",
               session_token="FwoGZXIvYXdzEXAMPLE//long==token"),
        vector("session_token_virtual_hosted_unsigned", "PUT", "https://s3.eu-west-3.amazonaws.com",
               b, "u.json", path_style=False, body=b"{}", unsigned=True, region="eu-west-3",
               session_token="tok"),
    ]
    json.dump({"generator": "botocore " + botocore.__version__ + " S3SigV4Auth",
               "vectors": vectors}, sys.stdout, indent=1, ensure_ascii=False, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
