"""Metering Bedrock's event streams: frames split anywhere, corrupt frames, callers who leave."""

from __future__ import annotations

import base64
import itertools
import random

import httpx
from hypothesis import given
from hypothesis import strategies as st

from settings_app.gateway import requests
from settings_app.gateway.metering import Meter
from settings_app.gateway.usage import ANTHROPIC, CONVERSE
from tests.gateway.conftest import wait_for_requests
from tests.support.cloud_standins import (
    BEDROCK_CLAUDE_USAGE,
    CONVERSE_USAGE,
    anthropic_events,
    converse_frames,
    event_frame,
)

from .conftest import Clouds

CLAUDE = "anthropic.claude-3-5-haiku-20241022-v1%3A0"
CONVERSE_TOTALS = (CONVERSE_USAGE[0] + CONVERSE_USAGE[1], CONVERSE_USAGE[2])


def meter(family: str, data: bytes, cuts: list[int]) -> tuple[bytes, tuple[int, int]]:
    """Feed `data` cut at `cuts`; what was relayed and the usage read."""
    m = Meter(family, strip_usage_chunk=False, model="")
    m.start({"content-type": "application/vnd.amazon.eventstream"})
    bounds = [0, *sorted(set(cuts)), len(data)]
    relayed = b"".join(m.feed(data[a:b]) for a, b in itertools.pairwise(bounds))
    rest, usage = m.finish()
    return relayed + rest, (usage.input_tokens, usage.output_tokens)


@given(st.lists(st.integers(min_value=1, max_value=400), max_size=12))
def test_frames_cut_anywhere_relay_unchanged_and_meter_the_same(cuts: list[int]) -> None:
    data = b"".join(converse_frames(3))
    inside = [c for c in cuts if c < len(data)]

    assert meter(CONVERSE, data, inside) == (data, CONVERSE_TOTALS)


def test_invoke_streams_are_read_inside_their_base64_chunks() -> None:
    events = anthropic_events(BEDROCK_CLAUDE_USAGE, 2, metrics=False)
    data = b"".join(event_frame("chunk", {"bytes": base64.b64encode(e).decode()}) for e in events)

    _, usage = meter(ANTHROPIC, data, [7, 100])

    assert usage == (sum(BEDROCK_CLAUDE_USAGE[:3]), BEDROCK_CLAUDE_USAGE[3])


def test_a_corrupt_frame_is_relayed_and_nothing_after_it_is_trusted() -> None:
    good = b"".join(converse_frames(2)[:-1])  # without the metadata frame
    metadata = bytearray(converse_frames(2)[-1])
    metadata[-1] ^= 0xFF  # its CRC no longer matches: botocore refuses it

    relayed, usage = meter(CONVERSE, good + bytes(metadata), [])

    assert relayed == good + bytes(metadata)
    assert usage == (0, 0)


def test_an_exception_message_is_not_read_as_usage() -> None:
    usage = {"usage": {"inputTokens": 5, "outputTokens": 1}}
    exception = event_frame("metadata", usage, message_type="exception")

    assert meter(CONVERSE, exception, [])[1] == (0, 0)
    assert meter(CONVERSE, event_frame("metadata", usage), [])[1] == (5, 1)


def test_the_model_is_named_by_a_bedrock_path() -> None:
    prepared = requests.prepare("bedrock", CONVERSE, f"/model/{CLAUDE}/converse", b"{}")

    assert prepared.model == "anthropic.claude-3-5-haiku-20241022-v1:0"


def test_a_caller_who_leaves_a_bedrock_stream_loses_no_usage(clouds: Clouds) -> None:
    clouds.standins.chunks, clouds.standins.pause = 12, 0.01
    url = f"{clouds.base('bedrock_key')}/model/{CLAUDE}/converse-stream"
    rng = random.Random(28)
    for trial in range(1, 5):
        with httpx.stream("POST", url, headers=clouds.auth(), json={}, timeout=60) as answer:
            for _, _chunk in zip(range(rng.randrange(1, 6)), answer.iter_raw(), strict=False):
                pass
        wait_for_requests(trial)  # recorded, though the caller left

    rows = wait_for_requests(4)
    assert rows[0][2:5] == (4, 4 * CONVERSE_TOTALS[0], 4 * CONVERSE_TOTALS[1])
    assert len(clouds.upstream("runtime")) == 4
