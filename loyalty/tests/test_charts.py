"""The server's SVG charts: well-formed SVG with a title, a description and a viewBox, no script
and no style attribute (CSP), one line per series told apart by dash pattern, bars as long as their
values, round ticks in the values' format, the table of the figures, an empty chart that says so,
and the same SVG for the same figures."""
import xml.etree.ElementTree as ET

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.formats import number_format

from loyalty.charts import Series, bar_chart, line_chart, nice_ticks
from loyalty.units import money_text

SVG = "{http://www.w3.org/2000/svg}"


def _parsed(chart):
    root = ET.fromstring(str(chart.svg))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("viewBox").startswith("0 0 ")
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby") == title.get("id") and root.get("aria-describedby") == desc.get("id")
    for element in root.iter():
        assert element.tag != f"{SVG}script" and element.tag != f"{SVG}style"
        assert "style" not in element.attrib and not any(name.startswith("on") for name in element.attrib)
    return root, title.text, desc.text


def _texts(root) -> list[str]:
    return [element.text for element in root.iter(f"{SVG}text")]


def test_a_line_chart_has_a_line_per_series_told_apart_by_dashes():
    with translation.override("de"):
        chart = line_chart(title="Umsatz <Dezember>", labels=["1.12.", "2.12.", "3.12."],
                           series=[Series("Dezember 2026", [120_000, 0, 250_050]),
                                   Series("Vorperiode", [100_000, 50_000, 75_000])],
                           value_text=money_text)
    root, title, desc = _parsed(chart)
    assert title == "Umsatz <Dezember>" and "Dezember 2026: 1.12. 1.200,00 €" in desc
    lines = root.findall(f".//{SVG}polyline")
    assert [line.get("data-series") for line in lines] == ["Dezember 2026", "Vorperiode"]
    assert len({line.get("stroke-dasharray") for line in lines}) == 2
    assert all(len(line.get("points").split()) == 3 for line in lines)
    # Round ticks from 0 past the highest value, in German money format.
    assert "0,00 €" in _texts(root) and "3.000,00 €" in _texts(root) and "1.000,00 €" in _texts(root)
    assert chart.headers == ["Zeitraum", "Dezember 2026", "Vorperiode"]
    assert chart.rows[2] == ["3.12.", "2.500,50 €", "750,00 €"]


def test_bars_are_as_long_as_their_values():
    chart = bar_chart(title="By age", labels=["under 25", "25–34", "35–44"],
                      series=[Series("Cardholders", [10, 40, 20])], value_text=str, label_header="Age band")
    root, _title, _desc = _parsed(chart)
    bars = root.findall(f".//{SVG}rect[@class='chart-bar']")
    widths = [float(bar.get("width")) for bar in bars]
    assert len(bars) == 3 and widths[1] == pytest.approx(widths[0] * 4, abs=0.2)
    assert widths[2] == pytest.approx(widths[0] * 2, abs=0.2)
    assert chart.headers == ["Age band", "Cardholders"] and chart.rows[1] == ["25–34", "40"]


def test_grouped_bars_have_one_bar_per_series_and_label():
    chart = bar_chart(title="Gender", labels=["female", "male"],
                      series=[Series("this period", [3, 5]), Series("previous period", [4, 0])], value_text=str)
    root, _title, _desc = _parsed(chart)
    bars = root.findall(f".//{SVG}rect[@class='chart-bar']")
    assert [(bar.get("data-series"), bar.get("data-value")) for bar in bars] == [
        ("this period", "3"), ("previous period", "4"), ("this period", "5"), ("previous period", "0")]
    assert float(bars[3].get("width")) == 0


