/* Quartermaster: sealing in the page, with WebCrypto only (no library, no CDN).
 *
 * RFC 9180 HPKE, base mode, single-shot Seal/Open, suite DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM:
 * the same bytes as src/quartermaster/sealing/hpke.py and envelope.py (docs/sealing.md, section 3). HKDF is built
 * from HMAC-SHA256 (RFC 5869: Extract = HMAC(salt, ikm), Expand for L <= 32 = first L bytes of
 * HMAC(prk, info || 0x01)), so every step is visible here and an empty salt is HMAC's 32-zero-byte key, as in Python.
 * RFC 8785 canonical JSON of the small objects involved (strings, small integers, null) is JSON.stringify over
 * sorted keys.
 *
 * Three page parts use it, each found by a data attribute: the supplier's bid form (data-qm-seal), the key page
 * (data-qm-keys) and the opening ceremony's share release (data-qm-share). Nothing secret leaves the page: the bid
 * form posts only the envelope and the lot ids, the key page only public keys and a signature, the ceremony only the
 * member's own share (which the server accepts only once bidding has closed).
 */
(function () {
  "use strict";
  if (window.QMSeal) return; // a page that includes the script twice wires its forms once

  const subtle = window.crypto && window.crypto.subtle;
  const utf8 = new TextEncoder();
  const EMPTY = new Uint8Array(0);
  const VERSION_LABEL = utf8.encode("HPKE-v1");
  const SUITE_ID = concat(utf8.encode("HPKE"), [0x00, 0x20, 0x00, 0x01, 0x00, 0x02]); // RFC 9180 section 5.1
  const KEM_SUITE_ID = concat(utf8.encode("KEM"), [0x00, 0x20]); // RFC 9180 section 4.1
  // PKCS #8 prefixes of a raw 32-byte private key (RFC 8410): WebCrypto imports X25519/Ed25519 private keys this way.
  const PKCS8 = {
    X25519: [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20],
    Ed25519: [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20],
  };
  const BID_TYPE = "quartermaster.sealed-bid";
  const DOCUMENT_TYPE = "quartermaster.sealed-document";
  const DOCUMENT_MEDIA_TYPE = "application/vnd.quartermaster.sealed-document";
  const SHARE_TYPE = "quartermaster.sealed-share";
  const KEYS_TYPE = "quartermaster.person-keys";
  const ENROLMENT_TYPE = "quartermaster.key-enrolment";

  // --- bytes -----------------------------------------------------------------------------------------------------

  function concat(...parts) {
    const arrays = parts.map((p) => (p instanceof Uint8Array ? p : new Uint8Array(p)));
    const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of arrays) {
      out.set(a, at);
      at += a.length;
    }
    return out;
  }

  function b64url(bytes) {
    let text = "";
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /** Bytes of unpadded base64url; anything else (padding, other alphabets, stray bits) throws. */
  function fromB64url(text) {
    if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
      throw new Error("not unpadded base64url");
    }
    const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    const raw = atob(padded);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    if (b64url(bytes) !== text) throw new Error("not canonical base64url");
    return bytes;
  }

  function hex(bytes) {
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  /** RFC 8785 canonical JSON of objects of strings, small integers, null and nested objects. */
  function canonical(value) {
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    const keys = Object.keys(value).sort(); // UTF-16 code-unit order, as RFC 8785 section 3.2.3 asks
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }

  async function sha256Hex(bytes) {
    return hex(new Uint8Array(await subtle.digest("SHA-256", bytes)));
  }

  // --- HPKE (RFC 9180) -------------------------------------------------------------------------------------------

  async function hmac(key, data) {
    // WebCrypto refuses a zero-length HMAC key; HMAC pads keys with zeros, so an empty key is 32 zero bytes.
    const raw = key.length ? key : new Uint8Array(32);
    const k = await subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    return new Uint8Array(await subtle.sign("HMAC", k, data));
  }

  function labeledExtract(suiteId, salt, label, ikm) {
    return hmac(salt, concat(VERSION_LABEL, suiteId, utf8.encode(label), ikm)); // section 4
  }

  async function labeledExpand(suiteId, prk, label, info, length) {
    const labeled = concat([length >> 8, length & 0xff], VERSION_LABEL, suiteId, utf8.encode(label), info);
    const block = await hmac(prk, concat(labeled, [0x01])); // T(1); every length here is at most 32
    return block.slice(0, length);
  }

  async function extractAndExpand(dh, kemContext) {
    const prk = await labeledExtract(KEM_SUITE_ID, EMPTY, "eae_prk", dh); // section 4.1
    return labeledExpand(KEM_SUITE_ID, prk, "shared_secret", kemContext, 32);
  }

  async function keySchedule(sharedSecret, info) {
    // section 5.1, mode_base: empty psk and psk_id
    const pskIdHash = await labeledExtract(SUITE_ID, EMPTY, "psk_id_hash", EMPTY);
    const infoHash = await labeledExtract(SUITE_ID, EMPTY, "info_hash", info);
    const context = concat([0x00], pskIdHash, infoHash);
    const secret = await labeledExtract(SUITE_ID, sharedSecret, "secret", EMPTY);
    const key = await labeledExpand(SUITE_ID, secret, "key", context, 32);
    const nonce = await labeledExpand(SUITE_ID, secret, "base_nonce", context, 12);
    const aesKey = await subtle.importKey("raw", key, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
    return { aesKey, nonce };
  }

  function checkDh(dh) {
    if (dh.every((b) => b === 0)) throw new Error("X25519 gave an all-zero shared secret"); // section 7.1.4
  }

  /** HPKE Seal to a raw 32-byte X25519 public key; ``ephemeral`` (a key pair) only for known-answer tests. */
  async function seal(recipientPublic, info, aad, plaintext, ephemeral) {
    const pair = ephemeral || (await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]));
    const enc = new Uint8Array(await subtle.exportKey("raw", pair.publicKey));
    const pkR = await subtle.importKey("raw", recipientPublic, { name: "X25519" }, false, []);
    const dh = new Uint8Array(await subtle.deriveBits({ name: "X25519", public: pkR }, pair.privateKey, 256));
    checkDh(dh);
    const shared = await extractAndExpand(dh, concat(enc, recipientPublic));
    const { aesKey, nonce } = await keySchedule(shared, info);
    const ct = await subtle.encrypt({ name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 }, aesKey, plaintext);
    return { enc, ct: new Uint8Array(ct) };
  }

  /** HPKE Open with a raw 32-byte X25519 private key. */
  async function open(recipientPrivate, enc, info, aad, ct) {
    const skR = await importPrivate("X25519", recipientPrivate, ["deriveBits"]);
    const pkR = fromB64url((await subtle.exportKey("jwk", skR)).x);
    const pkE = await subtle.importKey("raw", enc, { name: "X25519" }, false, []);
    const dh = new Uint8Array(await subtle.deriveBits({ name: "X25519", public: pkE }, skR, 256));
    checkDh(dh);
    const shared = await extractAndExpand(dh, concat(enc, pkR));
    const { aesKey, nonce } = await keySchedule(shared, info);
    const pt = await subtle.decrypt({ name: "AES-GCM", iv: nonce, additionalData: aad, tagLength: 128 }, aesKey, ct);
    return new Uint8Array(pt);
  }

  function importPrivate(algorithm, raw, usages) {
    if (raw.length !== 32) throw new Error("a private key is 32 bytes");
    return subtle.importKey("pkcs8", concat(PKCS8[algorithm], raw), { name: algorithm }, true, usages);
  }

  // --- sealed bids and shares ------------------------------------------------------------------------------------

  /** Canonical price payload ``{"currency":..,"lots":{lot:"123.45"}}`` (decimal strings). */
  function pricePayload(currency, prices) {
    return utf8.encode(canonical({ currency: currency, lots: prices }));
  }

  /** Seal a whole-tender bid (lot null): the envelope text and its commitment (SHA-256, hex). */
  async function sealBid(publicKey, tenderId, supplierId, payload, ephemeral) {
    const info = utf8.encode(canonical({ tender: tenderId, type: BID_TYPE, v: 1 }));
    const aad = utf8.encode(canonical({ lot: null, supplier: supplierId }));
    const { enc, ct } = await seal(fromB64url(publicKey), info, aad, payload, ephemeral);
    return envelopeOf({ tender: tenderId, supplier: supplierId, lot: null }, enc, ct);
  }

  /** The envelope of a sealed bid for a context (``lot`` may name one lot); used by sealBid and the KAT. */
  async function envelopeOf(context, enc, ct) {
    const text = canonical({
      aead: 2, ct: b64url(ct), enc: b64url(enc), kdf: 1, kem: 32,
      lot: context.lot, supplier: context.supplier, tender: context.tender, type: BID_TYPE, v: 1,
    });
    return { envelope: text, commitment: await sha256Hex(utf8.encode(text)) };
  }

  /**
   * Seal a file with its title and media type for one bid (``context``: tender, supplier, bid): the bytes to upload,
   * a canonical header line, a newline and the ciphertext (sealing/documents.py), and their SHA-256 (hex).
   */
  async function sealDocument(publicKey, context, title, contentType, content, ephemeral) {
    const info = utf8.encode(canonical({ tender: context.tender, type: DOCUMENT_TYPE, v: 1 }));
    const aad = utf8.encode(canonical({ bid: context.bid, supplier: context.supplier }));
    const meta = utf8.encode(canonical({ content_type: contentType, title: title }));
    const { enc, ct } = await seal(fromB64url(publicKey), info, aad, concat(meta, [0x0a], content), ephemeral);
    const header = canonical({
      aead: 2, bid: context.bid, enc: b64url(enc), kdf: 1, kem: 32,
      supplier: context.supplier, tender: context.tender, type: DOCUMENT_TYPE, v: 1,
    });
    const data = concat(utf8.encode(header), [0x0a], ct);
    return { data: data, commitment: await sha256Hex(data) };
  }

  /** Open a member's sealed share with their custody private key: the clear share's canonical JSON text. */
  async function openShare(custodyPrivate, sealedText, memberId) {
    const sealed = JSON.parse(sealedText);
    if (sealed.type !== SHARE_TYPE || sealed.v !== 1 || sealed.kem !== 32 || sealed.kdf !== 1 || sealed.aead !== 2) {
      throw new Error("not a version 1 sealed share of this suite");
    }
    if (sealed.member !== memberId) throw new Error("this share is sealed to another committee member");
    const info = utf8.encode(
      canonical({ index: sealed.index, member: sealed.member, tender: sealed.tender, type: SHARE_TYPE, v: 1 }),
    );
    const pt = await open(custodyPrivate, fromB64url(sealed.enc), info, EMPTY, fromB64url(sealed.ct));
    return new TextDecoder("utf-8", { fatal: true }).decode(pt);
  }

  // --- person key files (client/keyfile.py) ----------------------------------------------------------------------

  /** Fresh Ed25519 signing and X25519 custody keys: the private halves as raw bytes. */
  async function newKeys() {
    const signing = await subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"]);
    const custody = await subtle.generateKey({ name: "X25519" }, true, ["deriveBits"]);
    return {
      signing: fromB64url((await subtle.exportKey("jwk", signing.privateKey)).d),
      custody: fromB64url((await subtle.exportKey("jwk", custody.privateKey)).d),
    };
  }

  /** A key file's text: RFC 8785 JSON, exactly as quartermaster.client.keyfile writes it. */
  function keyFileText(keys) {
    return canonical({ custody: b64url(keys.custody), signing: b64url(keys.signing), type: KEYS_TYPE, v: 1 });
  }

  /** The private keys in a key file's text; throws with a one-line reason otherwise. */
  function parseKeyFile(text) {
    let doc;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new Error("not a readable " + KEYS_TYPE + " file");
    }
    if (!doc || typeof doc !== "object" || doc.type !== KEYS_TYPE || doc.v !== 1) {
      throw new Error("not a version 1 " + KEYS_TYPE + " file");
    }
    const keys = { signing: fromB64url(String(doc.signing)), custody: fromB64url(String(doc.custody)) };
    if (keys.signing.length !== 32 || keys.custody.length !== 32) {
      throw new Error("each private key in a key file is 32 bytes");
    }
    return keys;
  }

  /** The body of a key enrolment: both public keys and the Ed25519 proof of possession for ``userId``. */
  async function enrolment(keys, userId) {
    const signingKey = await importPrivate("Ed25519", keys.signing, ["sign"]);
    const custodyKey = await importPrivate("X25519", keys.custody, ["deriveBits"]);
    const signing = (await subtle.exportKey("jwk", signingKey)).x;
    const custody = (await subtle.exportKey("jwk", custodyKey)).x;
    const document = canonical({ custody: custody, signing: signing, type: ENROLMENT_TYPE, user: userId, v: 1 });
    const proof = new Uint8Array(await subtle.sign({ name: "Ed25519" }, signingKey, utf8.encode(document)));
    return { signing_public_key: signing, custody_public_key: custody, proof: b64url(proof) };
  }

  function readFile(input) {
    const file = input.files && input.files[0];
    if (!file) return Promise.reject(new Error("no file chosen"));
    return file.text();
  }

  // --- the pages -------------------------------------------------------------------------------------------------

  /** A price as typed in the page's language (web/i18n.parse_decimal): a plain decimal string, or null. */
  function normalisePrice(raw, lang) {
    let text = raw.replace(/[\s\u00a0\u202f\u2009]/g, "");
    if (text.includes(",")) {
      if (lang === "en") {
        if (!/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(text)) return null;
        text = text.replace(/,/g, "");
      } else if ((text.match(/,/g) || []).length === 1 && !text.includes(".")) {
        text = text.replace(",", ".");
      } else {
        return null;
      }
    }
    const found = /^(\d+)(?:\.(\d{1,2}))?$/.exec(text);
    if (!found) return null;
    const whole = found[1].replace(/^0+(?=\d)/, "");
    if (whole.length > 15) return null;
    const value = found[2] ? whole + "." + found[2] : whole;
    return /^0(\.0*)?$/.test(value) ? null : value; // a price is positive
  }

  function show(el, on) {
    if (el) el.hidden = !on;
  }

  function wireBidForm(form) {
    const button = form.querySelector("button[type=submit]");
    const problem = form.querySelector("[data-qm-problem]");
    const noPrice = form.querySelector("[data-qm-no-price]");
    const failed = form.querySelector("[data-qm-failed]");
    const busy = form.querySelector("[data-qm-busy]");
    button.disabled = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault(); // nothing is posted until the envelope is in
      [problem, noPrice, failed].forEach((el) => show(el, false));
      const prices = {};
      let bad = false;
      for (const input of form.querySelectorAll("input[data-qm-lot]")) {
        input.removeAttribute("aria-invalid");
        if (!input.value.trim()) continue;
        const value = normalisePrice(input.value, form.dataset.lang);
        if (value === null) {
          input.setAttribute("aria-invalid", "true");
          bad = true;
        } else {
          prices[input.dataset.qmLot] = value;
        }
      }
      if (bad) return show(problem, true);
      const lots = Object.keys(prices).sort();
      if (!lots.length) return show(noPrice, true);
      button.disabled = true;
      show(busy, true);
      try {
        const payload = pricePayload(form.dataset.currency, prices);
        const result = await sealBid(form.dataset.publicKey, form.dataset.tender, form.dataset.supplier, payload);
        form.querySelector("input[name=envelope]").value = result.envelope;
        const holder = form.querySelector("[data-qm-lots]");
        holder.replaceChildren(
          ...lots.map((lot) => Object.assign(document.createElement("input"), { type: "hidden", name: "lots", value: lot })),
        );
        try {
          sessionStorage.setItem("qm-commitment-" + form.dataset.tender, result.commitment);
        } catch (e) {
          /* private mode: the receipt page then shows the commitment without the check */
        }
        HTMLFormElement.prototype.submit.call(form); // no second submit event; the button stays disabled
      } catch (e) {
        button.disabled = false;
        show(busy, false);
        show(failed, true);
      }
    });
  }

  /** The sealed attach form: seal in the page, post only the sealed document, then show what the server answered. */
  function wireDocumentForm(form) {
    const button = form.querySelector("button[type=submit]");
    const failed = form.querySelector("[data-qm-failed]");
    const busy = form.querySelector("[data-qm-busy]");
    button.disabled = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault(); // the title and the file are never posted, only what is sealed from them
      show(failed, false);
      const file = form.querySelector("input[data-qm-file]").files[0];
      const title = form.querySelector("input[data-qm-title]").value.trim();
      if (!file || !title) return;
      button.disabled = true;
      show(busy, true);
      let response;
      try {
        const content = new Uint8Array(await file.arrayBuffer());
        const context = { tender: form.dataset.tender, supplier: form.dataset.supplier, bid: form.dataset.bid };
        const type = file.type || "application/octet-stream";
        const sealed = await sealDocument(form.dataset.publicKey, context, title, type, content);
        const body = new FormData();
        for (const el of form.querySelectorAll("input[type=hidden][name], select[name]")) body.append(el.name, el.value);
        body.append("file", new Blob([sealed.data], { type: DOCUMENT_MEDIA_TYPE }), "sealed-document");
        response = await fetch(form.action, { method: "POST", body: body, credentials: "same-origin" });
      } catch (e) {
        button.disabled = false;
        show(busy, false);
        show(failed, true);
        return;
      }
      if (response.redirected) return window.location.assign(response.url); // attached: back to the bid page
      const page = new DOMParser().parseFromString(await response.text(), "text/html"); // the refusal page
      document.title = page.title;
      document.body.replaceWith(document.adoptNode(page.body));
    });
  }

  function wireKeysPage(root) {
    const form = root.querySelector("form[data-qm-enrol]");
    const download = root.querySelector("a[data-qm-download]");
    const ready = root.querySelector("[data-qm-ready]");
    const failed = root.querySelector("[data-qm-failed]");
    const fileInput = root.querySelector("input[data-qm-keyfile]");
    const submit = form.querySelector("button[type=submit]");
    const userId = root.dataset.user;

    async function prepare(keys, offerDownload) {
      show(failed, false);
      const body = await enrolment(keys, userId);
      for (const name of ["signing_public_key", "custody_public_key", "proof"]) {
        form.querySelector("input[name=" + name + "]").value = body[name];
      }
      if (offerDownload) {
        const blob = new Blob([keyFileText(keys)], { type: "application/json" });
        if (download.href.startsWith("blob:")) URL.revokeObjectURL(download.href);
        download.href = URL.createObjectURL(blob);
        show(download, true);
      } else {
        show(download, false);
      }
      root.querySelector("[data-qm-fingerprint]").textContent = body.custody_public_key;
      show(ready, true);
      submit.disabled = false;
    }

    root.querySelector("button[data-qm-generate]").addEventListener("click", async () => {
      try {
        await prepare(await newKeys(), true);
      } catch (e) {
        show(failed, true);
      }
    });
    fileInput.addEventListener("change", async () => {
      try {
        await prepare(parseKeyFile(await readFile(fileInput)), false);
      } catch (e) {
        submit.disabled = true;
        show(ready, false);
        show(failed, true);
      }
    });
    root.querySelector("[data-qm-script]").hidden = false;
  }

  function wireShareForm(form) {
    const fileInput = form.querySelector("input[data-qm-keyfile]");
    const failed = form.querySelector("[data-qm-failed]");
    const button = form.querySelector("button[type=submit]");
    fileInput.disabled = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      show(failed, false);
      button.disabled = true;
      try {
        const keys = parseKeyFile(await readFile(fileInput));
        const share = await openShare(keys.custody, form.dataset.sealedShare, form.dataset.member);
        form.querySelector("input[name=share]").value = share;
        fileInput.disabled = true; // the key file itself is never posted
        HTMLFormElement.prototype.submit.call(form); // no second submit event; the button stays disabled
      } catch (e) {
        button.disabled = false;
        show(failed, true);
      }
    });
    button.disabled = false;
  }

  function wire() {
    // The pages explain what to do without JavaScript in [data-qm-nojs]; with it, that note goes away.
    document.querySelectorAll("[data-qm-nojs]").forEach((el) => show(el, false));
    if (!subtle) {
      // No WebCrypto (a page served over plain HTTP from another host): each part says what to do instead.
      document.querySelectorAll("[data-qm-failed]").forEach((el) => show(el, true));
      return;
    }
    document.querySelectorAll("form[data-qm-seal]").forEach(wireBidForm);
    document.querySelectorAll("form[data-qm-seal-document]").forEach(wireDocumentForm);
    document.querySelectorAll("[data-qm-keys]").forEach(wireKeysPage);
    document.querySelectorAll("form[data-qm-share]").forEach(wireShareForm);
    document.querySelectorAll("[data-qm-commitment]").forEach((el) => {
      let mine = null;
      try {
        mine = sessionStorage.getItem("qm-commitment-" + el.dataset.tender);
      } catch (e) {
        mine = null;
      }
      if (mine) show(el.querySelector(mine === el.dataset.qmCommitment ? "[data-qm-match]" : "[data-qm-mismatch]"), true);
    });
  }

  window.QMSeal = {
    b64url, fromB64url, canonical, seal, open, sealBid, envelopeOf, pricePayload, openShare, sealDocument,
    newKeys, keyFileText, parseKeyFile, enrolment, normalisePrice,
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", wire);
  else wire();
})();
