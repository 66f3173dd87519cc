"""The one e-mail rule shared by account administration, the public form and Open311."""
import pytest

from workflows.emails import MAX_EMAIL_LENGTH, is_email


@pytest.mark.parametrize("text", [
    "siti@example.com", "dinkes.penghubung@kalbarprov.go.id", "a+tag@sub.example.co.id", "ü@例え.jp",
])
def test_ordinary_addresses_pass(text):
    assert is_email(text)


@pytest.mark.parametrize("text", [
    None, "", "siti", "siti@example", "@example.com", "siti@.com", "siti@example.", "si ti@example.com",
    "siti@example.com\n", "siti@example.com\r\nBcc: x@y.z", "siti@@example.com", "a@b@example.com",
    "siti@example.com,other@example.com", "Siti <siti@example.com>", "si\x00ti@example.com", '"s"@example.com',
    "a;b@example.com", " siti@example.com",
])
def test_anything_else_fails(text):
    assert not is_email(text)


def test_the_length_fits_the_columns():
    local = "a" * (MAX_EMAIL_LENGTH - len("@example.com"))
    assert is_email(local + "@example.com") and not is_email("a" + local + "@example.com")
