// In-page verification of a scanned label (docs/signed-labels.md).
//
// The QR code's URL carries the signed token in its fragment (#L1.…), which browsers never send to the server.
// This script reads it, decodes the COSE_Sign1 (CBOR), verifies ES256 with WebCrypto against the published trust
// list (itself checked against the root key), checks that the token belongs to this page's path and that its
// claims match the record shown, and says what it found. Without a token, or without WebCrypto, it stays silent
// or says it could not check: the page itself never depends on it. All wording comes from the page (data-msg-*),
// so this file has no text of its own to translate.
(function () {
  "use strict";

  var article = document.querySelector("[data-label-id]");
  var out = document.getElementById("token-check");
  if (!article || !out) return;
  var run = 0; // each check's number: a check the fragment has since changed under says nothing

  function message(name, values) {
    var text = article.getAttribute("data-msg-" + name) || name;
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values && key in values ? values[key] : "?"; });
  }
  // A name goes into a sentence as FSI…PDI around it without its own direction controls (registry/text.py):
  // the body's name cannot reverse the rest of the message.
  function isolate(name) {
    return "\u2068" + String(name).replace(/[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, "") + "\u2069";
  }
  function show(kind, text, link, mine) {
    if (mine !== undefined && mine !== run) return;
    out.hidden = false;
    out.className = "token-check " + kind;
    out.textContent = text;
    if (link) {
      out.appendChild(document.createTextNode(" "));
      var a = document.createElement("a");
      a.href = link.href;
      a.textContent = link.text;
      out.appendChild(a);
    }
    out.setAttribute("role", kind === "ok" ? "status" : "alert");
  }

  // --- base64url and CBOR (RFC 8949: the subset a COSE_Sign1 over a CWT uses) --------------------------
  function b64urlDecode(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
    var base = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base.length % 4) base += "=";
    var raw = atob(base), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
  function b64url(bytes) {
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function cborDecode(bytes) {
    var pos = 0;
    function length(info) {
      if (info < 24) return info;
      var size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
      if (!size || pos + size > bytes.length) throw new Error("bad CBOR length");
      var value = 0;
      for (var i = 0; i < size; i++) value = value * 256 + bytes[pos++];
      return value;
    }
    function item() {
      if (pos >= bytes.length) throw new Error("truncated CBOR");
      var first = bytes[pos++], major = first >> 5, info = first & 31;
      var n, i, result;
      switch (major) {
        case 0: return length(info);
        case 1: return -1 - length(info);
        case 2: n = length(info); if (pos + n > bytes.length) throw new Error("truncated"); result = bytes.slice(pos, pos + n); pos += n; return result;
        case 3: n = length(info); if (pos + n > bytes.length) throw new Error("truncated"); result = new TextDecoder("utf-8", { fatal: true }).decode(bytes.slice(pos, pos + n)); pos += n; return result;
        case 4: n = length(info); result = []; for (i = 0; i < n; i++) result.push(item()); return result;
        case 5: n = length(info); result = new Map(); for (i = 0; i < n; i++) { var key = item(); result.set(key, item()); } return result;
        case 6: return { tag: length(info), value: item() };
        default:
          if (info === 20) return false;
          if (info === 21) return true;
          if (info === 22) return null;
          throw new Error("unsupported CBOR");
      }
    }
    var value = item();
    if (pos !== bytes.length) throw new Error("bytes after the CBOR item");
    return value;
  }
  function cborHead(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 256) return [(major << 5) | 24, n];
    return [(major << 5) | 25, n >> 8, n & 255];
  }
  function concat(parts) {
    var total = 0, i;
    for (i = 0; i < parts.length; i++) total += parts[i].length;
    var out = new Uint8Array(total), offset = 0;
    for (i = 0; i < parts.length; i++) { out.set(parts[i], offset); offset += parts[i].length; }
    return out;
  }
  function sigStructure(protectedBytes, payload) {
    // ["Signature1", protected, h'', payload] (RFC 9052 §4.4)
    var context = new TextEncoder().encode("Signature1");
    return concat([
      new Uint8Array([0x84]), new Uint8Array(cborHead(3, context.length)), context,
      new Uint8Array(cborHead(2, protectedBytes.length)), protectedBytes,
      new Uint8Array([0x40]),
      new Uint8Array(cborHead(2, payload.length)), payload,
    ]);
  }

  // --- WebCrypto -------------------------------------------------------------------------------------------
  var ES256 = { name: "ECDSA", namedCurve: "P-256" };
  function importKey(jwk) {
    return crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, ext: true }, ES256, false, ["verify"]);
  }
  function verifySignature(key, signature, data) {
    return crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, data);
  }
  function getJson(url) {
    return fetch(url, { credentials: "omit" }).then(function (response) {
      if (!response.ok) throw new Error(url + ": " + response.status);
      return response.json();
    });
  }

  function pathMatches(path, sub) {
    if (path.replace(/\/$/, "") === sub) return true;
    return sub.indexOf("/01/") === 0 && path.indexOf(sub + "/") === 0 &&
      /^(\/10\/[^/]{1,20})?(\/21\/[^/]{1,20})?\/?$/.test(path.slice(sub.length));
  }

  // The product a token names (its label's public record), to say which product a moved code belongs to.
  function productOf(labelId) {
    return getJson("/l/" + encodeURIComponent(labelId) + ".json").then(function (doc) {
      var en = document.documentElement.lang === "en", record = doc.record;
      var name = en ? (record.product.name_en || record.product.name_zh) : record.product.name_zh;
      var holder = en ? (record.holder.name_en || record.holder.name_zh) : record.holder.name_zh;
      return isolate(name) + " · " + isolate(holder);
    });
  }

  function check(mine) {
    var token = location.hash.slice(4), parsed, headers, claims, label;
    var say = function (kind, text, link) { show(kind, text, link, mine); };
    try {
      parsed = cborDecode(b64urlDecode(token));
      // The format is the tagged COSE_Sign1 (tag 18), as registry.verifier.format requires: no bare array.
      if (!parsed || parsed.tag !== 18) throw new Error("not a tagged COSE_Sign1");
      parsed = parsed.value;
      if (!Array.isArray(parsed) || parsed.length !== 4) throw new Error("not a COSE_Sign1");
      headers = cborDecode(parsed[0]);
      claims = cborDecode(parsed[2]);
      label = claims.get(-65537);
      if (!(label instanceof Map) || !(claims.get(7) instanceof Uint8Array)) throw new Error("not a label");
    } catch (error) {
      say("warning", message("malformed"));
      return Promise.resolve();
    }
    if (!window.crypto || !crypto.subtle) {
      say("", message("no-crypto"));
      return Promise.resolve();
    }
    var kid = headers.get(4) instanceof Uint8Array ? b64url(headers.get(4)) : "";
    return Promise.all([getJson("/.well-known/label-trust-list.json"), getJson("/.well-known/jwks.json")]).then(function (documents) {
      var trust = documents[0], jwks = documents[1];
      var trustHeader = JSON.parse(new TextDecoder().decode(b64urlDecode(trust.protected)));
      var root = jwks.keys.filter(function (k) { return k.kid === trustHeader.kid; })[0];
      if (!root || trustHeader.alg !== "ES256") throw new Error("trust list root key not published");
      return importKey(root).then(function (rootKey) {
        return verifySignature(rootKey, b64urlDecode(trust.signature), new TextEncoder().encode(trust.protected + "." + trust.payload));
      }).then(function (trusted) {
        if (!trusted) throw new Error("trust list signature");
        var list = JSON.parse(new TextDecoder().decode(b64urlDecode(trust.payload)));
        var entry = list.keys.filter(function (k) { return k.kid === kid; })[0];
        if (!entry) { say("warning", message("unknown-key")); return; }
        var body = isolate(document.documentElement.lang === "en" ? (entry.body.name_en || entry.body.name_zh) : entry.body.name_zh);
        if (headers.get(1) !== -7) { say("warning", message("bad-signature")); return; }
        return importKey(entry.jwk).then(function (key) {
          return verifySignature(key, parsed[3], sigStructure(parsed[0], parsed[2]));
        }).then(function (valid) {
          if (!valid || claims.get(1) !== entry.body.code) { say("warning", message("bad-signature")); return; }
          if (entry.status === "revoked") { say("warning", message("key-revoked", { body: body })); return; }
          var scannedId = b64url(claims.get(7));
          if (!pathMatches(location.pathname, claims.get(2))) {
            return productOf(scannedId).then(function (product) {
              say("warning", message("wrong-product-named", { product: product }),
                { href: "/l/" + scannedId, text: message("wrong-product-link") });
            }, function () {
              say("warning", message("wrong-product", { sub: claims.get(2) }));
            });
          }
          if (scannedId !== article.getAttribute("data-label-id")) {
            say("notice", message("other-label", { body: body }), { href: "/l/" + scannedId, text: message("other-label-link") });
            return;
          }
          if (String(label.get(1)) !== article.getAttribute("data-footprint-g") || label.get(6) !== article.getAttribute("data-grade")) {
            say("warning", message("mismatch", { body: body }));
            return;
          }
          say("ok", message("verified", { body: body }));
        });
      });
    }).catch(function () {
      say("", message("unavailable"));
    });
  }

  // The language switch redirects back to this page; a URL fragment survives redirects, so carrying the token
  // on the switch's links keeps the check after switching languages.
  function carryToken() {
    var switches = document.querySelectorAll(".lang-switch a");
    var token = location.hash.indexOf("#L1.") === 0 ? location.hash : "";
    for (var i = 0; i < switches.length; i++) switches[i].href = switches[i].href.split("#")[0] + token;
  }

  // Run on load and again whenever the fragment changes (a second code scanned into the same tab, a token pasted).
  // A fragment naming an element of the page (the skip link's #main) is navigation, not a token; any other
  // fragment that is not a label token gets a message rather than silence.
  function start() {
    run += 1;
    carryToken();
    var hash = location.hash;
    if (!hash || hash === "#") { out.hidden = true; out.textContent = ""; return; }
    if (hash.indexOf("#L1.") !== 0) {
      var id = "";
      try { id = decodeURIComponent(hash.slice(1)); } catch (error) { id = ""; }
      if (id && document.getElementById(id)) return;
      show("warning", message("not-a-token"), undefined, run);
      return;
    }
    show("", message("checking"), undefined, run);
    check(run);
  }
  window.addEventListener("hashchange", start);
  start();
})();
