"""Who may do what: one table for every command and button (Luật 10/2022 Art. 55,
60–62: the union co-organises and supervises, the inspectors (BTTND) receive
comments, leadership answers them). Every handler asks ``allowed`` before acting."""

from __future__ import annotations

import enum

from bot.db.models import Staff
from bot.domain.enums import Role


class Action(str, enum.Enum):
    READ = "read"  # receive, confirm, read on demand, progress, comment, ask for a document
    REPORT = "report"  # /baocao: acknowledgment counts
    ANNOUNCE = "announce"  # /thongbao: compose and send an announcement
    ANNOUNCE_RESULTS = "announce_results"  # /thongbao_ketqua
    FEEDBACK_LIST = "feedback_list"  # /gopy: list comments
    FEEDBACK_ANSWER = "feedback_answer"  # answer a comment (tiếp thu / giải trình)
    INFO_REQUESTS = "info_requests"  # see and answer requests for documents (Art. 48.4)
    FEEDBACK_PUBLISH = "feedback_publish"  # publish the synthesis of the comments to every member
    DASHBOARD = "dashboard"  # sign in to the web dashboard: counts, members, comments, report files


POLICY: dict[Action, frozenset[Role]] = {
    Action.READ: frozenset(Role),
    Action.REPORT: frozenset({Role.LEADER, Role.UNION, Role.INSPECTOR, Role.ADMIN}),
    Action.ANNOUNCE: frozenset({Role.UNION, Role.LEADER, Role.ADMIN}),
    Action.ANNOUNCE_RESULTS: frozenset({Role.UNION, Role.LEADER, Role.ADMIN}),
    Action.FEEDBACK_LIST: frozenset({Role.LEADER, Role.UNION, Role.INSPECTOR, Role.ADMIN}),
    Action.FEEDBACK_ANSWER: frozenset({Role.LEADER, Role.UNION, Role.INSPECTOR}),
    Action.INFO_REQUESTS: frozenset({Role.ADMIN, Role.LEADER}),
    Action.FEEDBACK_PUBLISH: frozenset({Role.LEADER, Role.UNION}),
    Action.DASHBOARD: frozenset({Role.LEADER, Role.UNION, Role.INSPECTOR, Role.ADMIN}),
}


def allowed(staff: Staff, action: Action) -> bool:
    """True when one of the person's roles may do ``action``."""
    return bool(staff.active and staff.role_set & POLICY[action])
