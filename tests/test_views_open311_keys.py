"""The super admin's Open311 key page: a key is shown once, works, and stops working when revoked."""
from __future__ import annotations

import re

from workflows import open311


def test_only_super_admins(client, auth):
    auth.login("dinkes.admin")
    assert client.get("/admin/open311-keys/").status_code == 403


def test_create_use_and_revoke_a_key(client, auth, db):
    auth.login("admin")
    assert client.post("/admin/open311-keys/", data={"name": ""}).status_code == 422
    html = client.post("/admin/open311-keys/", data={"name": "Aplikasi Pontianak Smart City"}).get_data(as_text=True)
    key = re.search(r'value="(o311_[^"]+)"', html).group(1)
    with db.session() as s:
        assert open311.check_key(s, key)
        [row] = [k for k in open311.list_keys(s) if k.name == "Aplikasi Pontianak Smart City"]
    assert key not in client.get("/admin/open311-keys/").get_data(as_text=True)  # shown once
    assert client.post(f"/admin/open311-keys/{row.id}/revoke").status_code == 302
    with db.session() as s:
        assert not open311.check_key(s, key)
    assert client.post("/admin/open311-keys/999999/revoke").status_code == 404
