/* Quartermaster: signing a decision in the page with the person's key file, WebCrypto Ed25519 only (no library).
 *
 * A decision form of a person with an enrolled signing key carries data-qm-sign (the draft address), and
 * data-qm-command, data-qm-object and data-qm-actor (what it decides, on what, by whom); templates/partials/sign.html
 * puts the key file chooser and the hidden "signature" field in it (web/signing.py, docs/signed-decisions.md).
 * A key file chosen in any form is loaded at once, checked against the enrolled public key (data-qm-public-key) and
 * then used by every decision form of the page. On submit the page:
 *   1. uses the key loaded in this page (or reads the key file chosen now);
 *   2. posts the same form to the draft address, which answers the decision document the server builds from it
 *      with the same function as POST /api/v1/decisions/draft, its canonical bytes and the enrolled public key;
 *   3. refuses a draft that names another command, object or person, whose bytes are not the RFC 8785 form of its
 *      document, or whose enrolled key is not the key file's;
 *   4. signs those bytes with Ed25519 and posts the form with the signature.
 * The private key stays in this page's memory (never stored, never posted). A draft the server refuses (the form
 * as typed is not a decision it could take) posts the form unsigned, so the server's page explains the refusal.
 *
 * Duplicated from static/seal.js (minimal, so this file stands alone): b64url, fromB64url, canonical, the PKCS #8
 * prefix of an Ed25519 seed and the key-file reading (only the signing half is used here).
 */
