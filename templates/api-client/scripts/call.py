#!/usr/bin/env python3
"""Call the {{ publisher }} publisher through the Seren gateway and print its JSON answer.

The API key comes from the SEREN_API_KEY environment variable only, and is never printed.
"""

# {{ display_name }}, {{ year }}.
from __future__ import annotations

import argparse
import json
import os
import sys
import urllib.error
import urllib.request

PUBLISHER = "{{ publisher }}"
DEFAULT_HOST = "https://api.serendb.com"


def build_url(host: str, route: str) -> str:
    return f"{host.rstrip('/')}/publishers/{PUBLISHER}/{route.lstrip('/')}"


def call(method: str, route: str, body: object | None, key: str, host: str, timeout: float) -> object:
    data = None if body is None else json.dumps(body).encode("utf-8")
    request = urllib.request.Request(build_url(host, route), data=data, method=method.upper())
    request.add_header("Authorization", "Bearer " + key)
    request.add_header("Accept", "application/json")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=f"Call the {PUBLISHER} publisher through the Seren gateway.")
    parser.add_argument("method", help="HTTP method, for example GET or POST")
    parser.add_argument("route", help="route below the publisher, for example /query")
    parser.add_argument("--data", help="JSON request body")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for an answer")
    args = parser.parse_args(argv)
    key = os.environ.get("SEREN_API_KEY", "").strip()
    if not key:
        sys.stderr.write("error: SEREN_API_KEY is not set (export it in your environment; never in a file)\n")
        return 2
    try:
        body = json.loads(args.data) if args.data is not None else None
    except ValueError as exc:
        sys.stderr.write(f"error: --data is not valid JSON: {exc}\n")
        return 2
    host = os.environ.get("SEREN_API_HOST") or DEFAULT_HOST
    try:
        result = call(args.method, args.route, body, key, host, args.timeout)
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:500]
        sys.stderr.write(f"error: HTTP {exc.code} from {PUBLISHER}: {detail}\n")
        return 1
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        sys.stderr.write(f"error: request to {PUBLISHER} failed: {exc}\n")
        return 1
    sys.stdout.write(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
