"""The app's image actions: the newest image's link (copy, open), a card's link, the viewer, the
gallery and jumping from it, copying an inline image.

A mixin of `AsiChatApp` (like `ConversationActions`); it uses the app's store, chat pane
and `open_conversation`. Handlers follow Textual's naming convention (`on_<message>`), so
the mixin needs no decorator machinery.
"""

from __future__ import annotations

from app.core.errors import AsiChatError
from app.core.images.files import history_images, source
from app.core.links import is_safe_url
from app.ui.links import copy_link, copy_text, open_link
from app.ui.screens.image_gallery import ImageGallery
from app.ui.screens.image_viewer import ImageViewer
from app.ui.widgets.image_card import ImageCard
from app.ui.widgets.message_view import MessageView

GALLERY_LIMIT = 500


class ImageActions:
    """`action_image_gallery` and the handlers of image cards and the gallery."""

    def _prompt_before(self, card: ImageCard) -> str:
        """The user message just before the reply holding `card` (the image's prompt)."""
        view = next((a for a in card.ancestors if isinstance(a, MessageView)), None)
        views = self.chat_pane.message_views()
        if view not in views:
            return ""
        earlier = views[:views.index(view)]
        return next((v.content for v in reversed(earlier) if v.role == "user"), "")

    def _latest_image(self) -> str | None:
        if self.current_id is None:
            return None
        image = self.store.latest_image(self.current_id)
        url = image.url if image else self.chat_pane.latest_image_url()
        return url if url and is_safe_url(url) else None  # an inline (data:) image has no link

    def _with_latest_image(self, use) -> None:
        url = self._latest_image()
        if url is None:
            self.notify("No image link in this conversation yet.", markup=False)
        else:
            use(self, url)

    def action_copy_image(self) -> None:
        self._with_latest_image(copy_link)

    def action_open_image(self) -> None:
        self._with_latest_image(open_link)

    def on_image_card_copy_requested(self, event: ImageCard.CopyRequested) -> None:
        copy_link(self, event.url)

    def on_image_card_open_requested(self, event: ImageCard.OpenRequested) -> None:
        open_link(self, event.url)

    def on_image_card_view_requested(self, event: ImageCard.ViewRequested) -> None:
        event.stop()
        self.push_screen(ImageViewer(event.card.url, self._prompt_before(event.card)))

    def on_image_card_copy_path_requested(self, event: ImageCard.CopyPathRequested) -> None:
        event.stop()
        result = event.card.result
        if result is None:
            self.notify("The inline image is not saved yet (or is not an image).", markup=False)
        else:
            copy_text(self, str(result.path), "image file path")

    def action_image_gallery(self) -> None:
        """Show every image in the history, newest first."""
        try:
            images = history_images(self.store, GALLERY_LIMIT)
            entries = [(image, source(self.store, image)) for image in images]
        except AsiChatError as exc:
            self.notify(str(exc), title="History", severity="error", markup=False)
            return
        self.push_screen(ImageGallery(entries))

    async def on_image_gallery_jump(self, event: ImageGallery.Jump) -> None:
        try:
            await self.open_conversation(event.conversation_id)
        except AsiChatError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        view = next((v for v in self.chat_pane.message_views() if v.message_id == event.message_id), None)
        if view is None:
            self.notify("The image's message is further up: scroll up to it.", markup=False)
            return
        view.focus()
        self.call_after_refresh(view.scroll_visible, top=True, animate=False)
