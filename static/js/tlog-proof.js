// The label page's transparency-log check (registry/tlog, docs/architecture.md).
//
// Fetches the log's latest checkpoint (a C2SP signed note), the label's latest entry and its RFC 9162 inclusion
// proof, hashes the entry (leaf = SHA-256(0x00 || entry)), walks the proof (node = SHA-256(0x01 || left || right))
// and compares the result with the checkpoint's root hash. Where the browser's WebCrypto has Ed25519 it also
// checks the checkpoint's signature with the log key the page names. The logic is registry/tlog/merkle.py's
// root_from_inclusion, line for line. All wording comes from the page (data-msg-*).
(function () {
  "use strict";

  var box = document.getElementById("tlog");
  var out = document.getElementById("tlog-check");
  if (!box || !out || !window.crypto || !window.crypto.subtle || !window.fetch) return;
  var index = parseInt(box.getAttribute("data-tlog-index"), 10);
  var labelId = box.getAttribute("data-tlog-label");

  function message(name, values) {
    var text = box.getAttribute("data-msg-" + name) || name;
    return text.replace(/\{(\w+)\}/g, function (_, key) { return values && key in values ? values[key] : "?"; });
  }
  function show(kind, text) {
    out.hidden = false;
    out.className = "token-check " + kind;
    out.setAttribute("data-state", kind);
    out.textContent = text;
    out.setAttribute("role", kind === "ok" ? "status" : "alert");
  }
  function b64decode(text) {
    var raw = atob(text), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }
  function concat(parts) {
    var length = 0, i;
    for (i = 0; i < parts.length; i++) length += parts[i].length;
    var all = new Uint8Array(length), at = 0;
    for (i = 0; i < parts.length; i++) { all.set(parts[i], at); at += parts[i].length; }
    return all;
  }
  function sha256(bytes) {
    return crypto.subtle.digest("SHA-256", bytes).then(function (d) { return new Uint8Array(d); });
  }
  function leafHash(entry) { return sha256(concat([new Uint8Array([0]), entry])); }
  function nodeHash(left, right) { return sha256(concat([new Uint8Array([1]), left, right])); }
  function equal(a, b) {
    if (a.length !== b.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  function getJSON(url) {
    return fetch(url).then(function (r) { if (!r.ok) throw new Error(url); return r.json(); });
  }

  // RFC 9162 §2.1.3.2: the root an inclusion proof leads to.
  function rootFromInclusion(i, size, leaf, proof) {
    var fn = i, sn = size - 1, r = Promise.resolve(leaf), k = 0;
    function step() {
      if (k === proof.length) {
        if (sn !== 0) throw new Error("proof too short");
        return r;
      }
      if (sn === 0) throw new Error("proof too long");
      var p = proof[k++];
      if (fn % 2 === 1 || fn === sn) {
        r = r.then(function (value) { return nodeHash(p, value); });
        if (fn % 2 === 0) { while (fn % 2 === 0 && fn !== 0) { fn = Math.floor(fn / 2); sn = Math.floor(sn / 2); } }
      } else {
        r = r.then(function (value) { return nodeHash(value, p); });
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
      return step();
    }
    return step();
  }

  // The C2SP signed note: body, an empty line, "— name base64(keyhash || signature)" lines.
  function checkSignature(note) {
    var name = box.getAttribute("data-tlog-key-name"), key = box.getAttribute("data-tlog-key");
    if (!name || !key) return Promise.resolve(false);
    var cut = note.lastIndexOf("\n\n");
    var body = note.slice(0, cut + 1);
    var lines = note.slice(cut + 2).split("\n"), blob = null;
    for (var i = 0; i < lines.length; i++) {
      var parts = lines[i].split(" ");
      if (parts.length === 3 && parts[0] === "\u2014" && parts[1] === name) blob = b64decode(parts[2]);
    }
    if (!blob) throw new Error("no signature by the log key");
    return crypto.subtle.importKey("raw", b64decode(key), { name: "Ed25519" }, false, ["verify"]).then(
      function (publicKey) {
        return crypto.subtle.verify({ name: "Ed25519" }, publicKey, blob.slice(4), new TextEncoder().encode(body))
          .then(function (ok) { if (!ok) throw new Error("bad checkpoint signature"); return true; });
      },
      function () { return false; }  // no Ed25519 in this browser's WebCrypto
    );
  }

  show("checking", message("checking"));
  fetch("/tlog/checkpoint").then(function (r) {
    if (!r.ok) throw new Error("no checkpoint");
    return r.text();
  }).then(function (note) {
    var lines = note.split("\n");
    var size = parseInt(lines[1], 10), root = b64decode(lines[2]);
    if (!(index < size)) { show("pending", message("pending", { index: index })); return null; }
    return Promise.all([
      getJSON("/tlog/entries?start=" + index + "&end=" + (index + 1)),
      getJSON("/tlog/proof/inclusion?index=" + index + "&tree_size=" + size),
    ]).then(function (answers) {
      var entry = b64decode(answers[0].entries[0].entry);
      // The entry names this label (its public id is one of the CBOR map's text values).
      if (new TextDecoder("utf-8", { fatal: false }).decode(entry).indexOf(labelId) < 0) throw new Error("not this label");
      var proof = answers[1].inclusion_path.map(b64decode);
      return leafHash(entry).then(function (leaf) { return rootFromInclusion(index, size, leaf, proof); })
        .then(function (computed) {
          if (!equal(computed, root)) { show("bad", message("failed", { index: index })); return null; }
          return checkSignature(note).then(function (signed) {
            show("ok", message(signed ? "verified" : "verified-unsigned", { index: index, size: size }));
          });
        });
    });
  }).catch(function (error) {
    if (error && /not this label|proof too|signature/.test(String(error.message))) {
      show("bad", message("failed", { index: index }));
    } else {
      show("unavailable", message("unavailable"));
    }
  });
})();
