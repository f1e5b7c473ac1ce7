"""Commands that talk to a Quartermaster server as a person would: ``keys``, ``bid`` and ``committee``.

Private keys and prices stay on this machine: keys are generated and read here, bids are sealed here, a member's
share is opened here; only public keys, envelopes and released shares go to the server (``quartermaster.client``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from quartermaster.cli import common

if TYPE_CHECKING:
    from quartermaster.client import PersonKeys
    from quartermaster.client.http import ApiClient

Api = Annotated[str, typer.Option("--api", envvar="QM_API", help="Server base URL, e.g. http://127.0.0.1:8000")]
Token = Annotated[str, typer.Option("--token", envvar="QM_TOKEN", help="Your API token (or set QM_TOKEN)")]
KeysFile = Annotated[Path, typer.Option("--keys", help="Your key file (made by `quartermaster keys new`)")]
TenderId = Annotated[str, typer.Option("--tender", help="Tender id")]

keys_app = typer.Typer(help="Your signing and custody keys (kept in a file on this machine).", no_args_is_help=True)
bid_app = typer.Typer(help="Seal bids on this machine, submit them, check their receipts.", no_args_is_help=True)
committee_app = typer.Typer(help="Committee member's side of the bid opening.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the ``keys``, ``bid`` and ``committee`` groups."""
    app.add_typer(keys_app, name="keys")
    app.add_typer(bid_app, name="bid")
    app.add_typer(committee_app, name="committee")


def fail(message: str) -> NoReturn:
    """One readable error line on stderr, exit status 1."""
    common.fail(message)
    raise typer.Exit(1)  # pragma: no cover - common.fail exits


@contextmanager
def client_errors() -> Iterator[None]:
    """API failures, bad key files, sealing refusals and unverifiable receipts as one line on stderr."""
    from quartermaster.client import KeyFileError
    from quartermaster.client.http import ApiError
    from quartermaster.client.receipts import ReceiptError
    from quartermaster.errors import QMError

    try:
        yield
    except (ApiError, KeyFileError, ReceiptError) as exc:
        fail(str(exc))
    except QMError as exc:
        fail(f"{exc.message} [{exc.code}]")


def _client(api: str, token: str | None) -> ApiClient:
    from quartermaster.client.http import ApiClient

    return ApiClient(api, token)


def _me(client: ApiClient) -> dict[str, Any]:
    me = client.get("/api/v1/me")
    if not isinstance(me, dict) or not isinstance(me.get("user_id"), str):
        fail("the server's /api/v1/me answer names no user")
    return me


def _path(segment: str) -> str:
    """An id as one URL path segment."""
    from urllib.parse import quote

    return quote(segment, safe="")


def _echo(value: Any) -> None:
    typer.echo(json.dumps(value, ensure_ascii=False, indent=2))


# --- keys ----------------------------------------------------------------------------------------------------


NewKeysFile = Annotated[Path, typer.Option("--out", help="Where to write the key file (never overwritten)")]


@keys_app.command("new")
def keys_new(out: NewKeysFile) -> None:
    """Generate your signing and custody keys into a file only you can read (0600); print the public halves."""
    from quartermaster.client import new_keys, save_keys
    from quartermaster.sealing.encoding import b64url_encode

    with client_errors():
        keys = new_keys()
        save_keys(keys, out)
    _echo(
        {
            "keys": str(out),
            "signing_public_key": b64url_encode(keys.signing_public),
            "custody_public_key": b64url_encode(keys.custody_public),
        }
    )
    typer.echo(f"keep {out} private and backed up; enrol it with `quartermaster keys enrol`", err=True)


def _load(path: Path) -> PersonKeys:
    from quartermaster.client import load_keys

    return load_keys(path)


@keys_app.command("enrol")
def keys_enrol(api: Api, token: Token, keys: KeysFile) -> None:
    """Enrol your public keys with the server (with proof that you hold the private ones)."""
    with client_errors():
        person = _load(keys)
        client = _client(api, token)
        me = _me(client)
        enrolled = client.put("/api/v1/me/keys", person.enrolment(me["user_id"]))
    _echo(enrolled)


# --- bid -----------------------------------------------------------------------------------------------------


