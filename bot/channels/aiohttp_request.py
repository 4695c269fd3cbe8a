"""python-telegram-bot's HTTP layer on the application's aiohttp session.

DESIGN.md §6: measured here, the default httpx transport costs 3–10× the CPU per
``send_message`` of an aiohttp one at broadcast concurrency. PTB's objects and
handlers stay; only the transport changes. One ``ClientSession`` is shared with
the Zalo client.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import orjson
from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData


class JsonCall:
    """One Bot API call's parameters as plain JSON values, built by the caller.

    ``BaseRequest.post`` hands its ``request_data`` through to ``do_request`` untouched, so
    this stands in for PTB's ``RequestData`` on this transport: the call keeps PTB's error
    handling (Forbidden, RetryAfter, BadRequest…) without PTB objects on either side.
    """

    multipart_data = None

    def __init__(self, parameters: dict[str, Any]) -> None:
        self.parameters = {name: value for name, value in parameters.items() if value is not None}


class AiohttpRequest(BaseRequest):
    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        read_timeout: float | None = 10.0,
        connect_timeout: float | None = 5.0,
        write_timeout: float | None = 10.0,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._write_timeout = write_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
            self._owns_session = True

    async def shutdown(self) -> None:
        if self._owns_session and self._session is not None and not self._session.closed:
            await self._session.close()

    @staticmethod
    def parse_json_payload(payload: bytes) -> Any:
        """The Bot API's answer, read by orjson (about a third of the standard library's time on a
        sent section's echo; every send and every button answer reads one); what orjson refuses
        (bytes that are not UTF-8, an integer past 64 bits) goes to python-telegram-bot's own
        reader, which decides as it always did."""
        try:
            return orjson.loads(payload)
        except orjson.JSONDecodeError:
            return BaseRequest.parse_json_payload(payload)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | JsonCall | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        write = self._write_timeout if isinstance(write_timeout, DefaultValue) else write_timeout
        total = None if read is None else read + (connect or 0) + (write or 0)
        timeout = aiohttp.ClientTimeout(total=total, sock_connect=connect, sock_read=read)
        kwargs: dict[str, Any] = {"timeout": timeout, "headers": {"User-Agent": self.USER_AGENT}}
        if request_data is not None:
            files = request_data.multipart_data
            if files and isinstance(request_data, RequestData):
                form = aiohttp.FormData()
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mimetype) in files.items():
                    if not isinstance(content, (bytes, bytearray)):
                        content = content.read()
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                kwargs["data"] = form
            else:
                # One JSON body, as the Bot API accepts: far cheaper than form-encoding long texts
                kwargs["data"] = dumps(request_data.parameters)
                kwargs["headers"] = {**kwargs["headers"], "Content-Type": "application/json"}
        try:
            async with self._session.request(method, url, **kwargs) as response:
                return response.status, await response.read()
        except asyncio.TimeoutError as error:
            raise TimedOut() from error
        except aiohttp.ClientError as error:
            # The URL holds the token: never put it in the message.
            raise NetworkError(f"aiohttp.{type(error).__name__}") from error


def dumps(value: Any) -> bytes:
    """A call's parameters as JSON (orjson: a twentieth of the standard library's time on a
    section's text); a value orjson refuses, such as an integer past 64 bits, by the standard
    library, as before."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, ensure_ascii=False).encode()
