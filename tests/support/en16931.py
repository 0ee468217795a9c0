"""CEN's validation rules for EN 16931 CII invoices, applied with Saxon (XSLT 3): the broken rules
of an invoice's XML. The stylesheet is compiled once per test process."""
import functools
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

RULES = Path(__file__).resolve().parent / "en16931" / "EN16931-CII-validation.xslt"
SHARED_RULES = Path(__file__).resolve().parents[3] / "shared" / "en16931" / RULES.name
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@dataclass(frozen=True)
class Failure:
    rule: str
    flag: str
    text: str


@functools.cache
def _stylesheet():
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    stylesheet = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(RULES))
    return processor, stylesheet


def rule_failures(xml: bytes) -> list[Failure]:
    """Every failed assert of the rules, fatal ones and warnings."""
    processor, stylesheet = _stylesheet()
    report = stylesheet.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode()))
    svrl = etree.fromstring(report.encode())
    if not svrl.findall(".//svrl:fired-rule", SVRL):
        raise AssertionError("No rule applied: this is not a CII invoice the rules recognise.")
    return [Failure(rule=node.get("id", ""), flag=node.get("flag", ""),
                    text=" ".join(node.findtext("svrl:text", default="", namespaces=SVRL).split()))
            for node in svrl.iterfind(".//svrl:failed-assert", SVRL)]


def fatal_failures(xml: bytes) -> list[Failure]:
    return [failure for failure in rule_failures(xml) if failure.flag == "fatal"]
