"""In Chromium: the outstanding balances report with its chart: the SVG drawn at a size, its table
visible beside it (desktop) or below it (phone), no breach of the Content-Security-Policy, in German
and English, nothing wider than a 360-pixel phone. Screenshots in $SCREENSHOT_DIR."""
import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from loyalty.tests.reports.conftest import december_books
from tests.browser.test_content_security_policy import visit, watched  # noqa: F401 (fixture)
from tests.support.baseline import owner_email
from tests.support.browser import back_office_sign_in, shoot


@pytest.fixture
def report(committed, live_site, watched, alice):  # noqa: F811 (the fixture imported above)
    with schema_context(alice.schema_name):
        december_books()
    url = lambda path: live_site.url(alice.primary_host, path)  # noqa: E731
    back_office_sign_in(watched, url, email=owner_email(alice.schema_name))
    return url


@pytest.mark.parametrize("language, balance", [("de", "38,66 €"), ("en", "38.66 €")])
def test_the_chart_is_drawn_with_its_table_and_keeps_to_the_policy(report, watched, language, balance):  # noqa: F811
    page = watched
    page.context.add_cookies([{"name": "django_language", "value": language, "url": report("/")}])
    visit(page, report("/manage/reports/liability/?day=2025-12-31"))
    chart = page.locator("figure.chart svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 50, box
    bars = page.locator("figure.chart rect.chart-bar")
    assert bars.count() == 3 and bars.first.bounding_box()["width"] > 0
    table = page.locator("figure.chart table")
    expect(table).to_be_visible()
    expect(table.locator("td").first).to_have_text(balance)
    table_box = table.bounding_box()
    assert table_box["x"] > box["x"] + box["width"] / 2, "beside the chart on a wide screen"
    shoot(page, "liability")
    page.set_viewport_size({"width": 360, "height": 900})
    box, table_box = chart.bounding_box(), table.bounding_box()
    assert 0 < box["width"] <= 360 and table_box["y"] >= box["y"] + box["height"], "below the chart on a phone"
    expect(table).to_be_visible()
    assert page.violations == []


def test_a_line_chart_is_drawn_at_a_size(page):
    from django.template.loader import render_to_string

    from loyalty.charts import Series, line_chart

    chart = line_chart(title="Revenue", labels=["Mon", "Tue", "Wed"],
                       series=[Series("this week", [5, 9, 2]), Series("last week", [3, 4, 8])], value_text=str)
    page.set_content(render_to_string("loyalty/includes/chart.html", {"chart": chart}))
    lines = page.locator("svg polyline")
    assert lines.count() == 2
    for index in range(2):
        box = lines.nth(index).bounding_box()
        assert box["width"] > 100 and box["height"] > 10, box
    expect(page.locator("table caption")).to_have_text("Revenue")