@pytest.mark.parametrize("labels, values", [([], []), (["Mo", "Di"], [0, 0])])
def test_no_data_is_an_empty_chart_that_says_so(labels, values):
    for make in (line_chart, bar_chart):
        with translation.override("en"):
            chart = make(title="Revenue", labels=labels, series=[Series("now", values)], value_text=str)
        root, _title, _desc = _parsed(chart)
        assert "No data for this period" in _texts(root)
        assert not root.findall(f".//{SVG}polyline") and not root.findall(f".//{SVG}rect[@class='chart-bar']")


def test_negative_values_and_a_single_label():
    chart = line_chart(title="Net", labels=["today"], series=[Series("net", [-250])], value_text=str)
    root, _title, _desc = _parsed(chart)
    assert "-250" in _texts(root) or "-300" in _texts(root)
    bars = bar_chart(title="Net", labels=["a", "b"], series=[Series("net", [-5, 10])], value_text=str)
    widths = [float(bar.get("width")) for bar in ET.fromstring(str(bars.svg)).iter(f"{SVG}rect")
              if bar.get("class") == "chart-bar"]
    assert widths[1] == pytest.approx(widths[0] * 2, abs=0.2)


def test_nice_ticks():
    assert nice_ticks(0, 0) == [0, 1]
    assert nice_ticks(0, 7) == [0, 2, 4, 6, 8]
    assert nice_ticks(0, 250_050) == [0, 100_000, 200_000, 300_000]
    assert nice_ticks(0, 240_000) == [0, 50_000, 100_000, 150_000, 200_000, 250_000]
    assert nice_ticks(-30, 95) == [-50, 0, 50, 100]
    assert nice_ticks(0, 1) == [0, 1]


def test_the_same_figures_give_the_same_svg_and_other_figures_other_ids():
    make = lambda values: line_chart(title="T", labels=["a", "b"], series=[Series("s", values)], value_text=str)  # noqa: E731
    assert make([1, 2]).svg == make([1, 2]).svg
    assert ET.fromstring(str(make([1, 2]).svg)).get("aria-labelledby") != ET.fromstring(
        str(make([2, 1]).svg)).get("aria-labelledby")


def test_the_include_shows_the_chart_and_its_table():
    chart = bar_chart(title="Per terminal", labels=["Kasse <1>"], series=[Series("Bookings", [7])], value_text=str,
                      label_header="Terminal")
    html = render_to_string("loyalty/includes/chart.html", {"chart": chart})
    assert html.count("<svg") == 1 and "<caption>Per terminal</caption>" in html
    assert '<th scope="col">Terminal</th>' in html and '<th scope="row">Kasse &lt;1&gt;</th>' in html
    assert "<td>7</td>" in html
    with pytest.raises(ValueError):
        line_chart(title="x", labels=["a"], series=[Series("s", [1, 2])], value_text=str)


def test_weasyprint_draws_the_charts_and_pdftotext_reads_their_tables():
    import subprocess

    from loyalty.pdf import html_to_pdf

    with translation.override("de"):
        line = line_chart(title="Umsatz je Tag", labels=["1.12.", "2.12.", "3.12."],
                          series=[Series("Dezember 2026", [123_456, 0, 250_050]),
                                  Series("November 2026", [100_000, 50_000, 75_000])], value_text=money_text)
        bars = bar_chart(title="Buchungen je Kasse", labels=["Kasse 1", "Kasse 2"],
                         series=[Series("Buchungen", [1_234, 56])], value_text=lambda value: number_format(value, force_grouping=True))
        html = ("<!doctype html><html><body>"
                + render_to_string("loyalty/includes/chart.html", {"chart": line})
                + render_to_string("loyalty/includes/chart.html", {"chart": bars}) + "</body></html>")
    pdf = html_to_pdf(html)
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert "Umsatz je Tag" in text and "Buchungen je Kasse" in text
    for row in line.rows + bars.rows:
        assert " ".join(row).split()[0] in text
        for cell in row[1:]:
            assert cell in text, (cell, text)
    # The SVG is drawn too: its axis labels are in the PDF's text.
    assert "3.000,00 €" in text and "1.234" in text