def parse_prices(prices: list[str]) -> dict[str, Decimal]:
    """``LOT_ID=AMOUNT`` pairs as lot prices; fail with one line on the first bad one."""
    out: dict[str, Decimal] = {}
    for text in prices:
        lot_id, sep, amount = text.partition("=")
        lot_id, amount = lot_id.strip(), amount.strip()
        if not sep or not lot_id or not amount:
            fail(f"--price {text!r}: write it as LOT_ID=AMOUNT, e.g. --price lot-1=125000.00")
        try:
            value = Decimal(amount)
        except InvalidOperation:
            value = Decimal("NaN")
        if not value.is_finite() or value < 0 or value != round(value, 2) or value >= Decimal("1e15"):
            fail(f"--price {text!r}: the amount must be a number ≥ 0 with at most two decimals, below 10^15")
        if lot_id in out:
            fail(f"--price: lot {lot_id} is priced twice")
        out[lot_id] = value
    if not out:
        fail("name at least one --price LOT_ID=AMOUNT")
    return out


@bid_app.command("seal")
def bid_seal(
    api: Api,
    token: Token,
    tender: TenderId,
    price: Annotated[list[str], typer.Option("--price", help="LOT_ID=AMOUNT, once per lot you bid on")],
    currency: Annotated[str, typer.Option(help="ISO 4217 currency of the prices")] = "UAH",
    out: Annotated[Path | None, typer.Option("--out", help="Write the upload body (JSON) here, not to stdout")] = None,
    submit: Annotated[bool, typer.Option("--submit", help="Submit the sealed bid and print the receipt")] = False,
) -> None:
    """Seal your prices to the tender's opening key on this machine; only the envelope ever leaves it."""
    from quartermaster.client import seal_prices

    prices = parse_prices(price)
    with client_errors():
        client = _client(api, token)
        key = client.get(f"/api/v1/tenders/{_path(tender)}/opening-key")
        me = _me(client)
        supplier = me.get("organization_id")
        if not isinstance(supplier, str) or not supplier:
            fail("this token's user belongs to no organization; only a supplier's staff can bid")
        sealed = seal_prices(str(key.get("public_key", "")), tender, supplier, currency.upper(), prices)
        body = sealed.body()
        if out is not None:
            out.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
            typer.echo(f"sealed bid written to {out} (commitment {sealed.commitment})", err=True)
        if not submit:
            if out is None:
                _echo(body)
            return
        receipt = client.post(f"/api/v1/tenders/{_path(tender)}/bids", body)
    if receipt.get("commitment") != sealed.commitment:
        fail(f"the server's receipt names commitment {receipt.get('commitment')}, not {sealed.commitment}")
    _echo(receipt)
    typer.echo(f"check it in the log: quartermaster bid receipt {receipt.get('bid_id')} --wait 30", err=True)


DOCUMENT_TYPES = ("submissionDocuments", "technicalSpecifications", "illustration")


@bid_app.command("attach")
def bid_attach(
    api: Api,
    token: Token,
    file: Annotated[Path, typer.Argument(help="The file to attach to your bid", exists=True, dir_okay=False)],
    bid: Annotated[str, typer.Option("--bid", help="Your bid's id (from `quartermaster bid seal --submit`)")],
    title: Annotated[str | None, typer.Option(help="The document's title (default: the file's name)")] = None,
    document_type: Annotated[
        str, typer.Option("--type", help=f"OCDS documentType: {', '.join(DOCUMENT_TYPES)}")
    ] = "submissionDocuments",
    content_type: Annotated[str | None, typer.Option(help="Media type (default: guessed from the name)")] = None,
    replaces: Annotated[
        str | None, typer.Option("--replaces", help="document_key of an earlier document: upload a new version")
    ] = None,
) -> None:
    """Seal a document to the tender's opening key on this machine and attach it to your bid.

    Its name, media type and content are sealed together; the server stores the ciphertext and logs its SHA-256,
    and the document opens with the bids.
    """
    import mimetypes
    from urllib.parse import urlencode

    from quartermaster.client import seal_file

    if document_type not in DOCUMENT_TYPES:
        fail(f"--type {document_type!r}: one of {', '.join(DOCUMENT_TYPES)}")
    media = content_type or mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    try:
        content = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}")
    with client_errors():
        client = _client(api, token)
        found = client.get(f"/api/v1/bids/{_path(bid)}")
        tender, supplier = str(found.get("tender_id", "")), str(found.get("supplier_id", ""))
        key = client.get(f"/api/v1/tenders/{_path(tender)}/opening-key")
        sealed = seal_file(
            str(key.get("public_key", "")),
            tender,
            supplier,
            bid,
            title=title or file.name,
            content_type=media,
            content=content,
        )
        query = {"document_type": document_type} | ({"document_key": replaces} if replaces else {})
        doc = client.upload(f"/api/v1/bids/{_path(bid)}/documents?{urlencode(query)}", sealed.data, sealed.content_type)
    if doc.get("sha256") != sealed.commitment:
        fail(f"the server recorded sha256 {doc.get('sha256')}, not the sealed document's {sealed.commitment}")
    _echo(doc)
    typer.echo(f"sealed {file.name} ({len(content)} bytes); commitment {sealed.commitment}", err=True)


