"""What `keyvault set` stores, read from standard input: never from the command line, where
`ps` and the shell's history would keep it.

`--fields` takes a structured credential as one JSON object of field names to text, the shape
`vault kv put KEY -` and `doppler secrets upload` read: a file redirected in (`< azure.json`),
or a pipe from the tool that minted the secret (`jq -n --arg k "$KEY" '{api_key: $k}'`). One
format for every provider, written by tools as easily as by hand; at a terminal it is prompted
for without echo, as a single value is. NAME=VALUE arguments (`op item edit`) would put the
secrets in argv, and a prompt per field would need the provider's field list before the write.
"""

from __future__ import annotations

import json
import sys

from .cli import UsageError

EXAMPLE = '{"api_key": "...", "resource_name": "contoso"}'


def read_value(key: str) -> str:
    """The value: prompted for without echo at a terminal, else read whole (one trailing line
    break dropped)."""
    value = _read(f"Value for {key} (not shown): ")
    if not value.strip():
        raise UsageError('no value given: pipe it in, e.g. printf %s "$NEW_KEY" | keyvault set KEY')
    return value


def read_fields(key: str) -> dict[str, str]:
    """The fields, a JSON object of names to text; UsageError naming what is wrong (never a
    value: the text may be a secret)."""
    text = _read(f"Fields for {key}, one JSON object (not shown): ")
    if not text.strip():
        raise UsageError(f"no fields given: pipe a JSON object in, e.g. {EXAMPLE}")
    try:
        fields = json.loads(text)
    except json.JSONDecodeError as error:  # its message names a place, never the text
        raise UsageError(
            f"--fields reads one JSON object, e.g. {EXAMPLE}; what came is not JSON "
            f"({error.msg} at line {error.lineno}, column {error.colno})."
        ) from None
    if not isinstance(fields, dict) or not fields:
        raise UsageError(f"--fields reads a JSON object of at least one field, e.g. {EXAMPLE}.")
    for name, value in fields.items():
        if not isinstance(value, str):
            raise UsageError(
                f'field {name!r} must be text (a JSON string, "" to clear it), '
                f"not {_json_type(value)}."
            )
    return fields


def _read(prompt: str) -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(prompt)
    text = sys.stdin.read()
    text = text[:-1] if text.endswith("\n") else text
    return text[:-1] if text.endswith("\r") else text


def _json_type(value: object) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", list: "a list",
             dict: "an object", type(None): "null"}  # fmt: skip
    return names.get(type(value), "that")
