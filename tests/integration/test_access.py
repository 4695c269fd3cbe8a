"""Roles and access, enforced in one place (bot/services/access.py): each role can
do what it should and nothing more, checked through the real chat."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.db.models import Staff
from bot.domain.enums import Role
from bot.services.access import POLICY, Action, allowed
from tests.integration.harness import local, running_bot

MONDAY = dt.date(2026, 11, 23)
PEOPLE = {
    "staff": "Trần Thị Bình",
    "union": "Lê Văn Cường",
    "inspector": "Đỗ Văn Giám",
    "leader": "Nguyễn Văn An",
    "admin": "Phan Thị Quản",
}
ROSTER = [
    ["Họ và tên", "Đơn vị", "Số điện thoại", "Vai trò"],
    [PEOPLE["staff"], "Văn phòng", "0912000002", ""],
    [PEOPLE["union"], "Văn phòng", "0912000003", "công đoàn"],
    [PEOPLE["inspector"], "Văn phòng", "0912000004", "thanh tra nhân dân"],
    [PEOPLE["leader"], "Ban Giám đốc", "0912000001", "lãnh đạo"],
    [PEOPLE["admin"], "Văn phòng", "0912000005", "quản trị"],
]
# what each command answers when allowed, and when refused
COMMANDS = {
    "/baocao": ("📊", "chỉ dành cho lãnh đạo, công đoàn và quản trị viên"),
    "/thongbao": ("📢", "Chức năng thông báo chỉ dành cho"),
    "/thongbao_ketqua": (None, "Chức năng thông báo chỉ dành cho"),
    "/dashboard": ("chỉ dùng được một lần", "Bảng theo dõi chỉ dành cho"),
}
MAY = {
    "/baocao": {"union", "inspector", "leader", "admin"},
    "/thongbao": {"union", "leader", "admin"},
    "/thongbao_ketqua": {"union", "leader", "admin"},
    "/dashboard": {"union", "inspector", "leader", "admin"},
}


def test_the_policy_table() -> None:
    person = Staff(full_name="x", roles="staff", active=True)
    matrix = {}
    for role in Role:
        person.role_set = frozenset({role})
        matrix[role] = {action for action in Action if allowed(person, action)}
    assert matrix[Role.STAFF] == {Action.READ}
    assert matrix[Role.UNION] == {Action.READ, Action.REPORT, Action.ANNOUNCE, Action.ANNOUNCE_RESULTS,
                                  Action.FEEDBACK_LIST, Action.FEEDBACK_ANSWER, Action.FEEDBACK_PUBLISH, Action.DASHBOARD}
    assert matrix[Role.INSPECTOR] == {Action.READ, Action.REPORT, Action.FEEDBACK_LIST, Action.FEEDBACK_ANSWER,
                                      Action.DASHBOARD}
    assert matrix[Role.LEADER] == set(Action)
    assert matrix[Role.ADMIN] == {Action.READ, Action.REPORT, Action.ANNOUNCE, Action.ANNOUNCE_RESULTS,
                                  Action.FEEDBACK_LIST, Action.INFO_REQUESTS, Action.DASHBOARD}
    person.active = False
    person.role_set = frozenset(Role)
    assert not any(allowed(person, action) for action in Action)  # someone who left can do nothing
    assert set(POLICY) == set(Action)


@pytest.mark.parametrize("role", list(PEOPLE))
async def test_each_role_in_chat(db_url: str, role: str) -> None:
    name = PEOPLE[role]
    async with running_bot(db_url, local(MONDAY, 9)) as bot:
        await bot.open_campaign(MONDAY, ROSTER)
        await bot.runtime.tick()  # the campaign opens
        await bot.register(name)
        await bot.wait_bot_messages(name, 2)  # the welcome and the open campaign
        user = bot.users[name]
        for command, (yes, no) in COMMANDS.items():
            count = len(await bot.bot_messages(name))
            await bot.sandbox.send_text(user.id, command)
            # /baocao, when allowed, also sends the chart and the two report files of the open campaign
            answers = 4 if command == "/baocao" and role in MAY[command] else 1
            new = (await bot.wait_bot_messages(name, count + answers, timeout=30))[count:]
            assert len(new) == answers, (command, [m.kind for m in new])
            reply = new[0].text
            if role in MAY[command]:
                assert no not in reply, (command, reply)
                if yes is not None:
                    assert yes in reply, (command, reply)
            else:
                assert no in reply, (command, reply)
            await bot.sandbox.send_text(user.id, "/huongdan")  # leave any conversation started
            await bot.wait_bot_messages(name, count + answers + 1)
        # /gopy: those who handle comments get the list; everyone else writes one
        count = len(await bot.bot_messages(name))
        await bot.sandbox.send_text(user.id, "/gopy")
        reply = (await bot.wait_bot_messages(name, count + 1))[-1].text
        if role == "staff":
            assert "Góp ý về" in reply
        else:
            assert "Góp ý" in reply and "Góp ý về" not in reply, reply
