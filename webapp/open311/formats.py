"""The two formats of GeoReport v2: XML (required) and JSON by the Spark convention.

A body is built once as plain Python (dicts in the spec's field order, lists, strings, numbers,
booleans, None) and written either way: a list becomes a container element whose children are
named by `CHILDREN` (`<services><service>…`), None an empty element in XML and null in JSON.
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

from flask import Response, request

FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
CHILDREN = {"services": "service", "service_requests": "request", "attributes": "attribute", "values": "value",
            "endpoints": "endpoint", "formats": "format", "errors": "error"}
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'
# XML 1.0 cannot carry these at all; text stored through other channels may hold them
NOT_IN_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def requested_format() -> str:
    """The format named by the URL's extension; XML (the required one) when it names none we know."""
    fmt = (request.view_args or {}).get("fmt")
    if fmt in FORMATS:
        return fmt
    return "json" if request.path.endswith(".json") else "xml"


def to_xml(root: str, body: Any) -> str:
    element = _element(root, body)
    ET.indent(element)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode") + "\n"


def _element(tag: str, value: Any) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        element.extend(_element(key, inner) for key, inner in value.items())
    elif isinstance(value, list):
        element.extend(_element(CHILDREN[tag], inner) for inner in value)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = NOT_IN_XML.sub("", str(value))
    return element


def respond(fmt: str, root: str, body: Any, status: int = 200) -> Response:
    """`body` in the format `fmt`, under the XML root element `root`, encoded as UTF-8."""
    if fmt == "json":
        text = json.dumps(body, ensure_ascii=False)
    else:
        text = to_xml(root, body)
    return Response(text.encode("utf-8"), status=status, content_type=FORMATS[fmt])
