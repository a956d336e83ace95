"""The first run's question: the agent's name, as customers read it in replies, saved in config.toml."""

from __future__ import annotations

from pathlib import Path

from textual import work

from socialdesk.screens.host import HostScreen


class FirstRunActions(HostScreen):
    """Asks the agent's name once ("I'm agent" must never reach a customer) and saves it in a worker."""

    def prompt_agent_name(self) -> None:
        """Ask the name; an empty answer leaves it unset, with a warning saying where to set it."""
        from socialdesk.screens.note import PromptScreen

        def validate(text: str) -> str | None:
            return None if text.strip() else "Your name, please (it signs canned replies)"

        def answered(name: str | None) -> None:
            if not name or not name.strip():
                self.notify(
                    "No name set: canned replies would say 'agent'. Set [desk] agent in config.toml",
                    severity="warning",
                    timeout=10,
                )
                return
            self.ctx.settings.desk.agent = " ".join(name.split())
            self._save_agent_name(self.ctx.settings.desk.agent)

        title = "Welcome! Your name, as customers will read it in replies (saved in config.toml)"
        self.app.push_screen(PromptScreen(title, "e.g. Ana", validate), answered)

    @work(thread=True, group="config", exit_on_error=False, description="Saving your name")
    def _save_agent_name(self, name: str) -> None:
        from socialdesk.locations import config_file
        from socialdesk.services.desk_config import save_agent_name

        source = self.ctx.settings.source
        path = config_file() if source == "defaults" else Path(source)
        save_agent_name(path, name)
        self.app.call_from_thread(self.notify, f"Hello {name}: saved in {path}", markup=False)
