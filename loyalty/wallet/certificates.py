"""The certificate that signs every pass and authenticates the pushes to Apple: the one Apple issued
for the pass type (settings WALLET_CERT_FILE, WALLET_KEY_FILE, WALLET_WWDR_FILE), or, without it,
a self-signed development chain made once under WALLET_DEV_DIR.

The development chain mirrors Apple's: a root CA (standing in for the Apple Root CA), an
intermediate (for Apple's WWDR certificate) and a pass type certificate signed by the intermediate.
Passes signed with it verify against its root (`openssl smime -verify -CAfile root.pem`); phones
refuse them, as they refuse anything that Apple did not issue."""
import datetime
import fcntl
import os
import ssl
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_FILES = {"root": "root.pem", "intermediate": "wwdr.pem", "certificate": "pass.pem", "key": "pass.key"}
DEVELOPMENT_YEARS = 10


@dataclass(frozen=True)
class Signer:
    """What signs a pass: the pass type's certificate and key, and the intermediate certificate
    that goes into every signature. The file paths are kept for the TLS client certificate of the
    pushes to Apple."""

    certificate: x509.Certificate
    key: object  # a private key of cryptography
    intermediate: x509.Certificate
    certificate_file: Path
    key_file: Path
    key_password: str
    development: bool
    root_file: Path | None = None  # the development chain's root, to verify against

    def tls_context(self) -> ssl.SSLContext:
        """A TLS client context that presents the pass type's certificate (Apple's push service
        knows the pass type from it)."""
        context = ssl.create_default_context()
        context.load_cert_chain(self.certificate_file, self.key_file, self.key_password or None)
        return context


def signer() -> Signer:
    """The configured signer, loaded once per process and per configuration (tests change it)."""
    return _signer(settings.WALLET_CERT_FILE, settings.WALLET_KEY_FILE, settings.WALLET_KEY_PASSWORD,
                   settings.WALLET_WWDR_FILE, str(settings.WALLET_DEV_DIR))


@cache
def _signer(cert_file: str, key_file: str, key_password: str, wwdr_file: str, dev_dir: str) -> Signer:
    if not cert_file:
        files = development_chain(Path(dev_dir))
        return _load(files["certificate"], files["key"], "", files["intermediate"], development=True,
                     root_file=files["root"])
    if not key_file or not wwdr_file:
        raise ImproperlyConfigured("WALLET_CERT_FILE needs WALLET_KEY_FILE (its private key) and "
                                   "WALLET_WWDR_FILE (Apple's WWDR intermediate certificate), as PEM files.")
    return _load(Path(cert_file), Path(key_file), key_password, Path(wwdr_file), development=False)


def _load(cert_file: Path, key_file: Path, key_password: str, wwdr_file: Path, *, development: bool,
          root_file: Path | None = None) -> Signer:
    try:
        certificate = x509.load_pem_x509_certificate(cert_file.read_bytes())
        intermediate = x509.load_pem_x509_certificate(wwdr_file.read_bytes())
        key = serialization.load_pem_private_key(key_file.read_bytes(), key_password.encode() or None)
    except (OSError, ValueError, TypeError) as error:
        raise ImproperlyConfigured(f"The wallet pass certificate cannot be loaded: {error}") from error
    if key.public_key().public_numbers() != certificate.public_key().public_numbers():
        raise ImproperlyConfigured(f"WALLET_KEY_FILE ({key_file}) is not the key of the certificate "
                                   f"in WALLET_CERT_FILE ({cert_file}).")
    return Signer(certificate=certificate, key=key, intermediate=intermediate, certificate_file=cert_file,
                  key_file=key_file, key_password=key_password, development=development, root_file=root_file)


# --- The development chain -------------------------------------------------------------------------

def development_chain(directory: Path) -> dict[str, Path]:
    """The development chain's files in `directory` (root, intermediate, certificate, key), made
    the first time. A file lock keeps two processes starting at once (web and worker) from making
    two chains: the second waits and uses the first one's."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {name: directory / file_name for name, file_name in DEVELOPMENT_FILES.items()}
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not all(path.exists() for path in files.values()):
                _chain_write(files)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return files


def _chain_write(files: dict[str, Path]) -> None:
    now = datetime.datetime.now(datetime.UTC)
    root_key, intermediate_key, pass_key = (rsa.generate_private_key(public_exponent=65537, key_size=2048)
                                            for _ in range(3))
    root_name = _name("Stammkunde Development Root CA")
    root = _certificate(subject=root_name, issuer=root_name, public_key=root_key.public_key(),
                        signing_key=root_key, now=now, ca=True)
    intermediate_name = _name("Stammkunde Development WWDR (stands in for Apple's)")
    intermediate = _certificate(subject=intermediate_name, issuer=root_name,
                                public_key=intermediate_key.public_key(), signing_key=root_key, now=now,
                                ca=True, path_length=0)
    # Apple's pass type certificates name the pass type as the subject's user id and the team as
    # its organisational unit.
    pass_name = x509.Name([
        x509.NameAttribute(NameOID.USER_ID, settings.WALLET_PASS_TYPE_ID),
        x509.NameAttribute(NameOID.COMMON_NAME, f"Pass Type ID: {settings.WALLET_PASS_TYPE_ID}"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, settings.WALLET_TEAM_ID),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stammkunde development"),
    ])
    certificate = _certificate(subject=pass_name, issuer=intermediate_name, public_key=pass_key.public_key(),
                               signing_key=intermediate_key, now=now, ca=False)
    pem = serialization.Encoding.PEM
    _write(files["root"], root.public_bytes(pem))
    _write(files["intermediate"], intermediate.public_bytes(pem))
    _write(files["key"], pass_key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                serialization.NoEncryption()), mode=0o600)
    # Last: the certificate's presence says that the chain is complete.
    _write(files["certificate"], certificate.public_bytes(pem))


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Stammkunde development")])


def _certificate(*, subject, issuer, public_key, signing_key, now, ca: bool,
                 path_length: int | None = None) -> x509.Certificate:
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(days=1))
               .not_valid_after(now + datetime.timedelta(days=365 * DEVELOPMENT_YEARS))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()),
                              critical=False))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=False, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=True, crl_sign=True, encipher_only=False, decipher_only=False),
            critical=True)
    else:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    return builder.sign(signing_key, hashes.SHA256())


def _write(path: Path, content: bytes, *, mode: int = 0o644) -> None:
    """Written beside and renamed into place: a reader never sees half a file."""
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    os.replace(partial, path)
