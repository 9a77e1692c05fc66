"""Text for JUnit XML that CI can always read back, whatever a deployment answered.

XML 1.0 cannot hold most control characters, lone surrogates or U+FFFE/U+FFFF even escaped, and
ElementTree writes them as they are: one NUL or terminal colour code quoted from an answer (or a
path's decoded %1b) would make the whole report unreadable. They are written as their Python
escape (`\\x1b`) instead.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` with what XML cannot hold written as its Python escape (`\\x1b`)."""
    return _NOT_IN_XML.sub(lambda found: repr(found[0])[1:-1], text)


def make_writable(root: ET.Element) -> None:
    """Every text, tail and attribute value under `root` passed through `xml_text`."""
    for element in root.iter():
        if element.text:
            element.text = xml_text(element.text)
        if element.tail:
            element.tail = xml_text(element.tail)
        for name, value in element.attrib.items():
            element.set(name, xml_text(value))
