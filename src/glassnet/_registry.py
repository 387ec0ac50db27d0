"""Name lookup shared by activations, losses, optimizers and schedules.

Anywhere a name is accepted, so is a config dict ``{"name": ..., **parameters}`` (what
``get_config()`` returns) or a ready object of the family's base class.
"""

from __future__ import annotations


def lookup(spec, family: str, base: type, table: dict[str, type]):
    """Return an instance of ``base`` built from ``spec``, or ``spec`` itself if it is one."""
    if isinstance(spec, base):
        return spec
    if isinstance(spec, dict):
        config = dict(spec)
        name = config.pop("name", None)
    elif isinstance(spec, str):
        name, config = spec, {}
    else:
        raise TypeError(
            f"{family} must be a name, a config dict or an instance of {base.__name__}, "
            f"got {spec!r}"
        )
    if name not in table:
        raise ValueError(f"unknown {family} {name!r}; choose one of: {', '.join(table)}")
    try:
        return table[name](**config)
    except TypeError as error:
        raise ValueError(f"invalid parameters for {family} {name!r}: {config}") from error
