"""Errors of the sealing core, a branch of the one error tree in ``quartermaster.errors``.

QMError
└── SealingError                 anything the sealing core refuses
    ├── InvalidArgumentError     an identifier, threshold, payload or price that the core cannot take
    ├── InvalidKeyError          a key has the wrong length or form
    ├── MalformedEnvelopeError   bytes that are not a canonical version-1 envelope (bad JSON, fields, base64url)
    ├── UnsupportedEnvelopeError an envelope names a version or HPKE suite this code does not implement
    ├── ContextMismatchError     the envelope is for another tender, supplier, lot, member or share index
    ├── CommitmentMismatchError  the envelope's SHA-256 is not the commitment recorded on receipt
    ├── DecryptionError          HPKE Open failed: ciphertext, enc, info or aad altered, or the wrong key
    └── ShareError               threshold shares that cannot be split or combined
        ├── NotEnoughSharesError fewer than k distinct shares
        ├── MixedSharesError     shares of different tenders, keys or splits, or duplicated indexes with other values
        └── WrongShareError      the shares reconstruct a key that is not the tender's opening key
"""

from __future__ import annotations

from quartermaster.errors import QMError


class SealingError(QMError):
    """Base of every error raised by the sealing core."""

    code = "sealing.error"
    title = "Sealing error"


class InvalidArgumentError(SealingError):
    """An identifier, threshold, payload or price the sealing core cannot take (empty, too long, out of range)."""

    code = "sealing.invalid_argument"
    title = "Invalid argument"


class InvalidKeyError(SealingError):
    """A public or private key is not 32 bytes of X25519 key (or is the all-zero, low-order point)."""

    code = "sealing.bad_key"
    title = "Invalid key"


class MalformedEnvelopeError(SealingError):
    """The bytes are not a canonical sealing envelope."""

    code = "sealing.malformed_envelope"
    title = "Malformed envelope"


class UnsupportedEnvelopeError(SealingError):
    """The envelope's version or HPKE suite identifiers are not the ones this code implements."""

    code = "sealing.unsupported_envelope"
    title = "Unsupported envelope version or suite"


class ContextMismatchError(SealingError):
    """The envelope names another tender, supplier, lot, member or share index than the one expected."""

    code = "sealing.wrong_context"
    title = "Envelope belongs to another context"


class CommitmentMismatchError(SealingError):
    """The envelope's commitment differs from the one recorded when it was received: it was swapped or altered."""

    code = "sealing.commitment_mismatch"
    title = "Commitment does not match"


class DecryptionError(SealingError):
    """HPKE Open failed: the ciphertext, encapsulated key, info or aad was altered, or the key is not the right one."""

    code = "sealing.decryption_failed"
    title = "Ciphertext does not open"


class ShareError(SealingError):
    """Threshold shares that cannot be split or combined."""

    code = "sealing.share_error"
    title = "Share error"


class NotEnoughSharesError(ShareError):
    """Fewer than the threshold k of distinct shares were given."""

    code = "sealing.not_enough_shares"
    title = "Not enough shares"


class MixedSharesError(ShareError):
    """The shares do not belong to one split of one tender's opening key."""

    code = "sealing.mixed_shares"
    title = "Shares do not belong together"


class WrongShareError(ShareError):
    """The shares reconstruct a key whose public key is not the tender's: at least one share was altered."""

    code = "sealing.wrong_share"
    title = "Shares do not reconstruct the opening key"
