"""E-mail over SMTP: ``ONETHING_SMTP_URL`` names the server.

``smtp://host:port`` (plain; add ``?starttls=true`` to upgrade the connection), ``smtps://host:port`` (TLS
from the start), with ``user:password@`` before the host when the server wants a login (percent-encode
special characters). ``ONETHING_MAIL_FROM`` is the sender's address.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_FROM = "OneThing <noreply@onething.invalid>"
TRUE = ("1", "true", "yes", "on")


@dataclass(frozen=True)
class SmtpSender:
    """Sends one e-mail per call over one SMTP connection."""

    host: str
    port: int
    username: str = ""
    password: str = ""
    tls: bool = False  # smtps: TLS from the first byte
    starttls: bool = False
    sender: str = DEFAULT_FROM
    timeout: float = 15.0

    @classmethod
    def from_url(cls, url: str, sender: str = "") -> SmtpSender:
        """The sender ``url`` describes (``smtp://user:password@host:port?starttls=true`` or ``smtps://…``)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"ONETHING_SMTP_URL must look like smtp://host:port or smtps://host:port, not {url!r}")
        query = parse_qs(parts.query)
        tls = parts.scheme == "smtps"
        return cls(host=parts.hostname, port=parts.port or (465 if tls else 25),
                   username=unquote(parts.username or ""), password=unquote(parts.password or ""), tls=tls,
                   starttls=query.get("starttls", [""])[0].lower() in TRUE, sender=sender or DEFAULT_FROM)

    def describe(self) -> str:
        """Where mail goes, without the password."""
        scheme = "smtps" if self.tls else "smtp"
        return f"{scheme}://{self.host}:{self.port}" + (" (STARTTLS)" if self.starttls else "")

    def send(self, address: str, subject: str, body: str) -> None:
        """Send a plain-text e-mail to ``address`` (raises on any refusal or network failure)."""
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, address, subject
        message["Date"], message["Message-ID"] = formatdate(localtime=True), make_msgid(domain="onething")
        message.set_content(body)
        context = ssl.create_default_context()
        connection = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context) if self.tls \
            else smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        with connection as smtp:
            if self.starttls:
                smtp.starttls(context=context)
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)
