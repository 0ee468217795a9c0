"""The card in the phone's wallet: Apple Wallet passes (.pkpass), their signing certificates, the
pass web service's rules and the pushes to Apple that make a phone fetch a changed pass.

Our own small package on `cryptography`, `Pillow` and `httpx` rather than django-walletpass (or
py-pkpass, wallet-py3k, applepassgenerator):

- django-walletpass brings its own Pass/Registration/Log tables and keeps each built .pkpass as a
  file in the default storage, serving that file as "the latest version": a balance change would
  mean rebuilding and storing a file per booking, where we build the pass from the ledger when a
  phone asks. Its settings are one global dict read at import, with one SERVICE_URL, while every
  merchant's pass must point at that merchant's own host; it compares authentication tokens with
  `!=` (not in constant time) and pushes through aioapns in an event loop of its own, pinning
  aioapns 3.x and pulling in pyOpenSSL. Its signing is the same dozen lines of
  `cryptography.hazmat.primitives.serialization.pkcs7.PKCS7SignatureBuilder` as ours.
- py-pkpass (1.0.2) only builds passes (no web service, no pushes), reads the certificate files on
  every pass, depends on the `swig` build tool and writes the legacy `barcode` key in its own way;
  wallet-py3k (2018) and applepassgenerator (0.0.2, its `barcodes` list is ignored) are
  unmaintained.

What is left to own is small: a dict for pass.json, SHA-1 hashes in manifest.json, one PKCS#7
call, a ZIP, and an HTTP/2 POST per device."""
