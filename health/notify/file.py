"""The file sender: each reminder as one JSON line appended to a file (tests, the demo, and a
deployment that hands the file to another system). The line holds the outbox row's id, the
account id, the channel, the language and the text only: no name, no child, no health detail."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

from health.notify import Message

FILE_VARIABLE = "CHILDHEALTH_NOTIFY_FILE"
DEFAULT_FILE = "var/notifications.jsonl"


class FileSender:
    """Appends one JSON line per message to ``path`` (its folder is made when missing)."""

    channel = "file"

    def __init__(self, path: str | os.PathLike[str] = DEFAULT_FILE) -> None:
        self.path = Path(path)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> FileSender:
        """The sender writing to ``CHILDHEALTH_NOTIFY_FILE`` (default :data:`DEFAULT_FILE`)."""
        return cls(environ.get(FILE_VARIABLE, "").strip() or DEFAULT_FILE)

    def send(self, message: Message) -> None:
        """Append the message's line (an OSError is a failed attempt, retried by the outbox)."""
        line = {
            "id": message.notification_id,
            "user": message.user_id,
            "channel": self.channel,
            "lang": message.language,
            "text": message.text,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")
