"""The public API document: every service's OpenAPI merged under its ``/v1/<service>`` prefix.

:func:`merge_openapi` is pure (documents in, one document out). :class:`OpenApiCatalog` fetches the
services' documents, keeps each for a short while, and leaves out a service that does not answer
(naming it in ``x-rounds-unavailable`` and the description) rather than failing the whole page.

Components with the same name in several services are kept once when they are the same (FastAPI's
``HTTPValidationError``, the shared contracts), and renamed with the service's name in front when
they differ (``PeopleWorker``, ``RotaWorker``), with every ``$ref`` rewritten to match.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx
from opentelemetry.instrumentation.utils import suppress_http_instrumentation

from gateway.circuit import MonotonicClock
from gateway.settings import GatewaySettings
from rounds.auth.claims import PARTNER_SCOPES

Document = dict[str, Any]
# (component section, name) -> the name it has in the merged document, for one source document.
Renames = dict[tuple[str, str], str]

GATEWAY_SOURCE = "gateway"
# The services' own probes are for the platform, not for partners.
PRIVATE_PATHS: frozenset[str] = frozenset({"/healthz", "/readyz"})
HTTP_METHODS: frozenset[str] = frozenset(
    {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
)
_REF_PREFIX = "#/components/"


def merge_openapi(
    services: Mapping[str, Mapping[str, Any]],
    *,
    gateway: Mapping[str, Any],
    summaries: Mapping[str, str] | None = None,
    unavailable: Mapping[str, str] | None = None,
    title: str = "Rounds API",
    version: str = "0",
) -> Document:
    """One OpenAPI 3.1 document from the services' documents and the gateway's own.

    ``services`` maps a service name to its document (its paths go under ``/v1/<name>``, tagged
    ``<name>``); ``gateway`` holds the gateway's own paths, kept as they are. ``summaries`` describe
    the service tags; ``unavailable`` names services left out and why. The inputs are not changed.
    """
    summaries = summaries or {}
    unavailable = unavailable or {}
    sources: dict[str, Document] = {GATEWAY_SOURCE: copy.deepcopy(dict(gateway))}
    sources.update({name: copy.deepcopy(dict(doc)) for name, doc in services.items()})

    renames = _component_renames({name: doc.get("components", {}) for name, doc in sources.items()})
    components: dict[str, dict[str, Any]] = {}
    paths: dict[str, Any] = {}
    for source, doc in sources.items():
        doc = _rewrite_refs(doc, renames[source])
        for section, entries in doc.get("components", {}).items():
            for name, definition in entries.items():
                merged_name = renames[source].get((section, name), name)
                components.setdefault(section, {})[merged_name] = definition
        if source == GATEWAY_SOURCE:
            paths.update(_tagged_paths(doc, tag=GATEWAY_SOURCE, prefix="", renames=renames[source]))
        else:
            paths.update(_tagged_paths(doc, tag=source, prefix=f"/v1/{source}", renames=renames[source]))

    tags = [{"name": GATEWAY_SOURCE, "description": "The gateway itself: liveness and readiness."}]
    tags += [{"name": name, "description": summaries.get(name, "")} for name in services]
    merged: Document = {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version, "description": _description(unavailable)},
        "paths": paths,
        "tags": tags,
        "x-rounds-unavailable": sorted(unavailable),
    }
    if components:
        merged["components"] = {
            section: dict(sorted(entries.items())) for section, entries in components.items()
        }
    return merged


def _description(unavailable: Mapping[str, str]) -> str:
    text = (
        "The public API of Rounds. Each service's routes are under `/v1/<service>`; "
        "errors are `application/problem+json` (RFC 9457) and every response carries `X-Request-Id`."
    )
    if unavailable:
        missing = "; ".join(f"{name} ({reason})" for name, reason in sorted(unavailable.items()))
        text += (
            f"\n\n**Incomplete:** these services did not answer, so their routes are missing: {missing}. "
            "Reload once they are up."
        )
    return text


def _component_renames(
    components_by_source: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> dict[str, Renames]:
    """Which components each source must rename so that different definitions never share a name.

    A name held by several sources is kept when their definitions are equal once their own
    references are rewritten. Renaming one component can make others that refer to it differ, so
    this repeats until nothing more collides (the set of renamed names only grows, so it ends).
    """
    owners: dict[tuple[str, str], list[str]] = {}
    for source, sections in components_by_source.items():
        for section, entries in sections.items():
            for name in entries:
                owners.setdefault((section, name), []).append(source)
    shared = {key: sources for key, sources in owners.items() if len(sources) > 1}
    taken = {f"{section}/{name}" for section, name in owners}

    colliding: set[tuple[str, str]] = set()
    while True:
        renames = _renames_for(colliding, shared, components_by_source, taken)
        newly_colliding = {
            key
            for key, sources in shared.items()
            if key not in colliding
            and not _all_equal(
                _rewrite_refs(components_by_source[source][key[0]][key[1]], renames[source])
                for source in sources
            )
        }
        if not newly_colliding:
            return renames
        colliding |= newly_colliding


def _renames_for(
    colliding: set[tuple[str, str]],
    shared: Mapping[tuple[str, str], list[str]],
    components_by_source: Mapping[str, Any],
    taken: set[str],
) -> dict[str, Renames]:
    renames: dict[str, Renames] = {source: {} for source in components_by_source}
    used = set(taken)
    for section, name in sorted(colliding):
        for source in shared[(section, name)]:
            candidate = base = f"{source[:1].upper()}{source[1:]}{name}"
            suffix = 2
            while f"{section}/{candidate}" in used:
                candidate, suffix = f"{base}{suffix}", suffix + 1
            used.add(f"{section}/{candidate}")
            renames[source][(section, name)] = candidate
    return renames


def _all_equal(values: Iterable[Any]) -> bool:
    items = list(values)
    return all(item == items[0] for item in items[1:])


def _rewrite_refs(node: Any, renames: Renames) -> Any:
    """A copy of ``node`` with every component reference (``$ref``, discriminator mapping) renamed."""
    if not renames:
        return node
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = _renamed_ref(value, renames)
        elif key == "discriminator" and isinstance(value, dict) and isinstance(value.get("mapping"), dict):
            mapping = {tag: _renamed_ref(ref, renames) for tag, ref in value["mapping"].items()}
            out[key] = {**value, "mapping": mapping}
        else:
            out[key] = _rewrite_refs(value, renames)
    return out


def _renamed_ref(ref: str, renames: Renames) -> str:
    if not ref.startswith(_REF_PREFIX):
        return ref
    section, _, escaped = ref[len(_REF_PREFIX) :].partition("/")
    name = escaped.replace("~1", "/").replace("~0", "~")  # RFC 6901 JSON pointer escapes
    new_name = renames.get((section, name))
    if new_name is None:
        return ref
    return f"{_REF_PREFIX}{section}/{new_name.replace('~', '~0').replace('/', '~1')}"


def _tagged_paths(doc: Mapping[str, Any], *, tag: str, prefix: str, renames: Renames) -> dict[str, Any]:
    """The source's public paths under ``prefix``, each operation tagged ``tag``.

    Operation ids get the source's name in front so that generated clients have unique method names,
    and a document-wide ``security`` moves onto each operation (the merged document has none).
    """
    document_security = _renamed_security(doc.get("security"), renames)
    out: dict[str, Any] = {}
    for path, item in doc.get("paths", {}).items():
        if prefix and path in PRIVATE_PATHS:
            continue
        new_item = dict(item)
        for method, operation in item.items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            new_operation = {**operation, "tags": [tag]}
            if prefix and "operationId" in operation:
                new_operation["operationId"] = f"{tag}_{operation['operationId']}"
            if "security" in operation:
                new_operation["security"] = _renamed_security(operation["security"], renames)
            elif document_security is not None:
                new_operation["security"] = document_security
            new_item[method] = new_operation
        out[prefix + path] = new_item
    return out


def _renamed_security(requirements: Any, renames: Renames) -> Any:
    # Security requirements name their schemes by key, not by $ref.
    if not isinstance(requirements, list):
        return requirements
    return [
        {renames.get(("securitySchemes", name), name): scopes for name, scopes in requirement.items()}
        for requirement in requirements
        if isinstance(requirement, dict)
    ]


SECURITY_SCHEMES: dict[str, Any] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A token of the provider's identity provider, or of the built-in issuer "
        "(`rounds token --role ...` in the embedded default).",
    },
    "partnerClientCredentials": {
        "type": "oauth2",
        "description": "Partner systems swap their client id and secret for a token (RFC 6749 4.4).",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "/oauth/token",
                "scopes": {scope: f"{scope.split(':')[1]} {scope.split(':')[0]}" for scope in PARTNER_SCOPES},
            }
        },
    },
}
_REFUSALS: dict[str, Any] = {
    "401": {"description": "No token, or one that is expired, wrongly signed or for another audience."},
    "403": {
        "description": "The caller's role or relationships do not open this resource (the detail says why)."
    },
    "429": {"description": "Too many requests from this client; wait for Retry-After."},
}


def with_security(document: Document) -> Document:
    """``document`` with the gateway's token schemes, required on every ``/v1`` operation.

    So that Swagger UI offers "Authorize" and generated clients send the token; the 401, 403 and 429
    the gateway itself may answer are documented on each operation (problem+json like every error).
    """
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    for path, item in document.get("paths", {}).items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in item.items():
            if method not in HTTP_METHODS or not isinstance(operation, dict):
                continue
            operation["security"] = [{"bearer": []}, {"partnerClientCredentials": []}]
            responses = operation.setdefault("responses", {})
            for status, response in _REFUSALS.items():
                responses.setdefault(
                    status,
                    {**response, "content": {"application/problem+json": {"schema": {"type": "object"}}}},
                )
    return document


class OpenApiCatalog:
    """Serves the merged document, re-fetching a service's document once it is older than the cache time.

    A failed fetch is not cached, so a service that comes up appears on the next request.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        settings: GatewaySettings,
        *,
        gateway_document: Callable[[], Mapping[str, Any]],
        summaries: Mapping[str, str],
        version: str,
        clock: MonotonicClock = time.monotonic,
    ) -> None:
        self._client = client
        self._settings = settings
        self._gateway_document = gateway_document
        self._summaries = summaries
        self._version = version
        self._clock = clock
        self._cache: dict[str, tuple[float, Document]] = {}
        # One refresh at a time: a burst of /docs loads should cost one fetch per service, not many.
        self._lock = asyncio.Lock()

    async def document(self) -> Document:
        """The merged document as of now."""
        async with self._lock:
            results = await asyncio.gather(
                *(self._service_document(name) for name in self._settings.services)
            )
        documents = {name: doc for name, doc, _ in results if doc is not None}
        unavailable = {name: reason for name, doc, reason in results if doc is None}
        return with_security(
            merge_openapi(
                documents,
                gateway=self._gateway_document(),
                summaries=self._summaries,
                unavailable=unavailable,
                version=self._version,
            )
        )

    async def _service_document(self, service: str) -> tuple[str, Document | None, str]:
        cached = self._cache.get(service)
        if cached is not None and self._clock() - cached[0] < self._settings.openapi_cache_seconds:
            return service, cached[1], ""
        url = f"{self._settings.service_urls[service]}/openapi.json"
        try:
            with suppress_http_instrumentation():
                response = await self._client.get(url, timeout=self._settings.probe_timeout_seconds)
        except httpx.TimeoutException:
            return service, None, f"no answer within {self._settings.probe_timeout_seconds:g} s"
        except httpx.TransportError as exc:
            return service, None, f"cannot connect ({type(exc).__name__})"
        if response.status_code != 200:
            return service, None, f"HTTP {response.status_code} from its /openapi.json"
        try:
            document = response.json()
        except ValueError:
            return service, None, "its /openapi.json is not JSON"
        if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
            return service, None, "its /openapi.json has no paths"
        self._cache[service] = (self._clock(), document)
        return service, document, ""
