"""The one hash for values Tindak recognises but never shows again."""
import hashlib

from workflows.digests import sha256_hex


def test_sha256_hex_is_the_hex_sha256_of_the_utf8_text():
    assert sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert sha256_hex("Sumber Daya Air – ü") == hashlib.sha256("Sumber Daya Air – ü".encode()).hexdigest()
    assert len(sha256_hex("TDK-ABCD-EFGH")) == 64
