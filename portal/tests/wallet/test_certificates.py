"""The signing certificate: without a configured one, a development chain made once (also when
several processes start at once) whose pass certificate verifies up to its root; a configured
certificate that does not fit its key is refused with a clear message."""
import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ImproperlyConfigured

from loyalty.wallet.certificates import development_chain, signer


def test_the_development_chain_is_made_once_and_verifies_up_to_its_root(tmp_path):
    with ThreadPoolExecutor(max_workers=4) as pool:
        chains = list(pool.map(lambda _n: development_chain(tmp_path), range(4)))
    contents = {tuple(path.read_bytes() for path in chain.values()) for chain in chains}

    assert len(contents) == 1  # one chain, whoever came first
    files = chains[0]
    verified = subprocess.run(["openssl", "verify", "-CAfile", str(files["root"]), "-untrusted",
                               str(files["intermediate"]), str(files["certificate"])],
                              capture_output=True, text=True, check=False)
    assert verified.returncode == 0, verified.stderr
    assert oct(files["key"].stat().st_mode & 0o777) == "0o600"
    assert not list(tmp_path.glob(".*.partial"))


def test_the_configured_certificate_signs_when_it_fits_its_key(tmp_path, settings):
    files = development_chain(tmp_path)
    settings.WALLET_CERT_FILE, settings.WALLET_KEY_FILE = str(files["certificate"]), str(files["key"])
    settings.WALLET_WWDR_FILE = str(files["intermediate"])

    configured = signer()

    assert configured.development is False and configured.certificate_file == files["certificate"]
    assert configured.tls_context() is not None  # the client certificate of the pushes loads


def test_a_certificate_with_someone_elses_key_is_refused(tmp_path, settings):
    ours, theirs = development_chain(tmp_path / "ours"), development_chain(tmp_path / "theirs")
    settings.WALLET_CERT_FILE, settings.WALLET_KEY_FILE = str(ours["certificate"]), str(theirs["key"])
    settings.WALLET_WWDR_FILE = str(ours["intermediate"])

    with pytest.raises(ImproperlyConfigured, match="is not the key of the certificate"):
        signer()


def test_a_certificate_without_its_key_and_intermediate_is_refused(tmp_path, settings):
    settings.WALLET_CERT_FILE = str(development_chain(tmp_path)["certificate"])
    settings.WALLET_KEY_FILE = settings.WALLET_WWDR_FILE = ""

    with pytest.raises(ImproperlyConfigured, match="WALLET_CERT_FILE needs WALLET_KEY_FILE"):
        signer()