(function () {
  "use strict";

  const subtle = window.crypto && window.crypto.subtle;
  const utf8 = new TextEncoder();
  const KEYS_TYPE = "quartermaster.person-keys";
  const DECISION_TYPE = "quartermaster.decision";
  // RFC 8410 PKCS #8 prefix of a raw 32-byte Ed25519 private key (its seed).
  const PKCS8_ED25519 = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];

  // The signing key loaded in this page, shared by every decision form on it: {key: CryptoKey, publicKey: b64url}.
  let loaded = null;
  const parts = [];

  function b64url(bytes) {
    let text = "";
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  /** Bytes of unpadded base64url; anything else throws. */
  function fromB64url(text) {
    if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) {
      throw new Error("not unpadded base64url");
    }
    const raw = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4));
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    if (b64url(bytes) !== text) throw new Error("not canonical base64url");
    return bytes;
  }

  /** RFC 8785 canonical JSON (ECMAScript's JSON.stringify for strings and numbers, keys in UTF-16 order). */
  function canonical(value) {
    if (value === null || typeof value !== "object") return JSON.stringify(value);
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    const keys = Object.keys(value).sort();
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }

  function sameBytes(a, b) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }

  /** The Ed25519 seed in a key file's text (client/keyfile.py); throws with a one-line reason otherwise. */
  function signingSeed(text) {
    let doc;
    try {
      doc = JSON.parse(text);
    } catch (e) {
      throw new Error("not a readable " + KEYS_TYPE + " file");
    }
    if (!doc || typeof doc !== "object" || doc.type !== KEYS_TYPE || doc.v !== 1) {
      throw new Error("not a version 1 " + KEYS_TYPE + " file");
    }
    const seed = fromB64url(String(doc.signing));
    if (seed.length !== 32) throw new Error("a signing key is 32 bytes");
    return seed;
  }

  /** A signing key from a seed: imported as PKCS #8 to derive its public key, kept as a non-extractable JWK key. */
  async function signingKey(seed) {
    const pkcs8 = new Uint8Array(PKCS8_ED25519.length + 32);
    pkcs8.set(PKCS8_ED25519);
    pkcs8.set(seed, PKCS8_ED25519.length);
    try {
      const extractable = await subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
      const jwk = await subtle.exportKey("jwk", extractable);
      const key = await subtle.importKey("jwk", jwk, { name: "Ed25519" }, false, ["sign"]);
      return { key: key, publicKey: jwk.x };
    } finally {
      pkcs8.fill(0);
      seed.fill(0);
    }
  }

  async function readKeyFile(input) {
    const file = input.files && input.files[0];
    if (!file) return null;
    return signingKey(signingSeed(await file.text()));
  }

  /** The bytes to sign: the draft's, once checked to be this form's decision in its canonical form. */
  function checkedBytes(draft, form) {
    const doc = draft && draft.document;
    if (!doc || typeof doc !== "object" || doc.type !== DECISION_TYPE || doc.v !== 1) {
      throw new Error("the draft is not a version 1 decision document");
    }
    const expected = { command: form.dataset.qmCommand, object: form.dataset.qmObject, actor: form.dataset.qmActor };
    for (const name of Object.keys(expected)) {
      if (doc[name] !== expected[name]) throw new Error("the draft is for another " + name);
    }
    const bytes = fromB64url(draft.canonical);
    if (!sameBytes(bytes, utf8.encode(canonical(doc)))) {
      throw new Error("the draft's bytes are not the canonical form of its document");
    }
    return bytes;
  }

  function show(el, on) {
    if (el) el.hidden = !on;
  }

  /** Every form shows the key as loaded (the chooser hidden), or every form offers the chooser again. */
  function showLoaded() {
    for (const part of parts) {
      show(part.choose, !loaded);
      show(part.loaded, !!loaded);
      if (!loaded) part.fileInput.value = "";
    }
  }

  function wire(form) {
    const root = form.querySelector("[data-qm-signing]");
    if (!root) return;
    const part = {
      choose: root.querySelector("[data-qm-sign-choose]"),
      loaded: root.querySelector("[data-qm-sign-loaded]"),
      fileInput: root.querySelector("input[data-qm-sign-keyfile]"),
    };
    parts.push(part);
    const messages = {
      nofile: root.querySelector("[data-qm-sign-nofile]"),
      mismatch: root.querySelector("[data-qm-sign-mismatch]"),
      failed: root.querySelector("[data-qm-sign-failed]"),
    };
    const busy = root.querySelector("[data-qm-sign-busy]");
    const signature = form.querySelector("input[name=signature]");
    const button = form.querySelector("button[type=submit]");

    function fail(which) {
      show(busy, false);
      show(messages[which], true);
      button.disabled = false;
    }

    root.querySelector("[data-qm-sign-other]").addEventListener("click", () => {
      loaded = null;
      showLoaded();
      part.fileInput.focus();
    });

    /** The key of the file chosen in this form, once it is the enrolled one (null and a message otherwise). */
    async function chosenKey() {
      let key;
      try {
        key = await readKeyFile(part.fileInput);
      } catch (e) {
        part.fileInput.value = "";
        show(messages.failed, true);
        return null;
      }
      if (key && key.publicKey !== root.dataset.qmPublicKey) {
        part.fileInput.value = "";
        show(messages.mismatch, true);
        return null;
      }
      return key;
    }

    part.fileInput.addEventListener("change", async () => {
      Object.values(messages).forEach((el) => show(el, false));
      const key = await chosenKey();
      if (key) {
        loaded = key;
        showLoaded();
      }
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault(); // nothing is posted before the signature is in
      Object.values(messages).forEach((el) => show(el, false));
      signature.value = "";
      const chosen = !loaded && part.fileInput.files && part.fileInput.files.length;
      const key = loaded || (chosen ? await chosenKey() : null);
      if (!key) {
        if (!chosen) show(messages.nofile, true);
        part.fileInput.focus();
        return;
      }
      button.disabled = true;
      show(busy, true);
      let response;
      try {
        response = await fetch(form.dataset.qmSign, {
          method: "POST",
          body: new URLSearchParams(new FormData(form)),
          credentials: "same-origin",
          headers: { Accept: "application/json" },
        });
      } catch (e) {
        return fail("failed");
      }
      const type = response.headers.get("Content-Type") || "";
      if (!response.ok || !type.startsWith("application/json")) {
        // The server refuses this decision as typed: post it unsigned and let its page explain why.
        HTMLFormElement.prototype.submit.call(form);
        return;
      }
      try {
        const draft = await response.json();
        if (draft.public_key !== key.publicKey) {
          loaded = null;
          showLoaded();
          return fail("mismatch");
        }
        const bytes = checkedBytes(draft, form);
        const signed = new Uint8Array(await subtle.sign({ name: "Ed25519" }, key.key, bytes));
        loaded = key;
        showLoaded();
        signature.value = b64url(signed);
      } catch (e) {
        return fail("failed");
      }
      HTMLFormElement.prototype.submit.call(form); // no second submit event; the button stays disabled
    });
    root.querySelector("[data-qm-sign-script]").hidden = false;
  }

  function start() {
    const forms = document.querySelectorAll("form[data-qm-sign]");
    if (!subtle) {
      // No WebCrypto (a page served over plain HTTP from another host): say so in every signing form.
      forms.forEach((form) => show(form.querySelector("[data-qm-sign-failed]"), true));
      return;
    }
    forms.forEach(wire);
  }

  window.QMSign = { b64url, fromB64url, canonical, signingSeed, signingKey, checkedBytes };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
