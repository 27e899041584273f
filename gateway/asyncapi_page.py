"""A readable HTML page of the AsyncAPI document: channels, their events, fields and an example each.

Rendered here from the document (no scripts, no CDN), so it works offline and under the gateway's
Content-Security-Policy. The JSON at ``/asyncapi.json`` stays the source for tools.
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1d2733}
h1{margin-bottom:.2rem} h2{border-bottom:2px solid #d0d7de;padding-bottom:.3rem;margin-top:2.5rem}
h3{margin-bottom:.3rem} code{background:#f3f4f6;padding:0 .25rem;border-radius:3px}
table{border-collapse:collapse;width:100%;margin:.5rem 0} td,th{border:1px solid #d0d7de;padding:.3rem .5rem;
text-align:left;vertical-align:top;font-size:.92rem} th{background:#f6f8fa}
pre{background:#0d1117;color:#e6edf3;padding:.8rem;border-radius:6px;overflow:auto;font-size:.85rem}
.meta{color:#57606a} nav a{margin-right:.8rem}
"""


def _type_of(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"].rsplit("/", 1)[1])
    for combined in ("anyOf", "oneOf"):
        if combined in schema:
            return " or ".join(_type_of(option) for option in schema[combined])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type_of(schema.get('items', {}))}"
    detail = schema.get("format") or (
        "one of " + ", ".join(map(str, schema["enum"])) if "enum" in schema else ""
    )
    return f"{kind} ({detail})" if detail else str(kind)


def _fields(schema: dict[str, Any]) -> str:
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code></td><td>{escape(_type_of(prop))}</td>"
        f"<td>{'yes' if name in required else 'no'}</td><td>{escape(prop.get('description', ''))}</td></tr>"
        for name, prop in schema.get("properties", {}).items()
    )
    return f"<table><tr><th>field</th><th>type</th><th>required</th><th>meaning</th></tr>{rows}</table>"


def render_asyncapi_page(document: dict[str, Any]) -> str:
    """The document as one HTML page."""
    schemas = document["components"]["schemas"]
    messages = document["components"]["messages"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(document['info']['title'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(document['info']['title'])}</h1>",
        f"<p class='meta'>AsyncAPI {escape(document['asyncapi'])} · "
        f"version {escape(document['info']['version'])}"
        " · <a href='/asyncapi.json'>asyncapi.json</a> · <a href='/docs'>HTTP API</a></p>",
        f"<p>{escape(document['info']['description'])}</p>",
        "<nav>",
        *(
            f"<a href='#{escape(cid)}'>{escape(ch['address'])}</a>"
            for cid, ch in document["channels"].items()
        ),
        "</nav>",
    ]
    for cid, channel in document["channels"].items():
        kafka = channel["bindings"]["kafka"]
        retention_days = kafka["topicConfiguration"]["retention.ms"] / 86_400_000
        parts.append(
            f"<h2 id='{escape(cid)}'>{escape(channel['address'])}</h2>"
            f"<p>{escape(channel['description'])} <span class='meta'>{kafka['partitions']} partitions, "
            f"kept {retention_days:g} days.</span></p>"
        )
        for name in channel["messages"]:
            message = messages[name]
            example = message["examples"][0]
            parts.append(
                f"<h3 id='{escape(message['name'])}'><code>{escape(message['name'])}</code></h3>"
                f"<p>{escape(message['description'])}</p>"
                f"{_fields(schemas[name])}"
                "<details><summary>Example (headers and body)</summary>"
                f"<pre>{escape(json.dumps(example['headers'], indent=2))}</pre>"
                f"<pre>{escape(json.dumps(example['payload'], indent=2))}</pre></details>"
            )
    parts.append("</body></html>")
    return "".join(parts)
