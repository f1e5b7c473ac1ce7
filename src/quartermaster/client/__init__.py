"""The supplier's and committee member's side, in Python: key files, sealing bids, opening one's own share.

Pure: no database, web or server imports, so a supplier can run it on their own machine (``quartermaster bid seal``
uses it) and the platform never sees what it seals. ``quartermaster.client.http`` talks to a server's API.
"""

from quartermaster.client.bids import SealedFile, SealedUpload, seal_file, seal_prices
from quartermaster.client.keyfile import KeyFileError, PersonKeys, load_keys, new_keys, save_keys
from quartermaster.client.receipts import CheckedReceipt, ReceiptError, verify_receipt
from quartermaster.client.shares import open_my_share

__all__ = [
    "CheckedReceipt",
    "KeyFileError",
    "PersonKeys",
    "ReceiptError",
    "SealedFile",
    "SealedUpload",
    "load_keys",
    "new_keys",
    "open_my_share",
    "save_keys",
    "seal_file",
    "seal_prices",
    "verify_receipt",
]
