"""Test tokens, signed here with a local key (HS256, standard library): no network, no
issuer. jobsub only decodes tokens; signatures are the credd's and the storage's business."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from pathlib import Path

KEY = b"jobsub test key, local only"
SCOPE = ("compute.create compute.read compute.cancel compute.modify "
         "storage.create:/fermilab/users/testuser storage.read:/fermilab "
         "storage.modify:/fermilab/users/testuser")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(**claims) -> str:
    claims = {"iss": "https://demo.scitokens.org", "aud": "https://wlcg.cern.ch/jwt/v1/any",
              "ver": "scitoken:2.0", "iat": int(time.time()), "exp": int(time.time()) + 3600,
              **claims}
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(KEY, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def write_token(path: Path, **claims) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(make_token(**claims) + "\n")
    os.chmod(path, 0o600)
    return path


def fermilab_token(path: Path, **claims) -> Path:
    """The token jobsub_lite's reference outputs were made with."""
    return write_token(path, **{"wlcg.groups": ["/fermilab"], "scope": SCOPE, **claims})
