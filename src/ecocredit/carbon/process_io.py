"""Process definitions from JSON (the API's body, the CLI's file), with errors that name the path.

::

    {"processes": [
      {"code": "pcb", "name": "Printed circuit board", "unit": "kg", "output": 1,
       "kind": "process",
       "inputs": [{"supplier": "copper", "amount": 0.2, "unit": "kg"}],
       "emissions": [{"gas": "CO2", "amount": 0.5, "unit": "kg"},
                     {"factor_id": "cn.mee-nbs.2023.national.average", "amount": 3,
                      "unit": "kWh"}]}]}
"""

from __future__ import annotations

from typing import Any

from ecocredit.carbon.ops.processes import Definition, Flow
from ecocredit.errors import InvalidParameter

FIELDS = {"code", "name", "unit", "output", "kind", "inputs", "emissions"}
FLOW_FIELDS = {"supplier", "gas", "factor_id", "amount", "unit"}


def _get(item: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, kind):
        raise InvalidParameter(
            f"{where}.{key}: missing or of the wrong type", field=f"{where}.{key}"
        )
    if isinstance(value, int) and float in (kind if isinstance(kind, tuple) else (kind,)):
        try:
            return float(value)
        except OverflowError:
            raise InvalidParameter(f"{where}.{key}: too large", field=f"{where}.{key}") from None
    return value


def _flow(item: Any, where: str) -> Flow:
    if not isinstance(item, dict) or set(item) - FLOW_FIELDS:
        raise InvalidParameter(f"{where}: an object with {sorted(FLOW_FIELDS)} only", field=where)
    texts = {}
    for key in ("supplier", "gas", "factor_id"):
        value = item.get(key)
        if value is not None and not isinstance(value, str):
            raise InvalidParameter(f"{where}.{key}: must be text", field=f"{where}.{key}")
        texts[key] = value
    amount = float(_get(item, "amount", (int, float), where))
    return Flow(amount, _get(item, "unit", str, where), **texts)


def parse(body: Any) -> list[Definition]:
    """The definitions in ``body`` (``{"processes": [...]}`` or a list)."""
    items = body.get("processes") if isinstance(body, dict) else body  # "about" is a comment
    if not isinstance(items, list):
        raise InvalidParameter('give {"processes": [...]}', field="processes")
    found = []
    for i, item in enumerate(items):
        where = f"processes[{i}]"
        if not isinstance(item, dict) or set(item) - FIELDS:
            raise InvalidParameter(f"{where}: an object with {sorted(FIELDS)} only", field=where)
        lists = {}
        for key in ("inputs", "emissions"):
            value = item.get(key, [])
            if not isinstance(value, list):
                raise InvalidParameter(f"{where}.{key}: must be a list", field=f"{where}.{key}")
            lists[key] = tuple(_flow(f, f"{where}.{key}[{j}]") for j, f in enumerate(value))
        found.append(
            Definition(
                code=_get(item, "code", str, where),
                name=_get(item, "name", str, where),
                unit=_get(item, "unit", str, where),
                output=float(_get({"output": 1.0} | item, "output", (int, float), where)),
                kind=_get({"kind": "process"} | item, "kind", str, where),
                inputs=lists["inputs"],
                emissions=lists["emissions"],
            )
        )
    return found
