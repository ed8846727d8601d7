"""``GET /media/{name}``: the images of the local media store (``NEWSLETTER_MEDIA_DIR``).

Names are content-addressed (a hash of the bytes), so a name's bytes never change: they are
served with their image type and cached for a year, immutable. Anything else is a 404.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from newsletter.media.store import CACHE_CONTROL, LocalMediaStore, content_type_of
from subscribers.services import services


async def media_file(request: Request) -> Response:
    """The stored image ``name``, or 404 (unknown or malformed names, the S3 store)."""
    settings = services(request).settings
    name = str(request.path_params["name"])
    content_type = content_type_of(name)
    path = LocalMediaStore(settings.media_dir, base_url="").path(name)
    if settings.media_store != "local" or content_type is None or path is None:
        raise HTTPException(404)
    if not path.is_file():
        raise HTTPException(404)
    return FileResponse(
        path,
        media_type=content_type,
        headers={"Cache-Control": CACHE_CONTROL, "X-Content-Type-Options": "nosniff"},
    )
