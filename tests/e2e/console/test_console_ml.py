"""The ML page in headless Chromium against devhost: upload a CSV, cluster it and see the
scatter plot coloured by cluster with its legend, score anomalies and rank features as charts,
and the model registry's versions and aliases."""

from __future__ import annotations

import random
import re
import uuid

import httpx
from playwright.sync_api import Browser, expect

from tests.utils.browser import axe_violations, console_context, page_errors, screenshot, sign_in

CENTRES = ((0.0, 0.0), (10.0, 10.0), (0.0, 10.0))


def blobs_csv(per_cluster: int = 40) -> bytes:
    """Three well-separated blobs (x, y) with a noise column and the blob as `group`."""
    rng = random.Random(7)
    lines = ["x,y,noise,group"]
    for group, (cx, cy) in enumerate(CENTRES):
        for _ in range(per_cluster):
            x, y = cx + rng.gauss(0, 0.5), cy + rng.gauss(0, 0.5)
            lines.append(f"{x:.4f},{y:.4f},{rng.random():.4f},{group}")
    return ("\n".join(lines) + "\n").encode()


def test_a_csv_is_clustered_plotted_scored_and_ranked(
    browser: Browser, console_url: str, api_key: str, tmp_path
):
    csv = tmp_path / "blobs.csv"
    csv.write_bytes(blobs_csv())
    with console_context(browser) as context:
        page = context.new_page()
        errors = page_errors(page)
        sign_in(page, console_url, api_key)
        page.get_by_role("link", name="ML").click()
        expect(page.get_by_role("heading", name="ML", level=1)).to_be_visible()
        page.get_by_label(re.compile("^CSV file")).set_input_files(str(csv))
        expect(page.get_by_text("blobs.csv: 120 rows, columns x, y, noise, group.")).to_be_visible()

        page.get_by_label(re.compile(r"^Clusters \(k")).fill("3")
        page.get_by_role("button", name="Cluster", exact=True).click()
        plot = page.get_by_role("img", name=re.compile("Rows of blobs.csv by cluster"))
        expect(plot).to_be_visible(timeout=60_000)
        legend = page.get_by_role("list", name="Legend")
        for n in range(3):
            expect(legend).to_contain_text(f"Cluster {n} (40 points)")
        # one series per cluster, each with 40 marks, each its own colour
        series = plot.locator("path.series")
        expect(series).to_have_count(3)
        colours = {series.nth(i).get_attribute("fill") for i in range(3)}
        assert len(colours) == 3
        for i in range(3):
            marks = series.nth(i).get_attribute("d") or ""
            assert marks.count("M") == 40

        page.get_by_label(re.compile("^Expected share of anomalies")).fill("0.05")
        page.get_by_role("button", name="Score anomalies").click()
        expect(page.get_by_role("img", name=re.compile("Anomaly score of each row"))).to_be_visible(
            timeout=60_000
        )
        expect(page.get_by_text(re.compile(r"^6 of 120 rows flagged"))).to_be_visible()
        flagged = page.get_by_role("img", name=re.compile("Anomaly score")).locator("path.flagged")
        assert (flagged.get_attribute("d") or "").count("M") == 6  # the flagged bars, in red

        page.get_by_label("Target column").select_option("group")
        page.get_by_role("button", name="Compute importance").click()
        bars = page.get_by_role("img", name="Feature importance for group")
        expect(bars).to_be_visible(timeout=60_000)
        expect(bars.locator("rect.series")).to_have_count(3)  # x, y, noise
        page.get_by_text("Feature importances: data table").click()
        first = page.get_by_role("table", name="Feature importances").locator("tbody tr").first
        expect(first.get_by_role("rowheader")).not_to_have_text("noise")  # noise is not first

        screenshot(page, "ml")
        assert axe_violations(page) == []
        assert errors == []


def test_the_registry_lists_versions_and_points_an_alias(
    app_host: str, browser: Browser, console_url: str, api_key: str
):
    name = f"console-{uuid.uuid4().hex[:6]}"
    rows = [[float(i % 7), float(i % 5)] for i in range(40)]
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=app_host, timeout=120) as client:
        for aliases in (["production"], []):
            body = {"name": name, "algorithm": "kmeans", "params": {"n_clusters": 2},
                    "data": {"rows": rows}, "aliases": aliases}  # fmt: skip
            assert client.post("/ml/models", headers=headers, json=body).status_code == 201

    with console_context(browser) as context:
        page = context.new_page()
        errors = page_errors(page)
        sign_in(page, console_url, api_key)
        page.get_by_role("link", name="ML").click()
        registry = page.get_by_role("table", name="Registered models")
        listed = registry.get_by_role("row", name=re.compile(f"^{name} 2 production → 1"))
        expect(listed).to_be_visible()
        registry.get_by_role("button", name=name).click()
        versions = page.get_by_role("table", name=f"Versions of {name}")
        expect(versions.locator("tbody tr")).to_have_count(2)

        page.get_by_label("Alias").fill("staging")
        page.get_by_role("combobox", name=re.compile("^Version")).select_option("2")
        page.get_by_role("button", name="Point alias").click()
        expect(versions.get_by_role("row", name=re.compile(r"^2 staging kmeans"))).to_be_visible()
        expect(registry).to_contain_text("staging → 2")
        screenshot(page, "ml-registry")
        assert axe_violations(page) == []
        assert errors == []
