"""`flask --app app reminders run [--date YYYY-MM-DD]`, `reminders catch-up`, `reminders deliver`."""
from datetime import date

import click
from flask.cli import AppGroup

from models import db
from tracker import clock
from tracker.services import mail, reminders

reminders_cli = AppGroup("reminders", help="Nhắc hạn: quét hằng ngày và gửi thư.")


def _parse_day(_ctx, _param, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"«{value}» không phải ngày dạng YYYY-MM-DD (ví dụ 2025-03-17)") from None


@reminders_cli.command("run")
@click.option("--date", "day", callback=_parse_day, default=None,
              help="Ngày cần quét (YYYY-MM-DD); mặc định hôm nay. Quét lại một ngày không gửi trùng.")
@click.option("--no-send", is_flag=True, help="Chỉ ghi thông báo, không gửi thư.")
def run(day: date | None, no_send: bool) -> None:
    """Scan one day now (idempotent), then send the emails that are due."""
    result = reminders.scan_day(day or clock.today(), on_batch=db.session.commit)
    db.session.commit()
    click.echo(result.line())
    if not no_send:
        click.echo(mail.deliver_due(db.session.commit).line())
        db.session.commit()


@reminders_cli.command("catch-up")
def catch_up() -> None:
    """Scan every day missed since the last finished scan (at most a week), then today."""
    results = reminders.catch_up(clock.today(), on_batch=db.session.commit)
    db.session.commit()
    for result in results:
        click.echo(result.line())
    if not results:
        click.echo("Không có ngày nào cần quét bù.")


@reminders_cli.command("deliver")
def deliver() -> None:
    """Send the emails whose time has come (retries included)."""
    click.echo(mail.deliver_due(db.session.commit).line())
    db.session.commit()
