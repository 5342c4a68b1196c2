"""The ``auto`` driver: open an existing array whose format is detected from its kvstore.

``ts.open('file:///data/x.zarr/')`` (a bare kvstore URL) and ``{'driver': 'auto', 'kvstore': ...}``
probe the marker keys of each known format and open the array with that format's driver, as
tensorstore does.  Creating through ``auto`` is refused: there is no format to create.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .. import jsonb, status
from ..schema import Schema
from .base import Driver, DriverSpec, OpenRequest
from .registry import register_driver

__all__ = ["AutoSpec", "MARKERS"]

#: marker key -> format driver, in the order they are probed
MARKERS: tuple[tuple[str, str], ...] = (("zarr.json", "zarr3"), (".zarray", "zarr"))


@register_driver
class AutoSpec(DriverSpec):
    """Parsed ``{'driver': 'auto', 'kvstore': ...}``."""

    driver_name = "auto"
    uses_kvstore: ClassVar[bool] = True
    url_scheme: ClassVar[str | None] = "auto"

    @classmethod
    def from_json(cls, reader: jsonb.ObjectReader, schema: Schema) -> AutoSpec:
        return cls(schema)

    def to_json(self, *, include_defaults: bool) -> dict[str, Any]:
        return {}

    def url(self) -> str:
        return "auto:"

    async def open(self, request: OpenRequest) -> Driver:
        from ..kvstore import KvStore
        from ..spec import Spec

        if request.create:
            # a plain ValueError: tensorstore reports this without the "Error opening" context
            raise ValueError("create mode not compatible with format auto-detection")
        if self.kvstore is None:
            raise status.invalid_argument('"kvstore" must be specified')
        kv = await KvStore.open(self.kvstore, context=request.context)
        sep = "" if kv.path.endswith("/") or not kv.path else "/"
        for key, driver in MARKERS:
            found = await kv.read(sep + key)
            if found.state == "value":
                kv_json = self.kvstore.to_json()
                kv_json["path"] = kv.path + sep
                inner: DriverSpec = Spec({"driver": driver, "kvstore": kv_json})._driver
                return await inner.open(request)
        where = kv.driver.describe_key((kv.path + sep).encode())
        raise status.failed_precondition(f"Failed to detect format for {where}")
