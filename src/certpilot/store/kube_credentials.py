"""The Authorization header for a kubeconfig user: a token, a token file the kubelet rotates, an
exec credential plugin, or basic auth (client certificates are in the TLS context instead).

lightkube parses the kubeconfig and runs exec plugins; this only keeps the header current for the
aiohttp transport: a 401 answer makes the next request re-read the token file or re-run the plugin.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from pathlib import Path

from lightkube.config.client_adapter import async_check_output
from lightkube.config.models import User, UserExec
from lightkube.core.exceptions import ConfigError

# A token file is re-read at least this often even without a 401 (the kubelet rotates it hourly).
TOKEN_FILE_REREAD_S = 60.0


class KubeCredentialError(RuntimeError):
    """The kubeconfig user's credential could not be obtained (the message says from where)."""


class KubeCredentials:
    def __init__(self, user: User | None) -> None:
        self._user = user
        self._header: str | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def header(self) -> str | None:
        """The Authorization header value, None when the user authenticates by certificate only."""
        user = self._user
        if user is None:
            return None
        if user.token_file and _now() - self._read_at > TOKEN_FILE_REREAD_S:
            self._header = None
        if self._header is None:
            async with self._lock:
                if self._header is None:
                    self._header = await self._obtain(user)
                    self._read_at = _now()
        return self._header

    def rejected(self) -> None:
        """The API server answered 401: obtain the credential again for the next request."""
        self._header = None

    async def _obtain(self, user: User) -> str | None:
        if user.token_file:
            try:
                token = await asyncio.to_thread(Path(user.token_file).read_text)
                return f"Bearer {token.strip()}"
            except OSError as error:
                raise KubeCredentialError(f"cannot read token file {user.token_file}: {error}") from None
        if user.token:
            return f"Bearer {user.token}"
        if user.exec:
            return f"Bearer {await _exec_token(user.exec)}"
        if user.username and user.password:
            basic = base64.b64encode(f"{user.username}:{user.password}".encode()).decode()
            return f"Basic {basic}"
        if user.auth_provider:
            raise KubeCredentialError(
                "kubeconfig auth-provider plugins are not supported: use exec or a token"
            )
        return None


async def _exec_token(plugin: UserExec) -> str:
    environment = dict(os.environ)
    environment.update((variable.name, variable.value) for variable in plugin.env or ())
    try:
        output = await async_check_output([plugin.command, *(plugin.args or [])], env=environment)
        return str(json.loads(output)["status"]["token"])
    except (ConfigError, OSError, ValueError, KeyError, TypeError) as error:
        raise KubeCredentialError(
            f"exec credential plugin {plugin.command!r} gave no token: {type(error).__name__}: {error}"
        ) from None


def _now() -> float:
    return asyncio.get_running_loop().time()
