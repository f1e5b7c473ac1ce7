"""The standard-library fast path of ``canonical_json`` writes exactly the reference RFC 8785 bytes, or steps aside."""

from __future__ import annotations

import json
from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from quartermaster.transparency import canonical_json
from quartermaster.transparency.canonical import _plain

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
    | st.integers(min_value=2**53, max_value=2**64)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([0.0, -0.0, 1.0, 100.0, 1e-4, 9.99e-5, 1e16, 1e15 + 0.5, 850000.5, 123.45, 1e21, 5e-7])
    | st.text()
    | st.text(alphabet=st.characters(max_codepoint=0x7F))
    | st.sampled_from(["\x00\x1f\x7f", "\u2028\u2029", "é€𝄞", '"\\/\b\f\n\r\t'])
)
keys = st.text(max_size=8) | st.sampled_from(["a", "B", "é", "€", "\U0001d11e", "aa", "a\x00"])
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=20
)


def reference(value: Any) -> bytes | None:
    try:
        return bytes(rfc8785.dumps(value))
    except rfc8785.CanonicalizationError:
        return None


@given(values)
def test_the_fast_path_writes_the_reference_bytes_or_steps_aside(value: Any) -> None:
    expected = reference(value)
    if expected is None:
        with pytest.raises(Exception, match="canonical"):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


@pytest.mark.parametrize(
    ("value", "plain"),
    [
        ({"b": [1, "x", None, True], "a": 850000.5}, True),
        ({"é": 1}, False),  # non-ASCII keys sort by UTF-16 units in RFC 8785
        ([1.0], False),  # Python writes 1.0, ECMAScript 1
        ([1e16 + 2], False),
        ([2**53], False),
        ([object()], False),
        ({1: "x"}, False),
    ],
)
def test_which_values_take_the_fast_path(value: Any, plain: bool) -> None:
    assert _plain(value) is plain


def test_a_lone_surrogate_takes_the_reference_path_and_is_refused() -> None:
    value = {"a": "\ud800"}
    assert _plain(value)
    with pytest.raises(Exception, match="canonical"):
        canonical_json(value)
    assert json.dumps(value)  # the standard library alone would have written it
