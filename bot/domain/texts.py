"""The Vietnamese catalogue: every string a person reads comes from here.

Keys are grouped by the part of the product that shows them. ``t(key, **values)``
formats a message; a missing value is a programming error and raises.
"""

from __future__ import annotations

CATALOGUE: dict[str, str] = {
    # --- generic -------------------------------------------------------------
    "error.generic": "Đã xảy ra lỗi: {reason}",
    # --- dates, the legal clock, the drip plan (bot.domain.dates/legal/drip) --
    "date.long": "ngày {day} tháng {month} năm {year}",
    "date.short": "{day}/{month}/{year}",
    "date.datetime_short": "{time} ngày {date}",
    "date.weekday.mon": "Thứ Hai",
    "date.weekday.tue": "Thứ Ba",
    "date.weekday.wed": "Thứ Tư",
    "date.weekday.thu": "Thứ Năm",
    "date.weekday.fri": "Thứ Sáu",
    "date.weekday.sat": "Thứ Bảy",
    "date.weekday.sun": "Chủ nhật",
    "date.invalid": "Không đọc được ngày “{value}”. Hãy viết theo dạng 23/11/2026 hoặc 2026-11-23.",
    "date.no_such_day": "Ngày {value} không có trên lịch. Hãy kiểm tra lại ngày và tháng.",
    "date.holiday.extra": "Ngày nghỉ theo thông báo của cơ quan",
    "legal.severity.error": "Lỗi",
    "legal.severity.warning": "Cảnh báo",
    "legal.severity.info": "Lưu ý",
    "legal.start_before_decision": "Ngày bắt đầu công khai ({start}) sớm hơn ngày ban hành quyết định ({decided}): không thể công khai văn bản trước khi văn bản được ban hành.",
    "legal.start_late": "Bắt đầu công khai {start} là quá hạn: theo khoản 2 Điều 47 Luật Thực hiện dân chủ ở cơ sở, quyết định ban hành {decided} phải được công khai chậm nhất {deadline} ({limit} ngày làm việc), nay chậm {late} ngày làm việc.",
    "legal.start_not_working_day": "Ngày bắt đầu công khai ({start}) không phải ngày làm việc: thời gian công khai vẫn tính từ ngày đó, phần đầu tiên sẽ được gửi {first}.",
    "legal.window_too_short": "Thời gian công khai {days} ngày là quá ngắn: khoản 1 Điều 48 Luật Thực hiện dân chủ ở cơ sở yêu cầu ít nhất {minimum} ngày liên tục.",
    "legal.window_empty": "Thời gian lấy ý kiến phải có ít nhất 1 ngày (đang đặt {days} ngày).",
    "legal.window_needs_end": "Đợt công khai bắt đầu {start} chưa có ngày kết thúc.",
    "legal.window_end_before_start": "Ngày kết thúc ({end}) sớm hơn ngày bắt đầu ({start}).",
    "legal.consultation_needs_deadline": "Đợt lấy ý kiến bắt đầu {start} chưa có hạn chót nhận góp ý. Hãy đặt ngày kết thúc.",
    "drip.no_working_days": "Từ {start} đến {end} không có ngày làm việc nào để gửi nội dung.",
    "drip.tail_shrunk": "Thời gian công khai chỉ có {working_days} ngày làm việc nên chỉ dành {kept} ngày cuối đợt (thay vì {requested}) cho việc nhắc nhở.",
    "drip.bad_send_window": "Khung giờ gửi {start}–{end} không hợp lệ: giờ bắt đầu phải sớm hơn giờ kết thúc.",
    "drip.bad_timezone": "Không nhận ra múi giờ “{tz}”. Ví dụ hợp lệ: Asia/Ho_Chi_Minh.",
    "drip.duplicate_section": "Mục số {ordinal} xuất hiện hai lần trong danh sách gửi.",
    "drip.bad_chunks": "Mục số {ordinal} có số tin nhắn không hợp lệ ({chunks}).",
    "drip.table.date": "Ngày",
    "drip.table.weekday": "Thứ",
    "drip.table.sections": "Mục gửi",
    "drip.table.chunks": "Số tin",
    "drip.table.reminder_day": "(nhắc nhở)",
    "drip.table.no_section": "—",
    # --- command line (the clerk) --------------------------------------------
    "cli.help": "Công khai: đưa quy chế của cơ quan đến điện thoại của từng cán bộ và chứng minh đã đưa.\n\nVí dụ:\n\n    congkhai db upgrade\n\n    congkhai staff import content/danh-sach-can-bo.csv\n\n    congkhai doc import content/quy-che-dan-chu.md",
    "cli.opt.database_url": "Cơ sở dữ liệu (mặc định lấy từ CONGKHAI_DATABASE_URL, hoặc tệp congkhai.db).",
    "cli.opt.json": "In kết quả dạng JSON.",
    "cli.db_not_current": "Cơ sở dữ liệu chưa được cập nhật cấu trúc. Hãy chạy: congkhai db upgrade",
    "cli.db.help": "Quản lý cơ sở dữ liệu.",
    "cli.db.upgrade.help": "Tạo hoặc cập nhật cấu trúc cơ sở dữ liệu lên bản mới nhất.\n\nVí dụ: CONGKHAI_DATABASE_URL=postgresql+asyncpg://user@host/congkhai congkhai db upgrade",
    "cli.db.upgraded": "Cơ sở dữ liệu đã ở phiên bản cấu trúc {revision}.",
    "cli.staff.help": "Danh sách cán bộ, công chức, người lao động.",
    "cli.staff.import.help": "Nhập danh sách cán bộ từ tệp CSV hoặc XLSX. Cột: Họ và tên, Đơn vị (hoặc Phòng ban), Chức vụ, Số điện thoại, Email, Vai trò. Người đã có (cùng số điện thoại) được cập nhật. Tệp có bất kỳ dòng lỗi nào thì không nhập gì cả.\n\nVí dụ: congkhai staff import danh-sach.xlsx --sync",
    "cli.staff.import.sync": "Ngừng hoạt động những người không còn trong tệp.",
    "cli.staff.list.help": "Liệt kê cán bộ.\n\nVí dụ: congkhai staff list --json",
    "cli.staff.list.all": "Kể cả người đã ngừng hoạt động.",
    "cli.staff.not_linked": "chưa liên kết",
    "cli.staff.count": "Tổng cộng: {count} người.",
    # --- roster (the clerk's staff list) -------------------------------------
    "roster.phone_foreign": "“{value}” không phải số điện thoại Việt Nam (+84)",
    "roster.phone_invalid": "“{value}” không phải số điện thoại hợp lệ (ví dụ 0912 345 678)",
    "roster.role_unknown": "không hiểu vai trò “{value}” (dùng: lãnh đạo, công đoàn, thanh tra nhân dân, quản trị; để trống nếu là cán bộ)",
    "roster.no_header": "không tìm thấy dòng tiêu đề (cần ít nhất cột “Họ và tên” và “Số điện thoại”)",
    "roster.missing_column": "thiếu cột này trong dòng tiêu đề",
    "roster.no_rows": "danh sách không có người nào",
    "roster.empty": "để trống",
    "roster.name_invalid": "họ tên “{value}” không hợp lệ",
    "roster.email_invalid": "“{value}” không phải địa chỉ email hợp lệ",
    "roster.duplicate_in_file": "trùng với dòng {other} trong cùng tệp",
    "roster.duplicate_email_db": "email này đã thuộc về {name} ({phone}) trong hệ thống",
    "roster.duplicate_person_db": "đã có {name} ở {department} với số {phone}; nếu người này đổi số điện thoại, hãy sửa số cũ trong tệp hoặc dùng --replace-phone",
    "roster.file_empty": "tệp rỗng",
    "roster.file_binary": "tệp không phải bảng tính CSV hay XLSX (có vẻ là tệp nhị phân)",
    "roster.file_encoding": "tệp không ở mã UTF-8 (có thể là Windows-1258 hoặc TCVN3). Trong Excel hãy chọn Lưu thành → “CSV UTF-8 (Comma delimited)”, hoặc lưu dạng .xlsx",
    "roster.file_too_big": "tệp quá lớn ({size} MB; tối đa {limit} MB)",
    "roster.file_type": "chỉ nhận tệp .csv hoặc .xlsx",
    "roster.file_unreadable": "không đọc được tệp: {reason}",
    "roster.file_missing": "không tìm thấy tệp",
    "roster.summary": "Đã nhập danh sách: {created} người mới, {updated} người cập nhật, {unchanged} không đổi, {deactivated} ngừng hoạt động.",
    "roster.rejected": "Không nhập gì cả: tệp có {count} lỗi. Sửa các dòng sau rồi nhập lại:",
}


def t(key: str, /, **values: object) -> str:
    """Return the catalogue message ``key`` formatted with ``values``."""
    return CATALOGUE[key].format(**values)
