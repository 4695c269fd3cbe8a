"""A person's rights over their personal data (Nghị định 13/2023/NĐ-CP; Luật Bảo vệ dữ liệu cá
nhân 91/2025/QH15; docs/privacy.md): ``export`` gives them everything stored about them,
``forget`` erases it on request.

Forgetting keeps the agency's evidence and its counts: the person's row stays, under a
pseudonym (``#<id>``), with the department and roles the counts are broken down by, so the
acknowledgments, comments and deliveries they made still count in every report; what named
or reached them goes: name, phone, email, position, invite code, messenger accounts and chat
ids, sign-in links and sessions, what is still queued for them. The audit trail only ever
names people by staff id (``staff:<id>``), so it needs no change, and its hash chain stays
whole. Their comments stay in the campaign's record (the law asks for every comment to be
summarised and answered) under the pseudonym. Anonymous comments cannot be exported or
erased per person: nothing links them to anyone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.db.engine import wipe_wal_after_commit
from bot.db.models import (
    Ack,
    AnnouncementAck,
    AuditEvent,
    CampaignMember,
    ChannelIdentity,
    Delivery,
    Feedback,
    InfoRequest,
    Staff,
    WebLink,
    WebSession,
)
from bot.domain.enums import DeliveryStatus
from bot.services import audit


class NotFound(Exception):
    pass


def pseudonym(staff_id: int) -> str:
    return f"#{staff_id}"


@dataclass(frozen=True)
class Forgotten:
    staff_id: int
    pseudonym: str
    identities: int
    cancelled: int
    already: bool = False


async def forget(session: AsyncSession, staff_id: int, now: dt.datetime, actor: str = "cli") -> Forgotten:
    """Erase the personal data of ``staff_id``; the counts in reports stay as they were."""
    person = await session.get(Staff, staff_id, with_for_update=True)
    if person is None:
        raise NotFound(staff_id)
    if person.forgotten_at is not None:
        return Forgotten(staff_id, person.full_name, 0, 0, already=True)
    identities = (await session.execute(delete(ChannelIdentity).where(ChannelIdentity.staff_id == staff_id))).rowcount
    await session.execute(delete(WebLink).where(WebLink.staff_id == staff_id))
    await session.execute(delete(WebSession).where(WebSession.staff_id == staff_id))
    cancelled = (await session.execute(
        update(Delivery).where(Delivery.staff_id == staff_id, Delivery.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.CANCELLED, last_error="personal data erased")
    )).rowcount
    # what the messengers called them and what was said to them (their own comments quoted back)
    await session.execute(
        update(Delivery).where(Delivery.staff_id == staff_id)
        .values(chat_id=None, external_message_id=None, payload=None)
    )
    # their name in the notices others received about their requests for a document
    request_ids = (await session.scalars(select(InfoRequest.id).where(InfoRequest.staff_id == staff_id))).all()
    if request_ids:
        notices = (await session.scalars(
            select(Delivery).where(Delivery.source.in_([f"info-request:{r}" for r in request_ids]))
        )).all()
        for notice in notices:
            if notice.payload and "name" in notice.payload:
                notice.payload = {**notice.payload, "name": pseudonym(staff_id)}
    person.full_name = pseudonym(staff_id)
    person.phone = person.email = person.position = None
    person.invite_code_hash = None
    person.invite_used_at = None
    person.preferred_channel = person.last_channel = None
    person.active = False
    person.forgotten_at = person.updated_at = now
    audit.record(session, now, actor, "staff.forget", "staff", staff_id, identities=int(identities or 0))
    await session.flush()
    await wipe_wal_after_commit(session)  # the old values leave the write-ahead log too
    return Forgotten(staff_id, person.full_name, int(identities or 0), int(cancelled or 0))


def _at(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def export(session: AsyncSession, staff_id: int) -> dict[str, Any]:
    """Everything stored about ``staff_id``, under the keys listed in docs/privacy.md."""
    person = await session.scalar(
        select(Staff).where(Staff.id == staff_id).options(selectinload(Staff.department), selectinload(Staff.identities))
    )
    if person is None:
        raise NotFound(staff_id)
    members = (await session.scalars(
        select(CampaignMember).where(CampaignMember.staff_id == staff_id).order_by(CampaignMember.id)
    )).all()
    acks = (await session.scalars(select(Ack).where(Ack.staff_id == staff_id).order_by(Ack.id))).all()
    announcement_acks = (await session.scalars(
        select(AnnouncementAck).where(AnnouncementAck.staff_id == staff_id).order_by(AnnouncementAck.id)
    )).all()
    comments = (await session.scalars(
        select(Feedback).where(Feedback.staff_id == staff_id, Feedback.anonymous.is_(False))
        .order_by(Feedback.created_at)
    )).all()
    requests = (await session.scalars(
        select(InfoRequest).where(InfoRequest.staff_id == staff_id).order_by(InfoRequest.id)
    )).all()
    deliveries = (await session.scalars(
        select(Delivery).where(Delivery.staff_id == staff_id).order_by(Delivery.id)
    )).all()
    events = (await session.scalars(
        select(AuditEvent).where(
            (AuditEvent.actor == f"staff:{staff_id}")
            | ((AuditEvent.target_type == "staff") & (AuditEvent.target_id == staff_id))
        ).order_by(AuditEvent.id)
    )).all()
    return {
        "ma_nhan_su": person.id,
        "ho_va_ten": person.full_name,
        "don_vi": person.department.name if person.department else None,
        "chuc_vu": person.position,
        "so_dien_thoai": person.phone,
        "email": person.email,
        "vai_tro": sorted(r.value for r in person.role_set),
        "dang_hoat_dong": person.active,
        "da_dung_ma_moi_luc": _at(person.invite_used_at),
        "kenh_uu_tien": person.preferred_channel.value if person.preferred_channel else None,
        "kenh_dung_gan_nhat": person.last_channel.value if person.last_channel else None,
        "tao_luc": _at(person.created_at),
        "cap_nhat_luc": _at(person.updated_at),
        "da_xoa_du_lieu_luc": _at(person.forgotten_at),
        "tai_khoan_nhan_tin": [
            {"kenh": i.channel.value, "ma_tai_khoan": i.external_user_id, "ma_cuoc_tro_chuyen": i.chat_id,
             "nhan_duoc_tin": i.reachable, "ly_do_khong_nhan_duoc": i.unreachable_reason,
             "lien_ket_luc": _at(i.linked_at), "dung_gan_nhat_luc": _at(i.last_seen_at)}
            for i in person.identities
        ],
        "dot_cong_khai": [
            {"ma_dot": m.campaign_id, "tham_gia_luc": _at(m.joined_at), "tham_gia_muon": m.late,
             "han_luc": _at(m.deadline_at), "roi_luc": _at(m.removed_at)}
            for m in members
        ],
        "xac_nhan_doc": [
            {"ma_dot": a.campaign_id, "muc": a.item, "luc": _at(a.at), "qua_kenh": a.via.value if a.via else None}
            for a in acks
        ],
        "xac_nhan_thong_bao": [
            {"ma_thong_bao": a.announcement_id, "luc": _at(a.at), "qua_kenh": a.via.value if a.via else None}
            for a in announcement_acks
        ],
        "gop_y_co_ten": [
            {"ma_gop_y": f.id, "ma_dot": f.campaign_id, "noi_dung": f.text, "trang_thai": f.status.value,
             "tra_loi": f.answer, "tra_loi_luc": _at(f.answered_at), "gui_luc": _at(f.created_at)}
            for f in comments
        ],
        "yeu_cau_tai_lieu": [
            {"ma_yeu_cau": r.id, "noi_dung": r.text, "gui_luc": _at(r.created_at), "tra_loi": r.answer,
             "tra_loi_luc": _at(r.answered_at)}
            for r in requests
        ],
        "tin_da_gui": [
            {"nguon": d.source, "loai": d.kind.value, "muc": d.item, "kenh": d.channel.value if d.channel else None,
             "trang_thai": d.status.value, "gui_luc": _at(d.sent_at)}
            for d in deliveries
        ],
        "nhat_ky": [
            {"luc": _at(e.at), "nguoi_lam": e.actor, "viec": e.action, "doi_tuong": e.target_type,
             "ma_doi_tuong": e.target_id, "chi_tiet": e.details}
            for e in events
        ],
    }
