"""The base every contract model shares."""

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Immutable and strict: a typo in a field name is an error, never a silently ignored key."""

    model_config = ConfigDict(frozen=True, extra="forbid")
