"""Open chunked drivers directly through the driver contract (no ``ts.open``), for engine-level tests."""

from __future__ import annotations

from typing import Any

import numpy as np

from tsexplore.context import Context
from tsexplore.driver.base import Driver, OpenRequest
from tsexplore.driver.registry import get_driver
from tsexplore.future import spawn
from tsexplore.index import IndexTransform
from tsexplore.jsonb import ObjectReader
from tsexplore.kvstore.spec import Spec as KvSpec
from tsexplore.schema import Schema


def open_driver(
    spec: dict[str, Any],
    *,
    context: Context | None = None,
    open: bool = True,
    create: bool = False,
    delete_existing: bool = False,
    **schema: Any,
) -> Driver:
    spec = dict(spec)
    cls = get_driver(spec.pop("driver"))
    kv = spec.pop("kvstore")
    sch = Schema(**schema)
    ds = cls.from_json(ObjectReader(spec), sch)
    ds.kvstore = KvSpec(kv)
    req = OpenRequest(
        context=context or Context(), schema=sch, open=open, create=create, delete_existing=delete_existing
    )
    return spawn(ds.open(req)).result()


class Store:
    """numpy-style access to an open driver: ``s[idx]`` reads, ``s[idx] = v`` writes."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver

    def transform(self, idx: Any = ()) -> IndexTransform:
        t = IndexTransform(self.driver.domain())
        return t[idx] if idx != () else t

    def __getitem__(self, idx: Any) -> np.ndarray[Any, Any]:
        return spawn(self.driver.read(self.transform(idx))).result()

    def __setitem__(self, idx: Any, value: Any) -> None:
        t = self.transform(idx)
        src = np.broadcast_to(np.asarray(value, dtype=self.driver.dtype.numpy_dtype), t.domain.shape)
        spawn(self.driver.write(t, src)).result()
