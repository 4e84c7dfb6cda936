"""`keyvault set`, `list`, `rollback`, `verify` and `delete`: thin over the client's methods."""

from __future__ import annotations

import argparse
import json
import sys

from .cli import EXIT_NOT_VALID, checked_key, make_client
from .secret_input import read_fields, read_value

VALID = ("valid", "restricted")  # statuses verify exits 0 for


def set_value(args: argparse.Namespace) -> int:
    key = checked_key(args.key)
    options = {"if_version": args.if_version, "provider": args.provider}
    if args.fields:
        answer = make_client().set_fields(key, read_fields(key), **options)
    else:
        answer = make_client().set(key, read_value(key), **options)
    for warning in answer.get("warnings") or ():
        print(f"keyvault set: warning: {warning}", file=sys.stderr)
    print(answer["version"])
    return 0


def list_settings(args: argparse.Namespace) -> int:
    settings = make_client().list()
    if args.json:
        print(json.dumps(settings, indent=2))
        return 0
    rows = [("KEY", "PROVIDER", "VERSION", "UPDATED")]
    rows += [
        (str(s["key"]), str(s["provider"]), str(s["version"]), str(s["updated_at"]))
        for s in settings
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[3]]))
    return 0


def rollback(args: argparse.Namespace) -> int:
    key = checked_key(args.key)
    answer = make_client().rollback(key, args.version, if_version=args.if_version)
    print(answer["version"])
    return 0


def verify(args: argparse.Namespace) -> int:
    answer = make_client().verify(checked_key(args.key))
    print(f"{answer['status']}: {answer['detail']}")
    return 0 if answer["status"] in VALID else EXIT_NOT_VALID


def delete(args: argparse.Namespace) -> int:
    key = checked_key(args.key)
    make_client().delete(key, if_version=args.if_version)
    print(f"deleted {key}", file=sys.stderr)
    return 0
