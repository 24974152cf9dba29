"""edgebert: BERT inference on small devices.

    import edgebert
    model = edgebert.Model("sst2_int8.ebm")          # mmap'd, verified, never copied
    session = model.session(max_seq=64)              # one arena of the planned size
    print(session.classify("a gripping, funny film").label)

Model and Session wrap the C API (edgebert/edgebert.h) one to one; the runtime allocates nothing
and the GIL is released while it runs. Errors from the runtime raise edgebert.Error, whose
`status` names the eb_status.
"""

from ._edgebert import (
    Answer,
    Classification,
    Entity,
    Error,
    Model,
    Session,
    SCHEMA_VERSION,
    TokenScore,
    Tokens,
    __version__,
    provider_available,
)

__all__ = [
    "Answer",
    "Classification",
    "Entity",
    "Error",
    "Model",
    "Session",
    "SCHEMA_VERSION",
    "TokenScore",
    "Tokens",
    "__version__",
    "provider_available",
]