def _verifier_key(client: ApiClient, given: str | None) -> str:
    """The log key to trust: ``--verifier-key`` (a vkey or a file holding one), else the server's, said so."""
    if given is not None:
        path = Path(given)
        if "+" not in given and path.is_file():
            return path.read_text(encoding="utf-8").strip()
        return given
    served = client.get("/api/v1/log/key")
    typer.echo(
        "warning: trusting the log key the server serves; pass --verifier-key to check it against one you got "
        "out of band",
        err=True,
    )
    return str(served.get("verifier_key", ""))


def _fetch_receipt(client: ApiClient, bid_id: str, wait: float, *, document: bool = False) -> dict[str, Any]:
    """The receipt, polling while no signed checkpoint covers the bid yet (up to ``wait`` seconds)."""
    from rich.console import Console

    from quartermaster.client.http import ApiError

    deadline = time.monotonic() + wait
    path = f"/api/v1/{'documents' if document else 'bids'}/{_path(bid_id)}/receipt"
    with Console(stderr=True).status("waiting for a signed checkpoint that covers the bid…") as status:
        while True:
            try:
                receipt: dict[str, Any] = client.get(path)
                return receipt
            except ApiError as exc:
                if exc.code != "receipt.not_yet_logged" or time.monotonic() >= deadline:
                    raise
                status.update(f"not in a signed checkpoint yet; retrying ({deadline - time.monotonic():.0f} s left)")
                time.sleep(1.0)


@bid_app.command("receipt")
def bid_receipt(
    api: Api,
    token: Token,
    bid_id: Annotated[str, typer.Argument(help="The bid id from the submission receipt (with --document: its id)")],
    verifier_key: Annotated[
        str | None, typer.Option("--verifier-key", help="The log's verifier key (vkey string or a file holding it)")
    ] = None,
    upload: Annotated[
        Path | None, typer.Option("--upload", help="The upload body `bid seal --out` wrote: check its commitment")
    ] = None,
    wait: Annotated[float, typer.Option(help="Seconds to wait for a signed checkpoint to cover the bid")] = 0.0,
    out: Annotated[Path | None, typer.Option("--out", help="Also save the receipt (JSON) here")] = None,
    document: Annotated[
        bool, typer.Option("--document", help="The id is a sealed document's (from `bid attach`): its receipt")
    ] = False,
) -> None:
    """Fetch your bid's (or sealed document's) receipt and verify it: checkpoint signature, inclusion proof, logged
    commitment."""
    from quartermaster.client.receipts import envelope_commitment, verify_receipt

    with client_errors():
        expected = None
        if upload is not None:
            expected = envelope_commitment(_envelope_of(upload))
        client = _client(api, token)
        key = _verifier_key(client, verifier_key)
        receipt = _fetch_receipt(client, bid_id, wait, document=document)
        checked = verify_receipt(receipt, key, commitment=expected)
    if out is not None:
        out.write_text(json.dumps(receipt, indent=2) + "\n", encoding="utf-8")
    what = f"document {checked.document_id} of bid" if checked.document_id else "bid"
    typer.echo(f"receipt of {what} {checked.bid_id} on tender {checked.tender_id} verified:")
    for line in checked.lines():
        typer.echo(f"  {line}")
    if expected is not None:
        typer.echo(f"  upload: {upload} has this commitment")


def _envelope_of(path: Path) -> str:
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        envelope = body["sealed"]["envelope"]
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")
    except (ValueError, KeyError, TypeError):
        fail(f"{path} is not an upload body written by `quartermaster bid seal --out`")
    if not isinstance(envelope, str):
        fail(f"{path} is not an upload body written by `quartermaster bid seal --out`")
    return envelope


