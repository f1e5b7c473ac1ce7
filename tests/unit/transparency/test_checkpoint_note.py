"""C2SP tlog-checkpoints: signed, opened, and refused when anything about them is wrong."""

from __future__ import annotations

import base64

import pytest

from quartermaster.transparency import (
    EMPTY_ROOT,
    Checkpoint,
    CheckpointError,
    MerkleTree,
    NoteError,
    SignatureError,
    Signer,
    UntrustedNoteError,
    leaf_hash,
    open_checkpoint,
    sign_checkpoint,
    sign_note,
)

ORIGIN = "quartermaster.example/log"
LOG = Signer.from_seed(ORIGIN, bytes(range(32)))
WITNESS = Signer.from_seed("witness.example/w1", bytes(range(2, 34)))
TREE = MerkleTree(leaf_hash(f"release {i}".encode()) for i in range(5))


def test_a_signed_checkpoint_has_the_c2sp_layout_and_opens_to_the_same_tree_head() -> None:
    signed = sign_checkpoint(ORIGIN, 5, TREE.root(), LOG)
    body, signatures = signed.split("\n\n")
    assert body == f"{ORIGIN}\n5\n{base64.b64encode(TREE.root()).decode()}"
    assert signatures.startswith(f"— {ORIGIN} ")
    assert signatures.endswith("\n")
    assert base64.b64decode(signatures.split(" ")[2])[:4] == LOG.key_id.to_bytes(4, "big")
    assert open_checkpoint(signed, [LOG.verifier()]) == Checkpoint(ORIGIN, 5, TREE.root())
    assert open_checkpoint(signed.encode(), [LOG.verifier()], origin=ORIGIN).size == 5


def test_the_c2sp_example_checkpoint_text_parses() -> None:
    # Note text of the example in C2SP tlog-checkpoint.md.
    text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    checkpoint = Checkpoint.parse(text)
    assert (checkpoint.origin, checkpoint.size) == ("example.com/behind-the-sofa", 20852163)
    assert checkpoint.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert checkpoint.text() == text


def test_extension_lines_and_the_empty_tree_round_trip() -> None:
    signed = sign_checkpoint(ORIGIN, 0, EMPTY_ROOT, LOG, extensions=["ext one", "ext two"])
    checkpoint = open_checkpoint(signed, [LOG.verifier()])
    assert checkpoint == Checkpoint(ORIGIN, 0, EMPTY_ROOT, ("ext one", "ext two"))


def test_changing_any_single_byte_of_a_signed_checkpoint_is_detected() -> None:
    signed = sign_checkpoint(ORIGIN, 5, TREE.root(), LOG).encode()
    for position in range(len(signed)):
        for flip in (0x01, 0x20):
            altered = signed[:position] + bytes([signed[position] ^ flip]) + signed[position + 1 :]
            with pytest.raises(NoteError):
                open_checkpoint(altered, [LOG.verifier()])


def test_a_checkpoint_signed_by_an_unknown_key_is_refused() -> None:
    stranger = Signer.generate(ORIGIN)
    with pytest.raises(UntrustedNoteError):
        open_checkpoint(sign_checkpoint(ORIGIN, 5, TREE.root(), stranger), [LOG.verifier()])


def test_a_colliding_key_name_and_id_with_a_different_signature_is_refused() -> None:
    text = Checkpoint(ORIGIN, 5, TREE.root()).text()
    forged = base64.b64encode(LOG.key_id.to_bytes(4, "big") + WITNESS.sign(text.encode())).decode()
    with pytest.raises(SignatureError):
        open_checkpoint(f"{text}\n— {ORIGIN} {forged}\n", [LOG.verifier()])


def test_a_witness_cosignature_from_an_unknown_key_is_ignored_and_a_known_one_counts() -> None:
    text = Checkpoint(ORIGIN, 5, TREE.root()).text()
    signed = sign_note(text, [LOG, WITNESS])
    assert open_checkpoint(signed, [LOG.verifier()]).size == 5
    assert open_checkpoint(signed, [WITNESS.verifier()]).size == 5


def test_a_checkpoint_from_another_log_is_refused_when_the_origin_is_given() -> None:
    signed = sign_checkpoint("other.example/log", 5, TREE.root(), LOG)
    with pytest.raises(CheckpointError, match=r"is for log 'other\.example/log'"):
        open_checkpoint(signed, [LOG.verifier()], origin=ORIGIN)


def test_a_signed_note_that_is_not_a_checkpoint_is_refused() -> None:
    with pytest.raises(CheckpointError, match="needs an origin"):
        open_checkpoint(sign_note("just a note\n", [LOG]), [LOG.verifier()])


ROOT64 = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (f"{ORIGIN}\n5\n{ROOT64}", "must end with a newline"),
        (f"{ORIGIN}\n5\n", "needs an origin, a tree size and a root"),
        (f"\n5\n{ROOT64}\n", "origin must be one non-empty line"),
        (f"{ORIGIN}\n05\n{ROOT64}\n", "not a decimal without leading zeroes"),
        (f"{ORIGIN}\n-1\n{ROOT64}\n", "not a decimal"),
        (f"{ORIGIN}\n+5\n{ROOT64}\n", "not a decimal"),
        (f"{ORIGIN}\n 5\n{ROOT64}\n", "not a decimal"),
        (f"{ORIGIN}\n٥\n{ROOT64}\n", "not a decimal"),
        (f"{ORIGIN}\n{2**64}\n{ROOT64}\n", "outside 0..2\\*\\*64-1"),
        (f"{ORIGIN}\n5\nnot base64!\n", "not standard base64"),
        (f"{ORIGIN}\n5\nAAAA\n", "32-byte hash"),
        (f"{ORIGIN}\n5\n{ROOT64[:-2]}B=\n", "not canonical base64"),
        (f"{ORIGIN}\n5\nAAAAé\n", "not standard base64"),
        (f"{ORIGIN}\n0\n{ROOT64}\n", "empty tree's root"),
        (f"{ORIGIN}\n5\n{ROOT64}\n\nextension\n", "extension lines must be non-empty"),
    ],
)
def test_malformed_checkpoint_text_is_refused(text: str, error: str) -> None:
    with pytest.raises(CheckpointError, match=error):
        Checkpoint.parse(text)


@pytest.mark.parametrize(
    ("origin", "extensions", "error"),
    [
        ("two\nlines", (), "origin must be one non-empty line"),
        (ORIGIN, ("",), "extension lines"),
        (ORIGIN, ("a\nb",), "extension lines"),
    ],
)
def test_a_checkpoint_that_could_not_be_read_back_cannot_be_signed(
    origin: str, extensions: tuple[str, ...], error: str
) -> None:
    with pytest.raises(CheckpointError, match=error):
        sign_checkpoint(origin, 5, TREE.root(), LOG, extensions=extensions)
