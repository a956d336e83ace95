"""A post's attachments: each with its alt text, a preview of images (half blocks, or the terminal's own
graphics with `[desk] images = "terminal"`), and `o` to open outside."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static

from socialdesk.errors import UserError
from socialdesk.sanitize import clean
from socialdesk.viewmodels import Attachment
from socialdesk.widgets import terminal_images
from socialdesk.widgets.picture import Picture

if TYPE_CHECKING:
    from PIL.Image import Image


def describe(index: int, item: Attachment) -> Text:
    """One attachment as a line or two: kind, size, alt text (or that it has none)."""
    line = Text(f"{index}. {item.kind}")
    if item.width and item.height:
        line.append(f" · {item.width}×{item.height}", "dim")
    if item.alt:
        line.append("\n   alt: ")
        line.append(clean(item.alt, single_line=True), "italic")
    else:
        line.append("\n   no alt text", "bold")
    return line


class PictureLoaded(Message):
    """An attachment's image was fetched and decoded (or why not, in one line)."""

    def __init__(self, index: int, image: Image | None, error: str = "") -> None:
        super().__init__()
        self.index = index
        self.image = image
        self.error = error


class MediaScreen(ModalScreen[None]):
    """j/k choose an attachment, enter previews an image, o opens it in the browser, escape closes."""

    DEFAULT_CSS = """
    MediaScreen {
        align: center middle;
        & > Vertical { width: 90%; max-width: 130; height: 80%; border: thick $primary;
                       background: $surface; padding: 0 1; }
        & #media-panes { height: 1fr; }
        & #media-list { width: 2fr; height: 1fr; }
        & #media-preview { width: 3fr; }
        & #media-preview > .graphics { width: 100%; height: 1fr; }
        & #media-keys { color: $text-muted; height: 1; }
    }
    """
    BINDINGS = [
        Binding("escape,q", "close", "Close", id="media.close"),
        Binding("j,down", "move(1)", "Next", show=False, id="media.down"),
        Binding("k,up", "move(-1)", "Previous", show=False, id="media.up"),
        Binding("enter,p", "preview", "Preview", id="media.preview"),
        Binding("o", "open", "Open outside", id="media.open"),
    ]

    def __init__(self, title: str, items: tuple[Attachment, ...]) -> None:
        super().__init__()
        self.title_text = title
        self.items = items
        self.index = 0

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text(clean(self.title_text, single_line=True), "bold"))
            with Horizontal(id="media-panes"):
                yield Static(id="media-list")
                with Vertical(id="media-preview"):
                    yield Picture()
            yield Static(
                Text("j/k choose · enter preview · o open in the browser · escape close"), id="media-keys"
            )

    def on_mount(self) -> None:
        self._show_list()
        self.query_one(Picture).message = "enter shows a preview of an image"

    def _show_list(self) -> None:
        text = Text()
        for number, item in enumerate(self.items, 1):
            if number > 1:
                text.append("\n")
            entry = describe(number, item)
            if number - 1 == self.index:
                entry.stylize("reverse", 0, len(entry.plain.split("\n")[0]))
            text.append_text(entry)
        self.query_one("#media-list", Static).update(text)

    def action_move(self, step: int) -> None:
        self.index = (self.index + step) % len(self.items)
        self._show_list()

    def action_preview(self) -> None:
        """Fetch and decode the chosen image in a worker (never on the screen's thread)."""
        from socialdesk.services import media_fetch

        item = self.items[self.index]
        url = item.preview_url or item.url if item.kind in ("image", "gif") else item.preview_url
        picture = self.query_one(Picture)
        self._drop_graphics(picture)
        if not url:
            picture.image, picture.message = None, "No image to preview: o opens it in the browser"
            return
        picture.image, picture.message = None, "Fetching the image…"
        index = self.index

        def work() -> None:
            try:
                image = media_fetch.decode(media_fetch.download(url), f"attachment {index + 1}")
            except UserError as exc:
                self.post_message(PictureLoaded(index, None, str(exc)))
                return
            self.post_message(PictureLoaded(index, image))

        self.run_worker(
            work,
            thread=True,
            exit_on_error=False,
            group="media",
            exclusive=True,
            description="Fetching an image",
        )

    def on_picture_loaded(self, message: PictureLoaded) -> None:
        picture = self.query_one(Picture)
        if message.index != self.index:
            return  # the agent chose another attachment meanwhile
        if message.image is None:
            picture.image, picture.message = None, clean(message.error, single_line=True)
            return
        if terminal_images.prepared():  # drawn by the terminal itself (kitty's protocol or sixel)
            self._drop_graphics(picture)
            picture.display = False
            shown = terminal_images.picture(message.image)
            shown.add_class("graphics")
            self.query_one("#media-preview").mount(shown)
            return
        picture.image = message.image
        picture.refresh()

    def _drop_graphics(self, picture: Picture) -> None:
        """Remove a preview drawn in the terminal's graphics; the half-block pane says what happens next."""
        self.query("#media-preview > .graphics").remove()
        picture.display = True

    def action_open(self) -> None:
        item = self.items[self.index]
        if not item.url:
            self.notify("This attachment has no web address", severity="warning")
            return
        self.app.open_url(item.url)
        self.notify(f"Opened in the browser: {item.url}", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