# --- committee -----------------------------------------------------------------------------------------------


@committee_app.command("release")
def committee_release(api: Api, token: Token, keys: KeysFile, tender: TenderId) -> None:
    """Open your sealed share of the tender's opening key on this machine and release it (after the deadline)."""
    from quartermaster.client import open_my_share

    with client_errors():
        person = _load(keys)
        client = _client(api, token)
        me = _me(client)
        mine = client.get(f"/api/v1/tenders/{_path(tender)}/opening-key/my-share")
        share = open_my_share(person, str(mine.get("sealed_share", "")), me["user_id"])
        key = client.post(f"/api/v1/tenders/{_path(tender)}/opening-key/shares", {"share": share})
    _echo(
        {
            "tender_id": key.get("tender_id"),
            "your_share": mine.get("index"),
            "shares_released": key.get("shares_released"),
            "threshold": key.get("threshold"),
        }
    )


Conflicts = Annotated[
    list[str] | None,
    typer.Option("--conflict", help="A bidder (organization id) you have a conflict of interest with (repeatable)"),
]
Justifications = Annotated[
    list[str] | None,
    typer.Option(
        "--justify",
        help="SUPPLIER_ID=TEXT: why a link the platform knows of is no conflict (repeatable)",
    ),
]


@committee_app.command("declare")
def committee_declare(
    api: Api, token: Token, tender: TenderId, conflict: Conflicts = None, justify: Justifications = None
) -> None:
    """Declare, for every bidder you have not declared about yet, whether you have a conflict of interest.

    Without options it lists the bidders with what the platform knows ties you to them and declares no conflict
    with each; a bidder named by --conflict is declared a conflict (which recuses you); a known link needs --justify.
    """
    reasons: dict[str, str] = {}
    for item in justify or []:
        supplier, sep, text = item.partition("=")
        if not sep or not supplier or not text.strip():
            fail(f"--justify {item!r}: expected SUPPLIER_ID=TEXT")
        reasons[supplier] = text.strip()
    with client_errors():
        client = _client(api, token)
        bidders = client.get(f"/api/v1/tenders/{_path(tender)}/committee/bidders")
        todo = [b for b in bidders if not b.get("declared")]
        for b in bidders:
            links = ", ".join(b.get("links") or []) or "nothing known"
            state = "declared" if b.get("declared") else "to declare"
            typer.echo(f"{b.get('supplier_id')}  {b.get('name')}  [{links}]  {state}")
        unknown = (set(conflict or []) | set(reasons)) - {str(b.get("supplier_id")) for b in todo}
        if unknown:
            fail(f"not a bidder left to declare about: {', '.join(sorted(unknown))}")
        if not todo:
            typer.echo("nothing left to declare")
            return
        items = [
            {
                "supplier_id": b["supplier_id"],
                "conflict": b["supplier_id"] in (conflict or []),
                "justification": reasons.get(b["supplier_id"]),
            }
            for b in todo
        ]
        recorded = client.post(f"/api/v1/tenders/{_path(tender)}/committee/declarations", {"declarations": items})
    conflicts = [d["supplier_id"] for d in recorded.get("declarations", []) if d.get("conflict")]
    typer.echo(
        f"declared about {len(items)} bidder(s)" + (f"; conflicts (you are recused): {conflicts}" if conflicts else "")
    )


@committee_app.command("open")
def committee_open(api: Api, token: Token, tender: TenderId) -> None:
    """Open every bid at once once k shares are released (an evaluator or approver of the buyer)."""
    with client_errors():
        client = _client(api, token)
        client.post(f"/api/v1/tenders/{_path(tender)}/open-bids", {})
        record = client.get(f"/api/v1/tenders/{_path(tender)}/opening")
    for bid in record.get("bids", []):
        prices = ", ".join(f"{v['lot_id']}={v['amount']} {v['currency']}" for v in bid.get("values", []))
        outcome = prices or f"invalid: {bid.get('status_reason')}"
        typer.echo(
            f"{bid.get('bid_id')}  {bid.get('supplier_id')}  commitment {str(bid.get('commitment'))[:16]}…  {outcome}"
        )
    typer.echo(f"opened; check it yourself: quartermaster verify {api} --opening {tender}")
