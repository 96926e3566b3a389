"""The jobs API over HTTP through devhost: listing, pagination, ownership."""

from __future__ import annotations

import uuid

import httpx

from tests.utils.auth import new_caller
from tests.utils.pdfs import make_pdf


def test_the_callers_jobs_are_listed_newest_first_in_pages(app_host: str):
    me = new_caller("lister")
    with httpx.Client(base_url=app_host, timeout=30) as client:
        submitted = []
        for _ in range(3):
            stored = client.post(
                "/media/upload", headers=me, files={"file": ("d.pdf", make_pdf(1))}
            ).json()
            response = client.post(f"/media/{stored['id']}/extract", headers=me)
            assert response.status_code == 202
            submitted.append(response.json()["id"])

        first = client.get("/jobs", headers=me, params={"limit": 2, "kind": "extract"}).json()
        second = client.get(
            "/jobs", headers=me, params={"limit": 2, "cursor": first["next_cursor"]}
        ).json()

        assert [j["id"] for j in first["items"]] == submitted[::-1][:2]
        assert [j["id"] for j in second["items"]] == submitted[:1]
        assert second["next_cursor"] is None
        assert client.get("/jobs", headers=me, params={"kind": "speech"}).json()["items"] == []
        unfiltered = client.get("/jobs", headers=me, params={"status": "", "kind": ""}).json()
        assert len(unfiltered["items"]) == 3
        assert client.get("/jobs", headers=me, params={"cursor": "nonsense"}).status_code == 400
        assert client.get("/jobs", headers=me, params={"status": "done"}).status_code == 400
        assert client.get(f"/jobs/{uuid.uuid4()}", headers=me).status_code == 404
        assert client.get(f"/jobs/{submitted[0]}").status_code == 401
