"""The only door the mirror has to the API: GET operations, a bounded number in flight.

:class:`MirrorReader` wraps a :class:`SerenClient` (auth, retries and errors stay there) and exposes
read methods only; the write operations on invites, members, the chat policy and publishers are not
reachable through it. Records come back as the JSON the server sent (checked against the
contract's models by the client), so the mirror keeps fields newer than this client.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # importing this module loads no HTTP stack; the caller brings the client
    from skillsync.remote.client import SerenClient
    from skillsync.remote.models import PaginationMeta

Record = dict[str, Any]
DEFAULT_CONCURRENCY: Final = 8
PAYOUT_PAGE: Final = 100  # the contract's default is 50; the local registry allows up to 500


class MirrorReader:
    """GET-only access to one remote, at most ``concurrency`` requests at a time.

    ``on_progress(done, scheduled)`` is called after each call (the pull's progress bar; the total
    grows as publishers and skills are discovered).
    """

    def __init__(
        self,
        client: SerenClient,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.__client = client
        self.__gate = asyncio.Semaphore(max(1, concurrency))
        self.__on_progress = on_progress
        self.__scheduled = 0
        self.__done = 0

    @property
    def request_count(self) -> int:
        return self.__client.request_count

    async def __get(
        self, op: str, params: dict[str, str] | None = None, **path: str
    ) -> tuple[Any, PaginationMeta | None]:
        self.__scheduled += 1
        async with self.__gate:
            try:
                return await self.__client.read_data(op, path=path, params=params)
            finally:
                self.__done += 1
                if self.__on_progress is not None:
                    self.__on_progress(self.__done, self.__scheduled)

    async def __list(self, op: str, params: dict[str, str] | None = None, **path: str) -> list[Record]:
        data, _ = await self.__get(op, params, **path)
        return list(data)

    async def __one(self, op: str, params: dict[str, str] | None = None, **path: str) -> Record:
        data, _ = await self.__get(op, params, **path)
        return dict(data)

    async def organizations(self) -> list[Record]:
        return await self.__list("list_organizations")

    async def members(self, org: str) -> list[Record]:
        return await self.__list("list_members", organization_id=org)

    async def invites(self, org: str) -> list[Record]:
        return await self.__list("list_invites", organization_id=org)

    async def chat_policy(self, org: str) -> Record:
        return await self.__one("get_private_chat_policy", organization_id=org)

    async def publishers(self, org: str) -> list[Record]:
        return await self.__list("list_org_publishers", organization_id=org)

    async def publisher(self, org: str, pub: str) -> Record:
        return await self.__one("get_org_publisher", organization_id=org, publisher_id=pub)

    async def earnings(self, org: str, pub: str) -> list[Record]:
        return await self.__list("get_org_publisher_earnings", organization_id=org, publisher_id=pub)

    async def payouts(self, org: str, pub: str, *, page_size: int = PAYOUT_PAGE) -> list[Record]:
        """Every payout: the first page tells the total, the other pages are fetched concurrently;
        if payouts arrived meanwhile, pages continue until ``has_more`` is false. Deduplicated by id."""
        op, ids = "list_org_publisher_payouts", {"organization_id": org, "publisher_id": pub}

        async def page(offset: int) -> tuple[list[Record], PaginationMeta | None]:
            data, meta = await self.__get(op, {"limit": str(page_size), "offset": str(offset)}, **ids)
            return list(data), meta

        items, meta = await page(0)
        if meta is not None and meta.has_more and items:
            step = len(items)
            rest = await asyncio.gather(*(page(off) for off in range(step, meta.total, step)))
            for more, _ in rest:
                items.extend(more)
            last = rest[-1][1] if rest else meta
            offset = max(len(items), meta.total)
            while last is not None and last.has_more:
                more, last = await page(offset)
                if not more:
                    break
                items.extend(more)
                offset += len(more)
        seen: set[str] = set()
        unique = []
        for item in items:
            if item.get("id") not in seen:
                seen.add(str(item.get("id")))
                unique.append(item)
        return unique

    async def revenue(self, org: str, pub: str, *, days: int) -> Record:
        return await self.__one(
            "get_revenue_metrics", {"days": str(days)}, organization_id=org, publisher_id=pub
        )

    async def revenue_by_day(self, org: str, pub: str, *, days: int) -> list[Record]:
        return await self.__list(
            "get_revenue_by_day", {"days": str(days)}, organization_id=org, publisher_id=pub
        )

    async def top_agents(self, org: str, pub: str, *, limit: int) -> list[Record]:
        return await self.__list(
            "get_top_agents", {"limit": str(limit)}, organization_id=org, publisher_id=pub
        )

    async def skills(self, org: str) -> list[Record]:
        return await self.__list("list_custom_skills", {"include_archived": "true"}, organization_id=org)

    async def revisions(self, org: str, skill: str) -> list[Record]:
        return await self.__list("list_custom_skill_revisions", organization_id=org, skill_id=skill)
